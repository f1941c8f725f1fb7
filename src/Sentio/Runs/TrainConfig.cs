using Sentio.Data;
using Sentio.Catalog;
using Sentio.Configuration;
using Sentio.Evaluation;
using Sentio.Models;
using Sentio.Training;
using YamlDotNet.RepresentationModel;

namespace Sentio.Runs;

/// <summary>The <c>model:</c> section: a versioned architecture name and that architecture's options record.</summary>
public sealed record ModelSpec(string Architecture, object Options);

/// <summary>A whole training config, as <c>sentio train --config</c> reads it:
/// <code>
/// seed: 13
/// problem_type: multi_label_classification
/// data: { dataset: goemotions/original }
/// model: { architecture: sentio.NGramLinear.v1, c: 1.0 }
/// thresholds: { strategy: per_label }
/// </code></summary>
public sealed record TrainConfig
{
    /// <summary>Seeds splitting (unless <see cref="DataOptions.SplitSeed"/> is set), shuffling and initialisation: the same config
    /// and seed give the same metrics.</summary>
    public int Seed { get; init; } = 13;

    /// <summary>The seed of the carved splits and the cv folds: <see cref="DataOptions.SplitSeed"/>, else <see cref="Seed"/>.</summary>
    public int SplitSeed => Data.SplitSeed ?? Seed;

    /// <summary>The <see cref="Data"/> section's splits, carved with <see cref="SplitSeed"/>, so that training, resuming,
    /// re-evaluating and cv all see the same splits (<see cref="DatasetLoader.Load(DataOptions, string, int, string?, TextWriter?)"/>).</summary>
    public DatasetSplits LoadSplits(string baseDirectory, string? dataDir) => DatasetLoader.Load(Data, baseDirectory, SplitSeed, dataDir);

    /// <summary><c>multi_label_classification</c> (default: sigmoids, tuned thresholds) or <c>single_label_classification</c>
    /// (softmax, the most probable label, no thresholds), Hugging Face's names. Never inferred from the data.</summary>
    public ProblemType ProblemType { get; init; } = ProblemType.MultiLabelClassification;

    public DataOptions Data { get; init; } = new();

    public ModelSpec Model { get; init; } = new(NGramLinear.ArchitectureName, new NGramLinearOptions());

    public ThresholdOptions Thresholds { get; init; } = new();

    /// <summary>Reads and validates a config file; every problem is reported at once, each with its key path.</summary>
    /// <exception cref="SentioException">The file is missing, is not valid YAML, or has invalid keys or values.</exception>
    public static TrainConfig Load(string path)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: config file not found");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses config text; <paramref name="fileName"/> only names the source in errors.</summary>
    public static TrainConfig Parse(string yaml, string fileName)
    {
        var root = YamlBinder.ParseMapping(yaml, fileName);
        var errors = new List<ConfigError>();
        var config = new TrainConfig();
        foreach (var (keyNode, value) in root.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                errors.Add(new ConfigError($"line {keyNode.Start.Line}", "keys must be plain names"));
                continue;
            }
            config = key switch
            {
                "seed" => config with { Seed = (int)YamlBinder.Bind(typeof(int), value, key, errors)! },
                "problem_type" => config with { ProblemType = (ProblemType)YamlBinder.Bind(typeof(ProblemType), value, key, errors)! },
                "data" => config with { Data = YamlBinder.Bind<DataOptions>(value, key, errors) },
                "model" => config with { Model = BindModel(value, errors) },
                "thresholds" => config with { Thresholds = YamlBinder.Bind<ThresholdOptions>(value, key, errors) },
                _ => Unknown(config, key, errors),
            };
        }
        if (!root.Children.ContainsKey(new YamlScalarNode("data")))
            errors.Add(new ConfigError("data", "missing; give a built-in dataset (data.dataset) or files (data.train)"));
        else if (config.Data.Dataset == null && config.Data.Train == null)
            errors.Add(new ConfigError("data", "give a built-in dataset (data.dataset) or files (data.train)"));
        if (config.Model.Options is INeuralModelOptions neural)
            errors.AddRange(neural.Training.ValidateFor(config.ProblemType).Select(e => e with { Key = $"model.training.{e.Key}" }));
        if (config.ProblemType == ProblemType.SingleLabelClassification && root.Children.ContainsKey(new YamlScalarNode("thresholds")))
            errors.Add(new ConfigError("thresholds", "a single_label_classification run predicts the most probable label and tunes no thresholds; remove the section"));
        if (errors.Count > 0)
            throw new SentioException($"{fileName}: invalid config ({errors.Count} problem{(errors.Count == 1 ? "" : "s")}): " + string.Join("; ", errors));
        return config;
    }

    /// <summary>For the commands built on tuned thresholds and per-label sigmoids (cv, ensemble; refine works on cv runs): a clear error for
    /// a single-label config instead of a multi-label result.</summary>
    /// <exception cref="SentioException">The config's problem_type is single_label_classification.</exception>
    public void RequireMultiLabel(string command, string source)
    {
        if (ProblemType == ProblemType.SingleLabelClassification)
            throw new SentioException($"{source}: problem_type: single_label_classification; '{command}' tunes thresholds over per-label sigmoids and works on multi-label runs only");
    }

    /// <summary>The config with every file path absolute, as a run saves it: data paths resolve against
    /// <paramref name="configDirectory"/> (the config file's folder), model paths against the working directory.</summary>
    public TrainConfig WithAbsolutePaths(string configDirectory)
    {
        string? Absolute(string? path) => path == null ? null : Path.GetFullPath(path, configDirectory);
        return this with
        {
            Data = Data with
            {
                Train = Absolute(Data.Train), Validation = Absolute(Data.Validation), Test = Absolute(Data.Test),
                LabelsFile = Absolute(Data.LabelsFile),
            },
            Model = Model.Options is IOptionsWithPaths withPaths
                ? Model with { Options = withPaths.WithAbsolutePaths(Directory.GetCurrentDirectory()) }
                : Model,
        };
    }

    /// <summary>The config as YAML that <see cref="Parse"/> reads back to an equal config.</summary>
    public string ToYaml()
    {
        var model = (YamlMappingNode)YamlBinder.ToYaml(Model.Options);
        var modelNode = new YamlMappingNode { { "architecture", Model.Architecture } };
        foreach (var child in model.Children) modelNode.Add(child.Key, child.Value);
        var root = new YamlMappingNode
        {
            { "seed", YamlBinder.ToYaml(Seed) },
            { "problem_type", YamlBinder.ToYaml(ProblemType) },
            { "data", YamlBinder.ToYaml(Data) },
            { "model", modelNode },
        };
        // A single-label run tunes no thresholds, and Parse refuses the section beside it.
        if (ProblemType == ProblemType.MultiLabelClassification) root.Add("thresholds", YamlBinder.ToYaml(Thresholds));
        return YamlBinder.Serialize(root);
    }

    private static TrainConfig Unknown(TrainConfig config, string key, List<ConfigError> errors)
    {
        errors.Add(new ConfigError(key, "unknown key; allowed keys: seed, problem_type, data, model, thresholds"));
        return config;
    }

    private static ModelSpec BindModel(YamlNode node, List<ConfigError> errors)
    {
        var fallback = new ModelSpec(NGramLinear.ArchitectureName, new NGramLinearOptions());
        if (node is not YamlMappingNode mapping)
        {
            errors.Add(new ConfigError("model", "expected a mapping with an 'architecture' key"));
            return fallback;
        }
        var architectureKey = new YamlScalarNode("architecture");
        if (!mapping.Children.TryGetValue(architectureKey, out var nameNode) || nameNode is not YamlScalarNode { Value: { } name })
        {
            errors.Add(new ConfigError("model.architecture", $"missing; one of: {string.Join(", ", ModelCatalog.TrainableNames)}"));
            return fallback;
        }
        if (!ModelCatalog.TryGet(name, out var info))
        {
            errors.Add(new ConfigError("model.architecture", $"unknown architecture '{name}'; one of: {string.Join(", ", ModelCatalog.TrainableNames)}"));
            return fallback;
        }
        if (info.Create == null)
        {
            errors.Add(new ConfigError("model.architecture", info.NotTrainedFromAConfig));
            return fallback;
        }
        var options = new YamlMappingNode(mapping.Children.Where(c => !c.Key.Equals(architectureKey)));
        return new ModelSpec(name, YamlBinder.Bind(info.OptionsType, options, "model", errors)!);
    }
}
