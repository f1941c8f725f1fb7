using Sentio.Models;
using Sentio.Text;
using static TorchSharp.torch;

namespace Sentio.Checkpoints;

/// <summary>A Hugging Face model folder: <c>config.json</c>, weights in <c>model.safetensors</c> (or a sharded
/// <c>model.safetensors.index.json</c> with its shards, or <c>pytorch_model.bin</c>) and the tokenizer's files. Folders written here load with
/// <c>AutoModelForSequenceClassification.from_pretrained</c>.</summary>
public static class HfModelFolder
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string PickleWeightsFile = "pytorch_model.bin";

    /// <summary>Reads the folder's weights: <c>model.safetensors</c>, else the sharded index, else <c>pytorch_model.bin</c>
    /// (through <see cref="PickleWeights"/>, which runs no code from the file). Returns the tensors (owned by the caller)
    /// and the file they came from.</summary>
    /// <exception cref="SentioException">No weights file, or one that cannot be read.</exception>
    public static (Dictionary<string, Tensor> Tensors, string Source) ReadWeights(string folder)
    {
        string single = Path.Combine(folder, WeightsFile);
        if (File.Exists(single)) return (SafeTensors.Read(single), single);
        string index = Path.Combine(folder, SafeTensors.IndexFile);
        if (File.Exists(index)) return (SafeTensors.ReadSharded(index), index);
        string pickle = Path.Combine(folder, PickleWeightsFile);
        if (File.Exists(pickle)) return (PickleWeights.Read(pickle), pickle);
        throw new SentioException($"{folder}: no {WeightsFile}, {SafeTensors.IndexFile} or {PickleWeightsFile}; is it a Hugging Face model folder?");
    }

    /// <summary>A classifier with Hugging Face's random initialisation for <paramref name="config"/>'s model_type.</summary>
    /// <exception cref="SentioException">Unknown model type or no labels.</exception>
    public static ITransformerClassifier Create(TransformerConfig config) => config.ModelType switch
    {
        "bert" => new BertForSequenceClassification(config),
        "distilbert" => new DistilBertForSequenceClassification(config),
        "roberta" => new RobertaForSequenceClassification(config),
        _ => throw new SentioException($"config: model_type '{config.ModelType}' is not supported"),
    };

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
        var stored = TransformerConfig.Read(Path.Combine(folder, ConfigFile));
        var config = labels is null ? stored : stored with { Labels = labels, ProblemType = "multi_label_classification" };
        if (config.Labels.Count == 0)
            throw new SentioException($"{Path.Combine(folder, ConfigFile)}: id2label is absent; pass the label names to load this encoder as a classifier");
        bool newHead = labels is not null && !labels.SequenceEqual(stored.Labels);
        var (tensors, source) = ReadWeights(folder);
        var model = Create(config);
        try
        {
            string prefix = model.EncoderPrefix + ".";
            bool StartsWithAny(string key, IEnumerable<string> prefixes) => prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
            bool bare = !tensors.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
            var named = tensors.ToDictionary(p => bare && !StartsWithAny(p.Key, PretrainingHeadPrefixes) ? prefix + p.Key : p.Key,
                p => p.Value, StringComparer.Ordinal);
            bool hasHead = named.Keys.Any(k => StartsWithAny(k, model.HeadPrefixes));
            // RobertaForSequenceClassification has no pooler, so a RobertaModel checkpoint's pooler goes unused (as in HF).
            var unused = named.Keys.Where(k => StartsWithAny(k, PretrainingHeadPrefixes)
                || (config.ModelType == "roberta" && k.StartsWith("roberta.pooler.", StringComparison.Ordinal))
                || (newHead && StartsWithAny(k, model.HeadPrefixes))).Order(StringComparer.Ordinal).ToList();
            foreach (string key in unused) named.Remove(key);
            // An encoder saved without its pooler (add_pooling_layer=False) gets a fresh one, as in HF.
            IReadOnlyList<string>? optional = newHead || !hasHead
                ? [.. model.HeadPrefixes, .. config.ModelType == "bert" ? ["bert.pooler."] : Array.Empty<string>()] : null;
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

    /// <summary>The folder's tokenizer: WordPiece from <c>vocab.txt</c>, else byte-level BPE from <c>vocab.json</c> +
    /// <c>merges.txt</c>; settings from <c>tokenizer_config.json</c> when present.</summary>
    /// <exception cref="SentioException">Neither vocabulary is there.</exception>
    public static ITransformerTokenizer LoadTokenizer(string folder)
    {
        if (File.Exists(Path.Combine(folder, WordPieceTokenizer.VocabFile))) return WordPieceTokenizer.FromFolder(folder);
        if (File.Exists(Path.Combine(folder, ByteLevelBpeTokenizer.VocabFile))) return ByteLevelBpeTokenizer.FromFolder(folder);
        throw new SentioException($"{folder}: no tokenizer: neither {WordPieceTokenizer.VocabFile} (WordPiece) nor {ByteLevelBpeTokenizer.VocabFile} + {ByteLevelBpeTokenizer.MergesFile} (byte-level BPE)");
    }

    /// <summary>Writes <paramref name="model"/> as a Hugging Face folder: <c>config.json</c> (architectures, id2label,
    /// label2id, problem_type <c>multi_label_classification</c>), <c>model.safetensors</c> (stored as
    /// <paramref name="dtype"/>) and, when given, the tokenizer's files.</summary>
    public static void Save(ITransformerClassifier model, string folder, ITransformerTokenizer? tokenizer = null,
        SafeTensorsDType dtype = SafeTensorsDType.F32)
    {
        tokenizer?.Save(folder);
        Directory.CreateDirectory(folder);
        string architecture = model.Config.ModelType switch
        {
            "bert" => "BertForSequenceClassification",
            "distilbert" => "DistilBertForSequenceClassification",
            _ => "RobertaForSequenceClassification",
        };
        var config = model.Config with { Architectures = [architecture], ProblemType = "multi_label_classification" };
        var state = model.Module.state_dict();
        SafeTensors.Write(Path.Combine(folder, WeightsFile), state, new Dictionary<string, string> { ["format"] = "pt" }, dtype);
        config.Write(Path.Combine(folder, ConfigFile));
    }
}
