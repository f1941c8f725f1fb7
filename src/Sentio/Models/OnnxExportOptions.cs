namespace Sentio.Models;

/// <summary>The <c>options</c> of an exported ONNX folder's model.json (architecture <see cref="ArchitectureName"/>): what a
/// runtime needs to feed the graph. JSON names: <c>family</c>, <c>max_length</c>, <c>inputs</c>, <c>precision</c>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The architecture model.json names for a folder written by <see cref="TransformerClassifier.ExportOnnx"/>.</summary>
    public const string ArchitectureName = "sentio.OnnxClassifier.v1";

    /// <summary>The encoder's <c>model_type</c>: bert, distilbert, roberta or deberta-v2.</summary>
    public required string Family { get; init; }

    /// <summary>Tokens per text the model was trained with (special tokens included); tokenize with this cut.</summary>
    public required int MaxLength { get; init; }

    /// <summary>The graph's int64 [batch, sequence] inputs in order: input_ids, attention_mask and, when the encoder has
    /// token types, token_type_ids.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary>The weights' precision: fp32.</summary>
    public string Precision { get; init; } = "fp32";
}
