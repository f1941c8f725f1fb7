using System.Text.Json;
using Sentio.Data;
using Sentio.Evaluation;
using Sentio.IO;
using Sentio.Training;

namespace Sentio.Ensembles;

/// <summary>Writes a split's predictions and metrics into a run directory, as <see cref="TrainingRun"/> does.</summary>
internal static class RunFiles
{
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

    /// <summary>The split list of a run's <c>split_report.json</c>; empty when the run has none.</summary>
    public static IReadOnlyList<SplitInfo> ReadSplits(RunDirectory run) =>
        File.Exists(run.SplitReport)
            ? JsonSerializer.Deserialize<SplitReport>(File.ReadAllText(run.SplitReport), AtomicFile.Json)?.Splits ?? []
            : [];

    /// <summary>Copies a folder and everything in it.</summary>
    public static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source)) AtomicFile.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        foreach (string folder in Directory.GetDirectories(source)) CopyDirectory(folder, Path.Combine(target, Path.GetFileName(folder)));
    }
}
