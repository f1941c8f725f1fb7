using Sentio.Checkpoints;
using Sentio.Data;
using Sentio.Models;
using Sentio.Onnx;

namespace Sentio.Catalog;

/// <summary>How one architecture is built from options and loaded from a saved folder.</summary>
/// <param name="Name">The versioned name used in configs and in <c>model.json</c>, e.g. <c>sentio.NGramLinear.v1</c>.</param>
/// <param name="OptionsType">The immutable options record the config's <c>model</c> section binds to.</param>
/// <param name="Create">Builds an unfitted model from (options, label names, seed, problem type); null for an architecture that is
/// assembled from fitted models (ensembles, the refiner) rather than trained from a config.</param>
/// <param name="Load">Loads a saved model folder; the catalog passes itself for folders nested inside (ensemble members).</param>
/// <param name="AssembledBy">For an architecture without <paramref name="Create"/>: the commands that make it, for the
/// config error.</param>
public sealed record ArchitectureInfo(
    string Name,
    Type OptionsType,
    Func<object, IReadOnlyList<string>, int, ProblemType, ITrainableClassifier>? Create,
    Func<string, Func<string, IMultiLabelClassifier>, IMultiLabelClassifier> Load,
    string? AssembledBy = null)
{
    /// <summary>Why a config cannot train this architecture (it has no <see cref="Create"/>).</summary>
    public string NotTrainedFromAConfig => $"{Name} is assembled from fitted models by {AssembledBy}, not trained from a config";
}

/// <summary>Every architecture Sentio knows, by versioned name. The built-in ones are registered here; a new model or
/// backend adds itself with <see cref="Register"/> (no switch to edit), after which configs name it and
/// <see cref="Load"/> reads its folders.</summary>
public static class ModelCatalog
{
    private static readonly Lock Gate = new();

    private static readonly Dictionary<string, ArchitectureInfo> Architectures = new(StringComparer.Ordinal);

    static ModelCatalog()
    {
        Register(new(NGramLinear.ArchitectureName, typeof(NGramLinearOptions),
            (options, labels, seed, problem) => new NGramLinear((NGramLinearOptions)options, labels, seed, problem), (folder, _) => NGramLinear.Load(folder)));
        Register(new(BiLstmClassifier.ArchitectureName, typeof(BiLstmOptions),
            (options, labels, seed, problem) => new BiLstmClassifier((BiLstmOptions)options, labels, seed, problem), (folder, _) => BiLstmClassifier.Load(folder)));
        Register(new(TransformerClassifier.ArchitectureName, typeof(TransformerClassifierOptions),
            (options, labels, seed, problem) => new TransformerClassifier((TransformerClassifierOptions)options, labels, seed, problem), (folder, _) => TransformerClassifier.Load(folder)));
        Register(new(EnsembleClassifier.ArchitectureName, typeof(EnsembleOptions), null, EnsembleClassifier.Load,
            "'sentio cv' or 'sentio ensemble'"));
        Register(new(LabelGraphRefiner.ArchitectureName, typeof(LabelGraphRefinerOptions), null, LabelGraphRefiner.Load,
            "'sentio refine' or 'sentio cv --refiner'"));
        Register(new(OnnxClassifier.ArchitectureName, typeof(OnnxClassifierOptions), null, (folder, _) => OnnxClassifier.Load(folder),
            "'sentio export --format onnx'"));
    }

    public static IReadOnlyCollection<string> Names
    {
        get { lock (Gate) return Architectures.Keys.ToArray(); }
    }

    /// <summary>The architectures a config can train.</summary>
    public static IReadOnlyCollection<string> TrainableNames
    {
        get { lock (Gate) return Architectures.Values.Where(a => a.Create != null).Select(a => a.Name).ToArray(); }
    }

    /// <summary>Adds (or replaces) an architecture.</summary>
    public static void Register(ArchitectureInfo info)
    {
        lock (Gate) Architectures[info.Name] = info;
    }

    public static bool TryGet(string name, out ArchitectureInfo info)
    {
        lock (Gate) return Architectures.TryGetValue(name, out info!);
    }

    /// <summary>An unfitted model of a trainable architecture.</summary>
    /// <exception cref="SentioException">The architecture is unknown or is not trained from a config.</exception>
    public static ITrainableClassifier Create(string architecture, object options, IReadOnlyList<string> labelNames, int seed,
        ProblemType problemType = ProblemType.MultiLabelClassification)
    {
        if (!TryGet(architecture, out var info))
            throw new SentioException($"model.architecture: unknown architecture '{architecture}'; one of: {string.Join(", ", TrainableNames)}");
        if (info.Create == null)
            throw new SentioException($"model.architecture: {info.NotTrainedFromAConfig}");
        return info.Create(options, labelNames, seed, problemType);
    }

    /// <summary>Loads the model saved in <paramref name="directory"/>, whatever its architecture; a Hugging Face
    /// sequence-classification folder (config.json with id2label, no model.json) loads as a <see cref="TransformerClassifier"/>.</summary>
    /// <exception cref="SentioException">No model in the folder, an unknown architecture, or invalid files.</exception>
    public static IMultiLabelClassifier Load(string directory)
    {
        if (!File.Exists(Path.Combine(directory, ModelManifest.FileName)) && File.Exists(Path.Combine(directory, HfModelFolder.ConfigFile)))
            return TransformerClassifier.FromHuggingFace(directory);
        string name = ModelManifest.ReadArchitecture(directory);
        if (!TryGet(name, out var info))
            throw new SentioException($"{Path.Combine(directory, ModelManifest.FileName)}: unknown architecture '{name}'; known: {string.Join(", ", Names)}");
        return info.Load(directory, Load);
    }
}
