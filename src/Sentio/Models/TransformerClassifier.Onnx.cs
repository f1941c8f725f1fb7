using System.Globalization;
using System.Text;
using Google.Protobuf;
using Sentio.Evaluation;
using Sentio.IO;

namespace Sentio.Models;

/// <summary>ONNX export: the whole classifier as one graph in a folder that ONNX Runtime, Triton and SynapseML read.</summary>
public sealed partial class TransformerClassifier
{
    /// <summary>The graph inside an exported folder: Triton's model-repository layout (version 1).</summary>
    public static readonly string OnnxModelPath = Path.Combine("1", "model.onnx");

    /// <summary>The batch size the written Triton config allows.</summary>
    public const int TritonMaxBatchSize = 64;

    /// <summary>Writes <paramref name="folder"/>: <c>model.json</c> (<see cref="OnnxExportOptions"/>), <c>1/model.onnx</c>
    /// (opset 17; encoder, pooling and head of either mode in one graph: int64 [batch, sequence] inputs → float32
    /// <c>logits</c> and <c>probabilities</c> [batch, labels]), Triton's <c>config.pbtxt</c>, <c>labels.txt</c>,
    /// <c>thresholds.json</c> when <paramref name="thresholds"/> is given, and the tokenizer files and config.json exactly
    /// as <see cref="ExportHuggingFace"/> writes them. The folder appears whole or not at all; its name is the Triton model name.</summary>
    /// <exception cref="SentioException">The path is a file or a folder that is not empty, the model is single-label, or the
    /// encoder has a part the exporter does not write (message names it).</exception>
    public void ExportOnnx(string folder, ThresholdSet? thresholds = null)
    {
        if (model == null || tokenizer == null) throw new InvalidOperationException("The model is not fitted or loaded.");
        // The folder contract's probabilities are per-label sigmoids that thresholds decide; a softmax output and an argmax
        // decision would need their own contract, which the ONNX loader does not read yet.
        if (ProblemType == Sentio.Data.ProblemType.SingleLabelClassification)
            throw new SentioException($"{ArchitectureName}: ONNX export covers multi_label_classification models; this one is single_label_classification (export it as a Hugging Face folder)");
        string target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        if (File.Exists(target)) throw new SentioException($"{target}: is a file; the ONNX export writes a folder");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new SentioException($"{target}: the output folder exists and is not empty; remove it or choose another");
        string name = Path.GetFileName(target);
        var graph = TransformerOnnx.Build(model, head, Options.Pooling!.Value, name);
        var inputs = TransformerOnnx.InputNames(model.Config);
        string staging = $"{target}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(staging);
            tokenizer.Save(staging);
            HuggingFaceClassifier.SaveConfig(model, staging);
            RecordPooling(staging);
            AtomicFile.Write(Path.Combine(staging, OnnxModelPath), graph.WriteTo);
            ModelManifest.Write(staging, OnnxExportOptions.ArchitectureName, LabelNames,
                new OnnxExportOptions { Family = model.Config.ModelType, MaxLength = Options.MaxLength, Inputs = inputs });
            AtomicFile.WriteText(Path.Combine(staging, "config.pbtxt"), TritonConfig(name, inputs, LabelNames.Count));
            AtomicFile.WriteText(Path.Combine(staging, "labels.txt"), string.Join('\n', LabelNames) + "\n");
            thresholds?.Save(Path.Combine(staging, "thresholds.json"));
            if (Directory.Exists(target)) Directory.Delete(target);
            Directory.Move(staging, target);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Triton's model configuration for the onnxruntime backend: dims exclude the batch dimension, which
    /// max_batch_size &gt; 0 makes implicit.</summary>
    private static string TritonConfig(string name, IReadOnlyList<string> inputs, int labels)
    {
        static string Tensor(string tensorName, string type, string dims) =>
            $"  {{\n    name: \"{tensorName}\"\n    data_type: {type}\n    dims: [ {dims} ]\n  }}";
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"name: \"{name.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"\n");
        text.Append("platform: \"onnxruntime_onnx\"\n");
        text.Append(CultureInfo.InvariantCulture, $"max_batch_size: {TritonMaxBatchSize}\n");
        text.Append("input [\n").Append(string.Join(",\n", inputs.Select(i => Tensor(i, "TYPE_INT64", "-1")))).Append("\n]\n");
        text.Append("output [\n")
            .Append(string.Join(",\n", TransformerOnnx.OutputNames.Select(o => Tensor(o, "TYPE_FP32", labels.ToString(CultureInfo.InvariantCulture)))))
            .Append("\n]\n");
        text.Append("dynamic_batching { }\n");
        return text.ToString();
    }
}
