using System.Text.Json;
using System.Text.Json.Nodes;
using Sentio.Data;
using Sentio.IO;

namespace Sentio.Models;

/// <summary><c>model.json</c>, the file in a model folder that names its architecture and holds its labels, options, the
/// seed it was trained with and its problem type.</summary>
public static class ModelManifest
{
    public const string FileName = "model.json";

    /// <summary>Writes <c>model.json</c>: the architecture name, the label names, the options and (for a trained model) the
    /// seed — the config's one seed, recorded as in config.yaml and run.json. <c>problem_type</c> is written only for a
    /// single-label model, so multi-label folders saved before the key existed read the same.</summary>
    public static void Write<TOptions>(string directory, string architecture, IReadOnlyList<string> labelNames, TOptions options, int? seed = null,
        ProblemType problemType = ProblemType.MultiLabelClassification)
    {
        var manifest = new JsonObject
        {
            ["architecture"] = architecture,
            ["labels"] = new JsonArray(labelNames.Select(l => (JsonNode)l!).ToArray()),
            ["options"] = JsonSerializer.SerializeToNode(options, AtomicFile.Json),
        };
        if (seed is { } value) manifest["seed"] = value;
        if (problemType != ProblemType.MultiLabelClassification) manifest["problem_type"] = ProblemTypeName(problemType);
        AtomicFile.WriteText(Path.Combine(directory, FileName), manifest.ToJsonString(AtomicFile.Json));
    }

    /// <summary>Reads back what <see cref="Write{TOptions}"/> wrote; <c>Seed</c> is null when none was recorded, the problem
    /// type multi-label when none was.</summary>
    /// <exception cref="SentioException">The file is missing or invalid.</exception>
    public static (IReadOnlyList<string> Labels, TOptions Options, int? Seed, ProblemType ProblemType) Read<TOptions>(string directory)
    {
        string path = Path.Combine(directory, FileName);
        var manifest = ReadObject(path);
        var labels = manifest["labels"]?.Deserialize<string[]>() ?? throw new SentioException($"{path}: no 'labels' field");
        TOptions options;
        int? seed;
        string? problemType;
        try
        {
            options = manifest["options"].Deserialize<TOptions>(AtomicFile.Json) ?? throw new SentioException($"{path}: no 'options' field");
            seed = manifest["seed"]?.GetValue<int>();
            problemType = manifest["problem_type"]?.GetValue<string>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new SentioException($"{path}: invalid options: {e.Message}", e);
        }
        return (labels, options, seed, problemType == null ? ProblemType.MultiLabelClassification : ParseProblemType(problemType, path));
    }

    /// <summary>The Hugging Face spelling of a problem type, as configs and config.json write it.</summary>
    public static string ProblemTypeName(ProblemType problemType) => problemType switch
    {
        ProblemType.SingleLabelClassification => "single_label_classification",
        _ => "multi_label_classification",
    };

    /// <exception cref="SentioException">Neither spelling; the message names <paramref name="source"/>.</exception>
    public static ProblemType ParseProblemType(string name, string source) => name switch
    {
        "multi_label_classification" => ProblemType.MultiLabelClassification,
        "single_label_classification" => ProblemType.SingleLabelClassification,
        _ => throw new SentioException($"{source}: problem_type '{name}' is not multi_label_classification or single_label_classification"),
    };

    /// <summary>The architecture named in <paramref name="directory"/>'s <c>model.json</c>.</summary>
    /// <exception cref="SentioException">The file is missing, invalid or names no architecture.</exception>
    public static string ReadArchitecture(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new SentioException($"{path}: not found; is '{directory}' a Sentio model folder?");
        return ReadObject(path)["architecture"]?.GetValue<string>() ?? throw new SentioException($"{path}: no 'architecture' field");
    }

    private static JsonObject ReadObject(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new SentioException($"{path}: empty"); }
        catch (JsonException e) { throw new SentioException($"{path}: invalid JSON: {e.Message}", e); }
        catch (FileNotFoundException) { throw new SentioException($"{path}: not found"); }
    }
}
