using Sentio.Checkpoints;
using Sentio.Text;

namespace Sentio.Models;

/// <summary>Hugging Face sequence classifiers in and out of folders, as <c>AutoModelForSequenceClassification</c> does it:
/// the encoder family comes from config.json's <c>model_type</c> (<see cref="EncoderFamilies"/>). Folders written here
/// load with <c>AutoModelForSequenceClassification.from_pretrained</c>.</summary>
public static class HuggingFaceClassifier
{
    /// <summary>A classifier with Hugging Face's random initialisation for <paramref name="config"/>'s model_type.</summary>
    /// <exception cref="SentioException">Unknown model type or no labels.</exception>
    public static ITransformerClassifier Create(TransformerConfig config) => config.Family.Create(config);

    /// <summary>Pre-training heads that checkpoints such as bert-base-uncased (<c>cls.*</c>), roberta-base (<c>lm_head.*</c>)
    /// or distilbert-base-uncased (<c>vocab_*</c>) carry and a sequence classifier does not use.</summary>
    private static readonly string[] PretrainingHeadPrefixes =
        ["cls.", "lm_head.", "vocab_transform.", "vocab_layer_norm.", "vocab_projector."];

    /// <summary>Loads a sequence classifier from a Hugging Face folder, as
    /// <c>AutoModelForSequenceClassification.from_pretrained</c> does:
    /// <list type="bullet">
    /// <item>a classifier checkpoint of the same labels (keys <c>bert.*</c> / <c>distilbert.*</c> / <c>roberta.*</c> plus the
    /// head) must fit exactly;</item>
    /// <item>an encoder checkpoint — bare (unprefixed keys, like all-MiniLM-L6-v2) or with a pre-training head (<c>cls.*</c>,
    /// <c>lm_head.*</c>, <c>vocab_*</c>) — fills the encoder; the classification head keeps its random initialisation (seed
    /// with <c>torch.manual_seed</c> first) and is listed in <see cref="LoadReport.Missing"/>, the unused pre-training
    /// head (and a RoBERTa pooler) in <see cref="LoadReport.Ignored"/>; a BERT encoder saved without its pooler gets a
    /// fresh pooler (listed as missing too);</item>
    /// <item>with <paramref name="labels"/> different from the checkpoint's <c>id2label</c>, the checkpoint's head is
    /// ignored and a new one is initialised for <paramref name="labels"/>.</item>
    /// </list></summary>
    /// <param name="labels">Label names for the head (needed for an encoder, whose config has none); when given,
    /// <c>problem_type</c> becomes <c>multi_label_classification</c>.</param>
    /// <exception cref="SentioException">Missing files, an unsupported config, or tensors that do not fit (all listed at once).</exception>
    public static (ITransformerClassifier Model, LoadReport Report) LoadClassifier(string folder, IReadOnlyList<string>? labels = null)
    {
        var stored = TransformerConfig.Read(Path.Combine(folder, HfModelFolder.ConfigFile));
        var family = stored.Family;
        var config = labels is null ? stored : stored with { Labels = labels, ProblemType = "multi_label_classification" };
        if (config.Labels.Count == 0)
            throw new SentioException($"{Path.Combine(folder, HfModelFolder.ConfigFile)}: id2label is absent; pass the label names to load this encoder as a classifier");
        bool newHead = labels is not null && !labels.SequenceEqual(stored.Labels);
        var (tensors, source) = HfModelFolder.ReadWeights(folder);
        var model = Create(config);
        try
        {
            string prefix = family.StateDictPrefix + ".";
            bool StartsWithAny(string key, IEnumerable<string> prefixes) => prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
            bool bare = !tensors.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
            var named = tensors.ToDictionary(p => bare && !StartsWithAny(p.Key, PretrainingHeadPrefixes) ? prefix + p.Key : p.Key,
                p => p.Value, StringComparer.Ordinal);
            bool hasHead = named.Keys.Any(k => StartsWithAny(k, family.HeadPrefixes));
            // RobertaForSequenceClassification has no pooler, so a RobertaModel checkpoint's pooler goes unused (as in HF).
            var unused = named.Keys.Where(k => StartsWithAny(k, PretrainingHeadPrefixes)
                || StartsWithAny(k, family.UnusedCheckpointPrefixes)
                || (newHead && StartsWithAny(k, family.HeadPrefixes))).Order(StringComparer.Ordinal).ToList();
            foreach (string key in unused) named.Remove(key);
            // An encoder saved without its pooler (add_pooling_layer=False) gets a fresh one, as in HF.
            IReadOnlyList<string>? optional = newHead || !hasHead
                ? [.. family.HeadPrefixes, .. family.PoolerPrefix is { } pooler ? [pooler] : Array.Empty<string>()] : null;
            var report = StateDictLoader.Load(model.Module, named, source, optional);
            return (model, report with { Ignored = [.. report.Ignored, .. unused] });
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    /// <summary>Writes <paramref name="model"/> as a Hugging Face folder: <c>config.json</c> (architectures, id2label,
    /// label2id, <paramref name="problemType"/> as transformers spells it), <c>model.safetensors</c> (stored as
    /// <paramref name="dtype"/>) and, when given, the tokenizer's files.</summary>
    public static void Save(ITransformerClassifier model, string folder, ITransformerTokenizer? tokenizer = null,
        SafeTensorsDType dtype = SafeTensorsDType.F32, string problemType = "multi_label_classification")
    {
        tokenizer?.Save(folder);
        Directory.CreateDirectory(folder);
        var state = model.Module.state_dict();
        SafeTensors.Write(Path.Combine(folder, HfModelFolder.WeightsFile), state, new Dictionary<string, string> { ["format"] = "pt" }, dtype);
        SaveConfig(model, folder, problemType);
    }

    /// <summary>Writes the <c>config.json</c> that <see cref="Save"/> writes: the model's config with <c>architectures</c>
    /// and <paramref name="problemType"/>.</summary>
    public static void SaveConfig(ITransformerClassifier model, string folder, string problemType = "multi_label_classification")
    {
        var config = model.Config with { Architectures = [model.Config.Family.SequenceClassificationClass], ProblemType = problemType };
        config.Write(Path.Combine(folder, HfModelFolder.ConfigFile));
    }
}
