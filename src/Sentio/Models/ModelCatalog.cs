using System.Text.Json;
using System.Text.Json.Nodes;
using Sentio.IO;

namespace Sentio.Models;

/// <summary>How one architecture is built from options and loaded from a saved folder.</summary>
/// <param name="Name">The versioned name used in configs and in <c>model.json</c>, e.g. <c>sentio.NGramLinear.v1</c>.</param>
/// <param name="OptionsType">The immutable options record the config's <c>model</c> section binds to.</param>
public sealed record ArchitectureInfo(
    string Name,
    Type OptionsType,
    Func<object, IReadOnlyList<string>, int, IMultiLabelClassifier> Create,
    Func<string, IMultiLabelClassifier> Load);

/// <summary>Every architecture Sentio knows, by versioned name.</summary>
public static class ModelCatalog
{
    /// <summary>The file in a model folder that names its architecture and holds its options.</summary>
    public const string ManifestFile = "model.json";

    private static readonly Dictionary<string, ArchitectureInfo> Architectures = new(StringComparer.Ordinal)
    {
        [NGramLinear.ArchitectureName] = NGramLinear.Info,
        [BiLstmClassifier.ArchitectureName] = BiLstmClassifier.Info,
        [Ensembles.EnsembleClassifier.ArchitectureName] = Ensembles.EnsembleClassifier.Info,
        [LabelGraphRefiner.ArchitectureName] = LabelGraphRefiner.Info,
        [TransformerClassifier.ArchitectureName] = TransformerClassifier.Info,
    };

    public static IReadOnlyCollection<string> Names => Architectures.Keys;

    public static bool TryGet(string name, out ArchitectureInfo info) => Architectures.TryGetValue(name, out info!);

    public static IMultiLabelClassifier Create(string architecture, object options, IReadOnlyList<string> labelNames, int seed) =>
        Architectures[architecture].Create(options, labelNames, seed);

    /// <summary>Loads the model saved in <paramref name="directory"/>, whatever its architecture; a Hugging Face
    /// sequence-classification folder (config.json with id2label, no model.json) loads as a <see cref="TransformerClassifier"/>.</summary>
    public static IMultiLabelClassifier Load(string directory)
    {
        string manifest = Path.Combine(directory, ManifestFile);
        if (!File.Exists(manifest) && File.Exists(Path.Combine(directory, Checkpoints.HfModelFolder.ConfigFile)))
            return TransformerClassifier.FromHuggingFace(directory);
        if (!File.Exists(manifest)) throw new SentioException($"{manifest}: not found; is '{directory}' a Sentio model folder?");
        string name = ReadManifest(manifest)["architecture"]?.GetValue<string>()
            ?? throw new SentioException($"{manifest}: no 'architecture' field");
        if (!Architectures.TryGetValue(name, out var info))
            throw new SentioException($"{manifest}: unknown architecture '{name}'; known: {string.Join(", ", Names)}");
        return info.Load(directory);
    }

    /// <summary>Writes <c>model.json</c>: the architecture name, the label names and the options.</summary>
    public static void WriteManifest<TOptions>(string directory, string architecture, IReadOnlyList<string> labelNames, TOptions options)
    {
        var manifest = new JsonObject
        {
            ["architecture"] = architecture,
            ["labels"] = new JsonArray(labelNames.Select(l => (JsonNode)l!).ToArray()),
            ["options"] = JsonSerializer.SerializeToNode(options, AtomicFile.Json),
        };
        AtomicFile.WriteText(Path.Combine(directory, ManifestFile), manifest.ToJsonString(AtomicFile.Json));
    }

    /// <summary>Reads back what <see cref="WriteManifest{TOptions}"/> wrote.</summary>
    public static (IReadOnlyList<string> Labels, TOptions Options) ReadManifest<TOptions>(string directory)
    {
        string path = Path.Combine(directory, ManifestFile);
        var manifest = ReadManifest(path);
        var labels = manifest["labels"]?.Deserialize<string[]>() ?? throw new SentioException($"{path}: no 'labels' field");
        TOptions options;
        try { options = manifest["options"].Deserialize<TOptions>(AtomicFile.Json) ?? throw new SentioException($"{path}: no 'options' field"); }
        catch (JsonException e) { throw new SentioException($"{path}: invalid options: {e.Message}", e); }
        return (labels, options);
    }

    private static JsonObject ReadManifest(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new SentioException($"{path}: empty"); }
        catch (JsonException e) { throw new SentioException($"{path}: invalid JSON: {e.Message}", e); }
    }
}
