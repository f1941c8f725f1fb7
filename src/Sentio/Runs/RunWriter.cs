using System.Text.Json;
using Sentio.Data;
using Sentio.Evaluation;
using Sentio.IO;

namespace Sentio.Runs;

/// <summary>The summary saved as <c>run.json</c>, written last: its presence marks a complete run.</summary>
/// <param name="Parameters">Learned numbers in the model (<see cref="Models.IMultiLabelClassifier.ParameterCount"/>); null when unknown.</param>
/// <param name="Seed">The config's one seed, as config.yaml and model.json record it.</param>
/// <param name="ThresholdStrategy">global or per_label; <c>argmax</c> for a single-label run, which predicts the most probable label.</param>
/// <param name="ProblemType">single_label_classification for a single-label run; null (multi-label) otherwise, as in runs
/// written before the key existed.</param>
/// <param name="TestAccuracy">A single-label run's test accuracy; null for multi-label runs.</param>
public sealed record RunSummary(
    string Architecture,
    long? Parameters,
    int Seed,
    IReadOnlyList<string> Labels,
    IReadOnlyList<SplitInfo> Splits,
    double FitSeconds,
    double TotalSeconds,
    string ThresholdStrategy,
    double ValidationMacroF1,
    double TestMacroF1,
    double TestMicroF1,
    DateTimeOffset Finished,
    string? ProblemType = null,
    double? TestAccuracy = null);

/// <summary>The one writer of run directories, used by every pipeline that makes one (train, cv, ensemble, refine,
/// tune-thresholds): the same files, the same names, each written atomically.</summary>
public static class RunWriter
{
    /// <summary>Writes what a run knows before its model is fitted: config.yaml, labels.txt and (when given) split_report.json.</summary>
    public static void WriteInputs(RunDirectory run, string configYaml, IReadOnlyList<string> labels, SplitReport? splits)
    {
        AtomicFile.WriteText(run.Config, configYaml);
        AtomicFile.WriteText(run.Labels, string.Join('\n', labels) + "\n");
        if (splits != null) AtomicFile.WriteJson(run.SplitReport, splits);
    }

    /// <summary>As <see cref="WriteInputs"/>, copying config.yaml and split_report.json from the run a new one is derived
    /// from (ensembles, refined runs).</summary>
    public static void CopyInputs(RunDirectory from, RunDirectory run, IReadOnlyList<string> labels)
    {
        AtomicFile.Copy(from.Config, run.Config);
        if (File.Exists(from.SplitReport)) AtomicFile.Copy(from.SplitReport, run.SplitReport);
        AtomicFile.WriteText(run.Labels, string.Join('\n', labels) + "\n");
    }

    /// <summary>Saves <c>predictions/{split}.csv</c> and <c>metrics/{split}.{json,txt}</c>; probabilities are [texts, labels].</summary>
    public static MetricsReport Measure(RunDirectory run, string split, MultiLabelDataset data, double[,] probabilities, ThresholdSet thresholds) =>
        Measure(run, split, SplitPredictions.Of(data, probabilities), thresholds);

    public static MetricsReport Measure(RunDirectory run, string split, SplitPredictions predictions, ThresholdSet thresholds)
    {
        predictions.Save(run.Predictions(split));
        var report = MetricsReport.Compute(predictions.Truth, predictions.Probabilities, thresholds, predictions.LabelNames);
        report.Save(run.MetricsFile(split, "json"));
        AtomicFile.WriteText(run.MetricsFile(split, "txt"), report.ToTable());
        return report;
    }

    /// <summary>Saves <c>predictions/{split}.csv</c> (one-hot truth and every probability) and the single-label
    /// <c>metrics/{split}.{json,txt}</c> of a single-label model's probabilities [texts, classes].</summary>
    public static SingleLabelReport MeasureSingleLabel(RunDirectory run, string split, MultiLabelDataset data, double[,] probabilities)
    {
        var predictions = SplitPredictions.Of(data, probabilities);
        predictions.Save(run.Predictions(split));
        var report = SingleLabelMetrics.Report(predictions);
        SingleLabelReportFiles.Save(report, run.MetricsFile(split, "json"));
        AtomicFile.WriteText(run.MetricsFile(split, "txt"), SingleLabelReportFiles.ToTable(report));
        return report;
    }

    /// <summary>Writes a single-label run's <c>run.json</c>, last.</summary>
    public static RunSummary WriteSingleLabelSummary(RunDirectory run, string architecture, long? parameters, int seed, IReadOnlyList<string> labels,
        double fitSeconds, double totalSeconds, SingleLabelReport validation, SingleLabelReport test)
    {
        var summary = new RunSummary(architecture, parameters, seed, labels, ReadSplits(run), fitSeconds, totalSeconds,
            "argmax", validation.Macro.F1, test.Macro.F1, test.Micro.F1, DateTimeOffset.Now, SingleLabelReportFiles.ProblemType, test.Accuracy);
        AtomicFile.WriteJson(run.Summary, summary);
        return summary;
    }

    /// <summary>Writes <c>run.json</c>, last.</summary>
    public static RunSummary WriteSummary(RunDirectory run, string architecture, long? parameters, int seed, IReadOnlyList<string> labels,
        double fitSeconds, double totalSeconds, ThresholdSet thresholds, MetricsReport validation, MetricsReport test)
    {
        var summary = new RunSummary(architecture, parameters, seed, labels, ReadSplits(run), fitSeconds, totalSeconds,
            StrategyName(thresholds.Strategy), validation.MacroAvg.F1, test.MacroAvg.F1, test.MicroAvg.F1, DateTimeOffset.Now);
        AtomicFile.WriteJson(run.Summary, summary);
        return summary;
    }

    /// <summary>Updates <c>run.json</c> after thresholds were tuned again; a run without one (unfinished) is left so.</summary>
    public static void UpdateSummary(RunDirectory run, ThresholdSet thresholds, MetricsReport validation, MetricsReport test)
    {
        if (ReadSummary(run) is not { } summary) return;
        AtomicFile.WriteJson(run.Summary, summary with
        {
            ThresholdStrategy = StrategyName(thresholds.Strategy),
            ValidationMacroF1 = validation.MacroAvg.F1, TestMacroF1 = test.MacroAvg.F1, TestMicroF1 = test.MicroAvg.F1,
        });
    }

    /// <summary><c>run.json</c>, or null when the run has none.</summary>
    /// <exception cref="SentioException">The file is not valid JSON.</exception>
    public static RunSummary? ReadSummary(RunDirectory run)
    {
        if (!File.Exists(run.Summary)) return null;
        try { return JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(run.Summary), AtomicFile.Json); }
        catch (JsonException e) { throw new SentioException($"{run.Summary}: invalid JSON: {e.Message}", e); }
    }

    /// <summary>The split list of a run's <c>split_report.json</c>; empty when the run has none.</summary>
    public static IReadOnlyList<SplitInfo> ReadSplits(RunDirectory run) =>
        File.Exists(run.SplitReport)
            ? JsonSerializer.Deserialize<SplitReport>(File.ReadAllText(run.SplitReport), AtomicFile.Json)?.Splits ?? []
            : [];

    /// <summary>Copies a folder and everything in it, each file atomically.</summary>
    public static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source)) AtomicFile.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        foreach (string folder in Directory.GetDirectories(source)) CopyDirectory(folder, Path.Combine(target, Path.GetFileName(folder)));
    }

    private static string StrategyName(ThresholdStrategy strategy) => JsonNamingPolicy.SnakeCaseLower.ConvertName(strategy.ToString());
}
