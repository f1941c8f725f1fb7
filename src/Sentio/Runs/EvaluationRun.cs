using Sentio.Data;
using Sentio.Evaluation;
using Sentio.IO;
using Sentio.Models;

namespace Sentio.Runs;

/// <summary>What <see cref="EvaluationRun.Execute"/> measured.</summary>
/// <param name="Source">What was evaluated: a split name ("test split") or a file path.</param>
/// <param name="Report">The multi-label metrics; null for a single-label model.</param>
/// <param name="SingleLabelReport">A single-label model's metrics; null for a multi-label one.</param>
/// <param name="Folder">Where metrics.json and report.txt were written.</param>
public sealed record EvaluationResult(string Source, MultiLabelDataset Data, SplitPredictions Predictions, MetricsReport? Report,
    SingleLabelReport? SingleLabelReport, string Folder)
{
    /// <summary>The report.txt table.</summary>
    public string ToTable() => SingleLabelReport is { } single ? SingleLabelReportFiles.ToTable(single) : Report!.ToTable();
}

/// <summary><c>sentio eval</c>: a trained model with its tuned thresholds (a single-label model: its most probable label) on a
/// split of its run's data or on a labelled file, every metric saved as <c>metrics.json</c> and the per-label table as
/// <c>report.txt</c>.</summary>
public static class EvaluationRun
{
    /// <param name="modelPath">A run directory, or a bare model folder (then <paramref name="dataFile"/> is required).</param>
    /// <param name="model">The loaded model of <paramref name="modelPath"/>.</param>
    /// <param name="thresholds">The thresholds it predicts with (unused for a single-label model).</param>
    /// <param name="split">train, validation or test: a split of the run's data; ignored with <paramref name="dataFile"/>.</param>
    /// <param name="dataFile">A labelled file to evaluate on instead, read with the run's data options (format inferred).</param>
    /// <param name="outputFolder">Default: <c>{modelPath}/eval</c>.</param>
    /// <exception cref="SentioException">An unknown split, no data to evaluate on, or invalid files.</exception>
    public static EvaluationResult Execute(string modelPath, IMultiLabelClassifier model, ThresholdSet thresholds, string split, string? dataFile,
        string? outputFolder, string? dataDir)
    {
        MultiLabelDataset data;
        string source;
        if (dataFile != null)
        {
            var options = RunDirectory.IsRunDirectory(modelPath) ? TrainConfig.Load(RunDirectory.Open(modelPath).Config).Data : new DataOptions();
            data = DatasetLoader.ReadFile(dataFile, options with { Format = null }, model.LabelNames, Directory.GetCurrentDirectory());
            source = dataFile;
        }
        else
        {
            var splits = TrainingRun.LoadSplits(RunDirectory.Open(modelPath), dataDir);
            data = splits.Named.FirstOrDefault(s => s.Name == split).Dataset
                ?? throw new SentioException($"--split: '{split}' is not one of {string.Join(", ", splits.Named.Select(s => s.Name))}");
            source = $"{split} split";
        }
        string folder = outputFolder ?? Path.Combine(modelPath, "eval");
        bool singleLabel = model.ProblemType == ProblemType.SingleLabelClassification;
        // Before predicting, so a row without exactly one label fails fast with its file:line.
        if (singleLabel) SingleLabelClasses.Of(data);
        var predictions = SplitPredictions.Of(data, model.PredictProbabilities(data.Texts));
        if (singleLabel)
        {
            var single = SingleLabelMetrics.Report(predictions);
            SingleLabelReportFiles.Save(single, Path.Combine(folder, "metrics.json"));
            AtomicFile.WriteText(Path.Combine(folder, "report.txt"), SingleLabelReportFiles.ToTable(single));
            return new EvaluationResult(source, data, predictions, null, single, folder);
        }
        var report = MetricsReport.Compute(predictions.Truth, predictions.Probabilities, thresholds, model.LabelNames);
        report.Save(Path.Combine(folder, "metrics.json"));
        AtomicFile.WriteText(Path.Combine(folder, "report.txt"), report.ToTable());
        return new EvaluationResult(source, data, predictions, report, null, folder);
    }
}
