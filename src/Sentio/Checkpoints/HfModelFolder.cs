using Sentio.Models;
using Sentio.Text;
using static TorchSharp.torch;

namespace Sentio.Checkpoints;

/// <summary>A Hugging Face model folder: <c>config.json</c>, weights in <c>model.safetensors</c> (or a sharded
/// <c>model.safetensors.index.json</c> with its shards) and the tokenizer's files. Folders written here load with
/// <c>AutoModelForSequenceClassification.from_pretrained</c>.</summary>
public static class HfModelFolder
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string PickleWeightsFile = "pytorch_model.bin";

    /// <summary>Reads the folder's weights: <c>model.safetensors</c>, else the sharded index. Returns the tensors (owned
    /// by the caller) and the file they came from.</summary>
    /// <exception cref="SentioException">No safetensors weights; when only <c>pytorch_model.bin</c> exists the message says
    /// how to convert it (Sentio does not unpickle).</exception>
    public static (Dictionary<string, Tensor> Tensors, string Source) ReadWeights(string folder)
    {
        string single = Path.Combine(folder, WeightsFile);
        if (File.Exists(single)) return (SafeTensors.Read(single), single);
        string index = Path.Combine(folder, SafeTensors.IndexFile);
        if (File.Exists(index)) return (SafeTensors.ReadSharded(index), index);
        string pickle = Path.Combine(folder, PickleWeightsFile);
        if (File.Exists(pickle))
            throw new SentioException(
                $"{pickle}: Sentio reads only safetensors weights (a pickle can run code when loaded). Convert once with " +
                $"python -c \"import torch; from safetensors.torch import save_file; save_file({{k: v.contiguous() for k, v in torch.load('{pickle}', map_location='cpu').items()}}, '{single}', metadata={{'format': 'pt'}})\" " +
                "or with transformers: AutoModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True)");
        throw new SentioException($"{folder}: no {WeightsFile} or {SafeTensors.IndexFile}; is it a Hugging Face model folder?");
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

    /// <summary>Loads a sequence classifier from a Hugging Face folder. A classifier checkpoint (keys prefixed
    /// <c>bert.</c> / <c>distilbert.</c> / <c>roberta.</c>) must fit exactly. A bare encoder checkpoint (unprefixed keys, e.g.
    /// all-MiniLM-L6-v2) fills the encoder and leaves the head at its random initialisation, listed in the report's
    /// <see cref="LoadReport.Missing"/>; seed with <c>torch.manual_seed</c> first.</summary>
    /// <param name="labels">Label names overriding the config's <c>id2label</c> (needed for a bare encoder, whose config has
    /// none); <c>problem_type</c> then becomes <c>multi_label_classification</c>.</param>
    /// <exception cref="SentioException">Missing files, an unsupported config, or tensors that do not fit (all listed at once).</exception>
    public static (ITransformerClassifier Model, LoadReport Report) LoadClassifier(string folder, IReadOnlyList<string>? labels = null)
    {
        var config = TransformerConfig.Read(Path.Combine(folder, ConfigFile));
        if (labels is not null) config = config with { Labels = labels, ProblemType = "multi_label_classification" };
        if (config.Labels.Count == 0)
            throw new SentioException($"{Path.Combine(folder, ConfigFile)}: id2label is absent; pass the label names to load this encoder as a classifier");
        var (tensors, source) = ReadWeights(folder);
        var model = Create(config);
        try
        {
            string prefix = model.EncoderPrefix + ".";
            bool bare = !tensors.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
            var named = bare ? tensors.ToDictionary(p => prefix + p.Key, p => p.Value, StringComparer.Ordinal) : tensors;
            // RobertaForSequenceClassification has no pooler, so a RobertaModel checkpoint's pooler goes unused (as in HF).
            var unusedPooler = config.ModelType == "roberta"
                ? named.Keys.Where(k => k.StartsWith("roberta.pooler.", StringComparison.Ordinal)).ToList() : [];
            foreach (string key in unusedPooler) named.Remove(key);
            var report = StateDictLoader.Load(model.Module, named, source, bare ? model.HeadPrefixes : null);
            return (model, report with { Ignored = [.. report.Ignored, .. unusedPooler] });
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
