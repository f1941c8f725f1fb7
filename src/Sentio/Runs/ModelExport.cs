using Sentio.Catalog;
using Sentio.Evaluation;
using Sentio.Models;
using Sentio.Quantization;

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
    /// <param name="quantizeInt8">Write the graph with int8 weights and run-time quantized activations
    /// (<see cref="OnnxQuantizer.QuantizeFolder"/>) instead of fp32.</param>
    public static void ToOnnx(string path, string outputFolder, bool quantizeInt8 = false)
    {
        using var transformer = LoadTransformer(path, "ONNX", out var run);
        var thresholds = run != null && File.Exists(run.Thresholds) ? ThresholdSet.Load(run.Thresholds, transformer.LabelNames) : null;
        if (!quantizeInt8)
        {
            transformer.ExportOnnx(outputFolder, thresholds);
            return;
        }
        string target = Path.GetFullPath(outputFolder).TrimEnd(Path.DirectorySeparatorChar);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new SentioException($"{target}: the output folder exists and is not empty; remove it or choose another");
        // The fp32 folder is written beside the target and quantized into it, so the target appears whole or not at all.
        string fp32 = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.fp32.{Guid.NewGuid():N}.tmp");
        try
        {
            transformer.ExportOnnx(fp32, thresholds);
            if (Directory.Exists(target)) Directory.Delete(target);
            OnnxQuantizer.QuantizeFolder(fp32, target);
        }
        finally
        {
            if (Directory.Exists(fp32)) Directory.Delete(fp32, recursive: true);
        }
    }

    /// <summary>Writes <paramref name="format"/>; <paramref name="quantizeInt8"/> applies to ONNX only.</summary>
    /// <exception cref="SentioException">As the format's own method, or int8 asked of a Hugging Face export.</exception>
    public static void Export(string path, string outputFolder, ExportFormat format, bool quantizeInt8 = false)
    {
        if (format == ExportFormat.Onnx) ToOnnx(path, outputFolder, quantizeInt8);
        else if (quantizeInt8) throw new SentioException("--quantize int8: only the onnx format is quantized; add --format onnx");
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
