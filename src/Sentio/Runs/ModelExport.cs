using Sentio.Catalog;
using Sentio.Evaluation;
using Sentio.Models;

namespace Sentio.Runs;

/// <summary>The formats <c>sentio export</c> writes.</summary>
public enum ExportFormat
{
    /// <summary>A Hugging Face folder (config.json, model.safetensors, tokenizer files).</summary>
    HuggingFace,
    /// <summary>An ONNX model folder (model.json, 1/model.onnx, config.pbtxt, tokenizer files).</summary>
    Onnx,
}

/// <summary><c>sentio export</c>: a trained transformer as a Hugging Face folder or an ONNX model folder.</summary>
public static class ModelExport
{
    /// <param name="path">A run directory or a model folder.</param>
    /// <exception cref="SentioException">The path holds no transformer model, or a feature_extract one.</exception>
    public static void ToHuggingFace(string path, string outputFolder)
    {
        using var transformer = LoadTransformer(path, "a Hugging Face folder", out _);
        transformer.ExportHuggingFace(outputFolder);
    }

    /// <summary>Writes <see cref="TransformerClassifier.ExportOnnx"/>'s folder, with the run's thresholds.json when
    /// <paramref name="path"/> is a run directory that has one.</summary>
    /// <param name="path">A run directory, a Sentio model folder or a Hugging Face sequence-classification folder.</param>
    /// <exception cref="SentioException">The path holds no transformer model, the output folder is not empty, or the encoder
    /// has a part the exporter does not write.</exception>
    public static void ToOnnx(string path, string outputFolder)
    {
        using var transformer = LoadTransformer(path, "ONNX", out var run);
        var thresholds = run != null && File.Exists(run.Thresholds) ? ThresholdSet.Load(run.Thresholds, transformer.LabelNames) : null;
        transformer.ExportOnnx(outputFolder, thresholds);
    }

    /// <summary>Writes <paramref name="format"/>.</summary>
    public static void Export(string path, string outputFolder, ExportFormat format)
    {
        if (format == ExportFormat.Onnx) ToOnnx(path, outputFolder);
        else ToHuggingFace(path, outputFolder);
    }

    private static TransformerClassifier LoadTransformer(string path, string format, out RunDirectory? run)
    {
        run = RunDirectory.IsRunDirectory(path) ? new RunDirectory(path) : null;
        var loaded = ModelCatalog.Load(run?.Model ?? path);
        if (loaded is TransformerClassifier transformer) return transformer;
        string architecture = loaded.Architecture;
        loaded.Dispose();
        throw new SentioException($"{path}: the model is {architecture}; only {TransformerClassifier.ArchitectureName} models export as {format}");
    }
}
