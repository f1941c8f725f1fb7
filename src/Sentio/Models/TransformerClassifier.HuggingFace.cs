using System.Text.Json.Nodes;
using Sentio.Checkpoints;
using Sentio.Configuration;
using Sentio.Data;
using Sentio.IO;
using Sentio.Text;
using Sentio.Training;

namespace Sentio.Models;

/// <summary>Hugging Face interop: starting from a pretrained folder, importing a sequence classifier, exporting one.</summary>
public sealed partial class TransformerClassifier
{
    /// <summary>Writes the encoder, its head and the tokenizer as a Hugging Face folder. With pooling pooler,
    /// <c>AutoModelForSequenceClassification</c> reproduces Sentio's logits; cls / mean pooling is recorded as
    /// <c>sentio_pooling</c> in config.json, which Sentio (not transformers) honours on import.</summary>
    /// <exception cref="SentioException">feature_extract models: their MLP head has no Hugging Face form.</exception>
    public void ExportHuggingFace(string folder)
    {
        if (Options.Mode == TransformerMode.FeatureExtract)
            throw new SentioException($"{ArchitectureName}: a feature_extract model keeps an MLP head ({HeadFile}) that a Hugging Face sequence classifier cannot hold; export a fine_tune model");
        SaveHuggingFace(folder);
    }

    /// <summary>Wraps an imported Hugging Face sequence classifier (a folder with config.json whose id2label names the labels,
    /// model.safetensors and tokenizer files) for prediction: a softmax over the labels when its problem_type is
    /// single_label_classification, otherwise (multi_label_classification, regression or none) one sigmoid per label;
    /// max_length is the smaller of 128 and the encoder's positions.</summary>
    /// <exception cref="SentioException">No id2label, missing files, or weights that do not fit the config.</exception>
    public static TransformerClassifier FromHuggingFace(string folder)
    {
        string configPath = Path.Combine(folder, HfModelFolder.ConfigFile);
        var config = TransformerConfig.Read(configPath);
        if (config.Labels.Count == 0)
            throw new SentioException($"{configPath}: no id2label; a folder predicts only when its config names the labels (a bare encoder must be fine-tuned first)");
        var pooling = ParsePooling((config.Extra[PoolingConfigKey] as JsonValue)?.ToString()) ?? TransformerPooling.Pooler;
        var options = new TransformerClassifierOptions { Pretrained = folder, Pooling = pooling, MaxLength = Math.Min(128, config.Family.UsablePositions(config)) };
        var problemType = config.ProblemType == "single_label_classification" ? ProblemType.SingleLabelClassification : ProblemType.MultiLabelClassification;
        var classifier = new TransformerClassifier(options, config.Labels, seed: 0, problemType);
        var (model, _) = HuggingFaceClassifier.LoadClassifier(folder);
        classifier.model = model;
        try { classifier.tokenizer = TransformerTokenizers.FromFolder(folder); }
        catch
        {
            classifier.Dispose();
            throw;
        }
        classifier.BindClassifierWeights();
        model.Module.eval();
        return classifier;
    }

    /// <summary>A pooling by its config spelling (<c>mean</c>, <c>cls</c>, ...); null for null or an unknown spelling.</summary>
    private static TransformerPooling? ParsePooling(string? key) =>
        key == null ? null : Enum.GetValues<TransformerPooling>().Cast<TransformerPooling?>().FirstOrDefault(p => YamlBinder.KeyOf(p.ToString()!) == key);

    private (ITransformerClassifier, ITransformerTokenizer) LoadPretrained(string folder, ITrainingMonitor monitor)
    {
        var (loaded, report) = HuggingFaceClassifier.LoadClassifier(folder, LabelNames);
        if (report.Missing.Count > 0) monitor.Log($"new classification head (not in {folder}): {string.Join(", ", report.Missing)}");
        if (report.Ignored.Count > 0) monitor.Log($"unused checkpoint tensors: {string.Join(", ", report.Ignored)}");
        var folderTokenizer = TransformerTokenizers.FromFolder(folder);
        if (Options.Lowercase is not { } lowercase) return (loaded, folderTokenizer);
        if (folderTokenizer is not WordPieceTokenizer wordPiece)
        {
            loaded.Dispose();
            throw new SentioException($"model.lowercase: {folder} has a byte-level BPE tokenizer, which has no lowercase setting; remove model.lowercase");
        }
        return (loaded, WithLowercase(wordPiece, lowercase));
    }

    private static WordPieceTokenizer WithLowercase(WordPieceTokenizer wordPiece, bool lowercase) =>
        new(Enumerable.Range(0, wordPiece.VocabularySize).Select(wordPiece.IdToToken).ToArray(), wordPiece.Options with { DoLowerCase = lowercase });

    private void SaveHuggingFace(string folder)
    {
        if (model == null || tokenizer == null) throw new InvalidOperationException("The model is not fitted or loaded.");
        HuggingFaceClassifier.Save(model, folder, tokenizer, problemType: ModelManifest.ProblemTypeName(ProblemType));
        RecordPooling(folder);
    }

    /// <summary>Adds <see cref="PoolingConfigKey"/> to the folder's config.json when the pooling is not the checkpoint's own head.</summary>
    private void RecordPooling(string folder)
    {
        if (Options.Pooling == TransformerPooling.Pooler) return;
        // HuggingFaceClassifier writes config.json from the model's config; the pooling rides along as one extra key.
        string configPath = Path.Combine(folder, HfModelFolder.ConfigFile);
        var json = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        json[PoolingConfigKey] = YamlBinder.KeyOf(Options.Pooling.ToString()!);
        AtomicFile.WriteText(configPath, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }
}
