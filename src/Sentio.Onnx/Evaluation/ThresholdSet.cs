using System.Text.Json;
using System.Text.Json.Serialization;
using Sentio.IO;

namespace Sentio.Evaluation;

/// <summary>Whether one threshold serves every label or each label has its own.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ThresholdStrategy>))]
public enum ThresholdStrategy
{
    [JsonStringEnumMemberName("global")] Global,
    [JsonStringEnumMemberName("per_label")] PerLabel,
}

/// <summary>What the global threshold maximizes on validation data.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ThresholdObjective>))]
public enum ThresholdObjective
{
    [JsonStringEnumMemberName("micro_f1")] MicroF1,
    [JsonStringEnumMemberName("macro_f1")] MacroF1,
}

/// <summary>
/// Decision thresholds for a multi-label classifier: a label is predicted iff its probability &gt;= its
/// threshold. Holds both the global threshold and one threshold per label; <see cref="Strategy"/> says which
/// one <see cref="Apply"/> uses. Saved as <c>thresholds.json</c>:
/// <code>
/// { "strategy": "per_label", "objective": "micro_f1", "global_threshold": 0.345,
///   "per_label": { "joy": 0.31, "anger": 0.42 }, "fallback_labels": [],
///   "validation_f1": { "global": 0.61, "per_label": 0.63 } }
/// </code>
/// </summary>
public sealed class ThresholdSet
{
    /// <param name="labelNames">The label names, in the classifier's column order.</param>
    /// <param name="perLabelThresholds">One threshold per label, aligned with <paramref name="labelNames"/>.</param>
    /// <param name="fallbackLabels">Labels whose per-label threshold is the global one because validation held no positive for them.</param>
    /// <param name="globalValidationF1">The objective reached on validation with the global threshold (NaN if unknown).</param>
    /// <param name="perLabelValidationF1">The objective reached on validation with the per-label thresholds (NaN if unknown).</param>
    /// <exception cref="ArgumentException">Counts differ, a name repeats, or a threshold is outside [0, 1].</exception>
    public ThresholdSet(
        ThresholdStrategy strategy,
        ThresholdObjective objective,
        double globalThreshold,
        IReadOnlyList<string> labelNames,
        IReadOnlyList<double> perLabelThresholds,
        IReadOnlyList<string>? fallbackLabels = null,
        double globalValidationF1 = double.NaN,
        double perLabelValidationF1 = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(labelNames);
        ArgumentNullException.ThrowIfNull(perLabelThresholds);
        if (labelNames.Count == 0) throw new ArgumentException("A threshold set needs at least one label.", nameof(labelNames));
        if (labelNames.Count != perLabelThresholds.Count)
            throw new ArgumentException($"{perLabelThresholds.Count} thresholds for {labelNames.Count} labels.", nameof(perLabelThresholds));
        if (labelNames.Distinct().Count() != labelNames.Count)
            throw new ArgumentException("Label names repeat.", nameof(labelNames));
        if (!InUnitInterval(globalThreshold))
            throw new ArgumentException($"Global threshold {globalThreshold} is outside [0, 1].", nameof(globalThreshold));
        for (int j = 0; j < perLabelThresholds.Count; j++)
            if (!InUnitInterval(perLabelThresholds[j]))
                throw new ArgumentException($"Threshold {perLabelThresholds[j]} of label '{labelNames[j]}' is outside [0, 1].", nameof(perLabelThresholds));
        Strategy = strategy;
        Objective = objective;
        GlobalThreshold = globalThreshold;
        LabelNames = labelNames.ToArray();
        PerLabelThresholds = perLabelThresholds.ToArray();
        FallbackLabels = fallbackLabels?.ToArray() ?? [];
        GlobalValidationF1 = globalValidationF1;
        PerLabelValidationF1 = perLabelValidationF1;
    }

    /// <summary>One fixed threshold (default 0.5) for every label, untuned.</summary>
    public static ThresholdSet Fixed(IReadOnlyList<string> labelNames, double threshold = 0.5) =>
        new(ThresholdStrategy.Global, ThresholdObjective.MicroF1, threshold, labelNames, labelNames.Select(_ => threshold).ToArray());

    public ThresholdStrategy Strategy { get; }
    public ThresholdObjective Objective { get; }
    public double GlobalThreshold { get; }
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>[labels], aligned with <see cref="LabelNames"/>.</summary>
    public IReadOnlyList<double> PerLabelThresholds { get; }

    public IReadOnlyList<string> FallbackLabels { get; }
    public double GlobalValidationF1 { get; }
    public double PerLabelValidationF1 { get; }

    /// <summary>The objective reached on validation by the strategy in use.</summary>
    public double ValidationF1 => Strategy == ThresholdStrategy.Global ? GlobalValidationF1 : PerLabelValidationF1;

    /// <summary>The same thresholds with another strategy in use.</summary>
    public ThresholdSet WithStrategy(ThresholdStrategy strategy) =>
        new(strategy, Objective, GlobalThreshold, LabelNames, PerLabelThresholds, FallbackLabels, GlobalValidationF1, PerLabelValidationF1);

    /// <summary>The threshold in use for each of <paramref name="labelNames"/>, in that order. → [labels].</summary>
    /// <exception cref="SentioException">A label has no threshold here.</exception>
    public double[] ThresholdsFor(IReadOnlyList<string> labelNames)
    {
        var missing = labelNames.Where(name => !LabelNames.Contains(name)).ToArray();
        if (missing.Length > 0)
            throw new SentioException($"thresholds: no threshold for label(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}; the threshold set has {string.Join(", ", LabelNames)}");
        return labelNames.Select(name => Strategy == ThresholdStrategy.Global
            ? GlobalThreshold
            : PerLabelThresholds[IndexOf(name)]).ToArray();
    }

    /// <summary>Predictions: probability &gt;= threshold. [samples, labels] in <see cref="LabelNames"/> order →
    /// [samples, labels].</summary>
    /// <exception cref="ArgumentException">The column count differs from the label count.</exception>
    public bool[,] Apply(double[,] probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        return ApplyThresholds(probabilities, ThresholdsFor(LabelNames));
    }

    /// <summary>Writes <c>thresholds.json</c> (or any <paramref name="path"/>) atomically.</summary>
    public void Save(string path) =>
        AtomicFile.WriteJson(path, new ThresholdFile(
            Strategy, Objective, GlobalThreshold,
            LabelNames.Select((name, j) => (name, j)).ToDictionary(x => x.name, x => PerLabelThresholds[x.j]),
            FallbackLabels,
            new ValidationScores(GlobalValidationF1, PerLabelValidationF1)));

    /// <summary>Reads a file written by <see cref="Save"/>. With <paramref name="expectedLabels"/> (the model's
    /// labels), checks that the file has exactly those labels and returns the set in that label order.</summary>
    /// <exception cref="SentioException">The file is missing, not valid JSON, lacks a key, has an unknown
    /// strategy or objective, a value outside [0, 1], or lacks an expected label or has an unexpected one; the
    /// message names the file.</exception>
    public static ThresholdSet Load(string path, IReadOnlyList<string>? expectedLabels = null)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: thresholds file not found");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw SentioException.At(path, (int)(e.LineNumber ?? 0) + 1, $"not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new SentioException($"{path}: expected a JSON object");
            JsonElement Required(string key, JsonValueKind kind)
            {
                if (!root.TryGetProperty(key, out var value)) throw new SentioException($"{path}: missing key '{key}'");
                if (value.ValueKind != kind) throw new SentioException($"{path}: '{key}' must be {kind.ToString().ToLowerInvariant()}, got {value.GetRawText()}");
                return value;
            }
            double Threshold(string key, JsonElement value)
            {
                if (value.ValueKind != JsonValueKind.Number || !InUnitInterval(value.GetDouble()))
                    throw new SentioException($"{path}: {key} = {value.GetRawText()} is not a threshold in [0, 1]");
                return value.GetDouble();
            }
            var strategy = ParseName(path, "strategy", Required("strategy", JsonValueKind.String).GetString()!,
                new Dictionary<string, ThresholdStrategy> { ["global"] = ThresholdStrategy.Global, ["per_label"] = ThresholdStrategy.PerLabel });
            var objective = ParseName(path, "objective", Required("objective", JsonValueKind.String).GetString()!,
                new Dictionary<string, ThresholdObjective> { ["micro_f1"] = ThresholdObjective.MicroF1, ["macro_f1"] = ThresholdObjective.MacroF1 });
            double global = Threshold("global_threshold", Required("global_threshold", JsonValueKind.Number));
            var names = new List<string>();
            var values = new List<double>();
            foreach (var property in Required("per_label", JsonValueKind.Object).EnumerateObject())
            {
                if (names.Contains(property.Name)) throw new SentioException($"{path}: per_label.{property.Name} appears twice");
                names.Add(property.Name);
                values.Add(Threshold($"per_label.{property.Name}", property.Value));
            }
            if (names.Count == 0) throw new SentioException($"{path}: per_label is empty");
            var fallback = root.TryGetProperty("fallback_labels", out var f) && f.ValueKind == JsonValueKind.Array
                ? f.EnumerateArray().Select(e => e.GetString() ?? "").ToArray()
                : [];
            double globalF1 = double.NaN, perLabelF1 = double.NaN;
            if (root.TryGetProperty("validation_f1", out var v) && v.ValueKind == JsonValueKind.Object)
            {
                globalF1 = ReadScore(v, "global");
                perLabelF1 = ReadScore(v, "per_label");
            }
            var set = new ThresholdSet(strategy, objective, global, names, values, fallback, globalF1, perLabelF1);
            if (expectedLabels == null) return set;
            var missing = expectedLabels.Where(label => !names.Contains(label)).ToArray();
            if (missing.Length > 0)
                throw new SentioException($"{path}: per_label has no threshold for label(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}");
            var unknown = names.Where(name => !expectedLabels.Contains(name)).ToArray();
            if (unknown.Length > 0)
                throw new SentioException($"{path}: per_label has threshold(s) for unknown label(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}; expected {string.Join(", ", expectedLabels)}");
            return new ThresholdSet(strategy, objective, global, expectedLabels,
                expectedLabels.Select(label => values[names.IndexOf(label)]).ToArray(), fallback, globalF1, perLabelF1);
        }
    }

    internal static bool[,] ApplyThresholds(double[,] probabilities, IReadOnlyList<double> thresholds)
    {
        int samples = probabilities.GetLength(0), labels = probabilities.GetLength(1);
        if (labels != thresholds.Count)
            throw new ArgumentException($"probabilities have {labels} columns but there are {thresholds.Count} thresholds.", nameof(probabilities));
        var predicted = new bool[samples, labels];
        for (int i = 0; i < samples; i++)
            for (int j = 0; j < labels; j++)
                predicted[i, j] = probabilities[i, j] >= thresholds[j];
        return predicted;
    }

    private static bool InUnitInterval(double value) => value >= 0 && value <= 1;

    private int IndexOf(string name)
    {
        for (int j = 0; j < LabelNames.Count; j++) if (LabelNames[j] == name) return j;
        return -1;
    }

    private static T ParseName<T>(string path, string key, string value, Dictionary<string, T> allowed) =>
        allowed.TryGetValue(value, out var parsed) ? parsed
        : throw new SentioException($"{path}: {key} '{value}' is not one of {string.Join(", ", allowed.Keys)}");

    private static double ReadScore(JsonElement scores, string key) =>
        scores.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : double.NaN;

    private sealed record ValidationScores(double Global, double PerLabel);

    private sealed record ThresholdFile(
        ThresholdStrategy Strategy,
        ThresholdObjective Objective,
        double GlobalThreshold,
        Dictionary<string, double> PerLabel,
        IReadOnlyList<string> FallbackLabels,
        [property: JsonPropertyName("validation_f1")] ValidationScores ValidationF1);
}
