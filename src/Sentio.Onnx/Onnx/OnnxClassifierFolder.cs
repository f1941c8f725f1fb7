using System.Text.Json;
using System.Text.Json.Nodes;
using Sentio.IO;

namespace Sentio.Onnx;

/// <summary>The <c>options</c> of an ONNX classifier folder's <c>model.json</c>.</summary>
public sealed record OnnxClassifierOptions
{
    /// <summary>The encoder family the graph was exported from: <c>bert</c>, <c>distilbert</c>, <c>roberta</c> or <c>deberta-v2</c>.</summary>
    public required string Family { get; init; }

    /// <summary>The longest encoding (special tokens included) the scorer feeds; longer texts are truncated.</summary>
    public required int MaxLength { get; init; }

    /// <summary>The graph's inputs, in order: <c>input_ids</c>, <c>attention_mask</c> and, for families that use segments,
    /// <c>token_type_ids</c>; each int64 [batch, sequence].</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary><c>fp32</c>, or <c>int8</c> for a dynamically quantized graph.</summary>
    public required string Precision { get; init; }
}

/// <summary>A folder written by <c>sentio export --format onnx</c>, laid out for Triton:
/// <c>model.json</c> (architecture <see cref="ArchitectureName"/>, labels, <see cref="OnnxClassifierOptions"/>),
/// <c>1/model.onnx</c> (inputs as <see cref="OnnxClassifierOptions.Inputs"/>; float32 outputs <c>logits</c> and
/// <c>probabilities</c> [batch, labels]), <c>config.pbtxt</c>, <c>labels.txt</c>, optionally <c>thresholds.json</c>, and the
/// tokenizer's Hugging Face files with <c>config.json</c>.</summary>
public sealed class OnnxClassifierFolder
{
    public const string ArchitectureName = "sentio.OnnxClassifier.v1";
    public const string ManifestFile = "model.json";
    public const string ThresholdsFile = "thresholds.json";

    /// <summary>The graph, relative to the folder (Triton's version-1 subfolder).</summary>
    public static readonly string ModelFile = Path.Combine("1", "model.onnx");

    public static readonly IReadOnlyList<string> Families = ["bert", "distilbert", "roberta", "deberta-v2"];
    public static readonly IReadOnlyList<string> Precisions = ["fp32", "int8"];

    private static readonly string[] RequiredInputs = ["input_ids", "attention_mask"];
    private const string OptionalInput = "token_type_ids";

    private OnnxClassifierFolder(string directory, IReadOnlyList<string> labels, OnnxClassifierOptions options)
    {
        Directory = directory;
        Labels = labels;
        Options = options;
    }

    public string Directory { get; }
    public IReadOnlyList<string> Labels { get; }
    public OnnxClassifierOptions Options { get; }
    public string ModelPath => Path.Combine(Directory, ModelFile);

    /// <summary>The folder's <c>thresholds.json</c>, or null when it has none.</summary>
    public string? ThresholdsPath => File.Exists(Path.Combine(Directory, ThresholdsFile)) ? Path.Combine(Directory, ThresholdsFile) : null;

    /// <summary>Whether <paramref name="directory"/> holds an ONNX graph where this layout puts it.</summary>
    public static bool HasModel(string directory) => File.Exists(Path.Combine(directory, ModelFile));

    /// <summary>Reads and checks <c>model.json</c> and that <c>1/model.onnx</c> exists; the graph itself is checked when a
    /// session opens it.</summary>
    /// <exception cref="SentioException">The manifest is missing or invalid (the message names the file and the key), or the
    /// graph is missing.</exception>
    public static OnnxClassifierFolder Read(string directory)
    {
        string path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path)) throw new SentioException($"{path}: not found; is '{directory}' an exported ONNX classifier folder?");
        JsonObject manifest;
        try { manifest = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new SentioException($"{path}: empty"); }
        catch (JsonException e) { throw new SentioException($"{path}: invalid JSON: {e.Message}", e); }
        catch (InvalidOperationException) { throw new SentioException($"{path}: expected a JSON object"); }

        string? architecture = Value<string>(manifest["architecture"], path, "architecture");
        if (architecture != ArchitectureName) throw new SentioException($"{path}: architecture is '{architecture}', expected '{ArchitectureName}'");
        var labels = Deserialize<string[]>(manifest["labels"], path, "labels");
        if (labels is not { Length: > 0 } || labels.Any(string.IsNullOrEmpty) || labels.Distinct().Count() != labels.Length)
            throw new SentioException($"{path}: labels must be a non-empty list of distinct names");
        var options = Deserialize<OnnxClassifierOptions>(manifest["options"], path, "options")
            ?? throw new SentioException($"{path}: no 'options' field");
        Check(options, path);
        var folder = new OnnxClassifierFolder(directory, labels, options);
        if (!File.Exists(folder.ModelPath)) throw new SentioException($"{folder.ModelPath}: not found; {path} names an ONNX classifier whose graph is missing");
        return folder;
    }

    /// <summary>Writes <c>model.json</c> atomically.</summary>
    public static void WriteManifest(string directory, IReadOnlyList<string> labels, OnnxClassifierOptions options)
    {
        var manifest = new JsonObject
        {
            ["architecture"] = ArchitectureName,
            ["labels"] = new JsonArray(labels.Select(l => (JsonNode)l!).ToArray()),
            ["options"] = JsonSerializer.SerializeToNode(options, AtomicFile.Json),
        };
        AtomicFile.WriteText(Path.Combine(directory, ManifestFile), manifest.ToJsonString(AtomicFile.Json));
    }

    private static void Check(OnnxClassifierOptions options, string path)
    {
        if (!Families.Contains(options.Family))
            throw new SentioException($"{path}: options.family '{options.Family}' is not one of {string.Join(", ", Families)}");
        if (options.MaxLength < 2) throw new SentioException($"{path}: options.max_length {options.MaxLength} must be at least 2");
        if (!Precisions.Contains(options.Precision))
            throw new SentioException($"{path}: options.precision '{options.Precision}' is not one of {string.Join(", ", Precisions)}");
        bool expected = options.Inputs.Count is 2 or 3 && options.Inputs.Take(2).SequenceEqual(RequiredInputs)
            && (options.Inputs.Count == 2 || options.Inputs[2] == OptionalInput);
        if (!expected)
            throw new SentioException($"{path}: options.inputs [{string.Join(", ", options.Inputs)}] must be [input_ids, attention_mask] or [input_ids, attention_mask, token_type_ids]");
    }

    private static T? Value<T>(JsonNode? node, string path, string key)
    {
        try { return node is null ? throw new SentioException($"{path}: no '{key}' field") : node.GetValue<T>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException) { throw new SentioException($"{path}: '{key}' is not a {typeof(T).Name.ToLowerInvariant()}"); }
    }

    private static T? Deserialize<T>(JsonNode? node, string path, string key)
    {
        if (node is null) throw new SentioException($"{path}: no '{key}' field");
        try { return node.Deserialize<T>(AtomicFile.Json); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new SentioException($"{path}: invalid '{key}': {e.Message.Split('\n')[0]}", e);
        }
    }
}
