using System.Diagnostics;
using System.Text.Json;
using Sentio.Catalog;
using Sentio.Data;
using Sentio.Evaluation;
using Sentio.IO;
using Sentio.Models;
using Sentio.Training;

namespace Sentio.Runs;

/// <summary>What <see cref="TrainingRun.Execute"/> produced: thresholds and multi-label metrics for a multi-label run,
/// single-label metrics (and no thresholds) for a single-label one.</summary>
public sealed record TrainingRunResult(
    RunDirectory Run,
    ThresholdSet? Thresholds,
    MetricsReport? Validation,
    MetricsReport? Test,
    double FitSeconds,
    SingleLabelReport? SingleLabelValidation = null,
    SingleLabelReport? SingleLabelTest = null);

/// <summary>The whole of <c>sentio train</c>: load the splits, fit the configured model, tune thresholds on
/// validation (multi-label) or predict the most probable label (single-label), measure validation and test, and save
/// everything as a run directory.</summary>
public static class TrainingRun
{
    /// <param name="configDirectory">The folder relative data paths resolve against (the config file's).</param>
    /// <param name="outputRoot">The folder the new run directory is created in.</param>
    /// <param name="dataDir">A local folder holding the built-in datasets (<c>--data-dir</c>), if given.</param>
    /// <param name="cancellation">Stops the fit (see <see cref="ITrainableClassifier.Fit"/>); a neural run stopped so resumes
    /// with <see cref="Resume"/>.</param>
    public static TrainingRunResult Execute(TrainConfig config, string configDirectory, string outputRoot, string? dataDir, ITrainingMonitor monitor,
        CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        config = config.WithAbsolutePaths(configDirectory);
        monitor.BeginStage("loading data", 0);
        var splits = config.LoadSplits(configDirectory, dataDir);
        var run = RunDirectory.CreateUnder(outputRoot, config.Model.Architecture);
        RunWriter.WriteInputs(run, config.ToYaml(), splits.LabelNames, splits.Report);
        return FitAndMeasure(run, config, splits, resuming: false, clock, monitor, cancellation);
    }

    /// <summary>Continues a run that was stopped before it finished (<c>sentio train --resume RUN</c>): reloads
    /// its config and splits, resumes the model's training from the latest checkpoint in <c>checkpoints/</c>,
    /// then tunes and measures as <see cref="Execute"/> does. With the same seed the result equals an
    /// uninterrupted run's.</summary>
    /// <exception cref="SentioException">The run is complete already, or its model trains in one pass and has no checkpoints.</exception>
    public static TrainingRunResult Resume(RunDirectory run, string? dataDir, ITrainingMonitor monitor, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        if (File.Exists(run.Summary)) throw new SentioException($"{run.Path}: the run is complete (run.json exists); nothing to resume");
        if (!File.Exists(run.Config)) throw new SentioException($"{run.Config}: not found; is '{run.Path}' a run directory?");
        var config = TrainConfig.Load(run.Config);
        monitor.BeginStage("loading data", 0);
        var splits = config.LoadSplits(run.Path, dataDir);
        return FitAndMeasure(run, config, splits, resuming: true, clock, monitor, cancellation);
    }

    private static TrainingRunResult FitAndMeasure(RunDirectory run, TrainConfig config, DatasetSplits splits, bool resuming, Stopwatch clock,
        ITrainingMonitor monitor, CancellationToken cancellation)
    {
        using var logged = new RunLogMonitor(run, monitor);
        logged.Log($"{(resuming ? "resuming" : "run directory:")} {run.Path}");
        foreach (var line in splits.Report.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)) logged.Log(line);

        CheckProblemType(config.ProblemType, splits, logged);
        using var model = ModelCatalog.Create(config.Model.Architecture, config.Model.Options, splits.LabelNames, config.Seed, config.ProblemType);
        if (resuming && !model.WritesCheckpoints)
            throw new SentioException($"{run.Path}: {config.Model.Architecture} trains in one pass and writes no checkpoints; train it again instead");
        var fitClock = Stopwatch.StartNew();
        model.Fit(splits.Train, splits.Validation, new FitContext(logged, model.WritesCheckpoints ? run.Checkpoints : null, cancellation));
        double fitSeconds = fitClock.Elapsed.TotalSeconds;
        model.Save(run.Model);

        if (config.ProblemType == ProblemType.SingleLabelClassification)
        {
            logged.BeginStage("metrics", 0);
            var validationReport = RunWriter.MeasureSingleLabel(run, "validation", splits.Validation, model.PredictProbabilities(splits.Validation.Texts));
            var testReport = RunWriter.MeasureSingleLabel(run, "test", splits.Test, model.PredictProbabilities(splits.Test.Texts));
            logged.Log($"validation accuracy {validationReport.Accuracy:F4}, macro-F1 {validationReport.Macro.F1:F4}; test accuracy {testReport.Accuracy:F4}, macro-F1 {testReport.Macro.F1:F4} (most probable label)");
            RunWriter.WriteSingleLabelSummary(run, config.Model.Architecture, model.ParameterCount, config.Seed, splits.LabelNames, fitSeconds,
                clock.Elapsed.TotalSeconds, validationReport, testReport);
            return new TrainingRunResult(run, null, null, null, fitSeconds, validationReport, testReport);
        }

        logged.BeginStage("thresholds and metrics", 0);
        var validationProbabilities = model.PredictProbabilities(splits.Validation.Texts);
        var (thresholds, validation, test) = TuneAndMeasure(run, model, splits, config.Thresholds, validationProbabilities);
        logged.Log($"validation macro-F1 {validation.MacroAvg.F1:F4}, test macro-F1 {test.MacroAvg.F1:F4}, micro-F1 {test.MicroAvg.F1:F4} ({thresholds.Strategy} thresholds)");

        RunWriter.WriteSummary(run, config.Model.Architecture, model.ParameterCount, config.Seed, splits.LabelNames, fitSeconds,
            clock.Elapsed.TotalSeconds, thresholds, validation, test);
        return new TrainingRunResult(run, thresholds, validation, test, fitSeconds);
    }

    /// <summary>Single-label: every row of every split has exactly one label, or the error names the first that has not
    /// (file:line). Multi-label with one label on every training row: one hint line, and the model stays multi-label.</summary>
    private static void CheckProblemType(ProblemType problemType, DatasetSplits splits, ITrainingMonitor monitor)
    {
        if (problemType == ProblemType.SingleLabelClassification)
        {
            foreach (var (_, dataset) in splits.Named) SingleLabelClasses.Of(dataset);
            return;
        }
        if (splits.Train.Count > 0 && splits.Train.Examples.All(e => e.Labels.Length == 1))
            monitor.Log($"hint: every training text has exactly one label; if the classes exclude each other, set problem_type: single_label_classification (softmax, accuracy and a confusion matrix) — this run stays multi-label");
    }

    /// <summary>Reloads the splits a run was trained on, from its saved config (seeded splits come out the same).</summary>
    public static DatasetSplits LoadSplits(RunDirectory run, string? dataDir)
    {
        var config = TrainConfig.Load(run.Config);
        return config.LoadSplits(run.Path, dataDir);
    }

    /// <summary>Tunes a run's thresholds again on its validation split (<c>sentio tune-thresholds</c>), and rewrites
    /// thresholds.json, the validation and test metrics and run.json.</summary>
    /// <param name="strategy">Overrides the run's config (<c>thresholds.strategy</c>); null keeps it.</param>
    /// <param name="objective">Overrides the run's config (<c>thresholds.objective</c>); null keeps it.</param>
    public static (ThresholdSet Thresholds, MetricsReport Validation, MetricsReport Test) RetuneThresholds(
        RunDirectory run, ThresholdStrategy? strategy, ThresholdObjective? objective, string? dataDir)
    {
        var config = TrainConfig.Load(run.Config);
        if (config.ProblemType == ProblemType.SingleLabelClassification)
            throw new SentioException($"{run.Path}: a single_label_classification run predicts the most probable label and has no thresholds to tune");
        var options = config.Thresholds with
        {
            Strategy = strategy ?? config.Thresholds.Strategy,
            Objective = objective ?? config.Thresholds.Objective,
        };
        var splits = config.LoadSplits(run.Path, dataDir);
        using var model = ModelCatalog.Load(run.Model);
        var (thresholds, validation, test) = TuneAndMeasure(run, model, splits, options, model.PredictProbabilities(splits.Validation.Texts));
        RunWriter.UpdateSummary(run, thresholds, validation, test);
        return (thresholds, validation, test);
    }

    private static (ThresholdSet, MetricsReport, MetricsReport) TuneAndMeasure(
        RunDirectory run, IMultiLabelClassifier model, DatasetSplits splits, ThresholdOptions options, double[,] validationProbabilities)
    {
        var thresholds = options.Tune(validationProbabilities, splits.Validation.LabelMatrix(), splits.LabelNames);
        thresholds.Save(run.Thresholds);
        var validation = RunWriter.Measure(run, "validation", splits.Validation, validationProbabilities, thresholds);
        var test = RunWriter.Measure(run, "test", splits.Test, model.PredictProbabilities(splits.Test.Texts), thresholds);
        return (thresholds, validation, test);
    }

    /// <summary>Forwards to the caller's monitor and keeps <c>train.log</c> and <c>training_log.jsonl</c>.</summary>
    private sealed class RunLogMonitor(RunDirectory run, ITrainingMonitor inner) : ITrainingMonitor, IDisposable
    {
        private readonly StreamWriter log = new(run.Log, append: true) { AutoFlush = true };
        private readonly StreamWriter epochs = new(run.EpochLog, append: true) { AutoFlush = true };

        public void BeginStage(string name, int total)
        {
            log.WriteLine($"{DateTime.Now:HH:mm:ss} {name}");
            inner.BeginStage(name, total);
        }

        public void Advance(int steps = 1) => inner.Advance(steps);

        public void TrainingStepEnded(TrainingStep step) => inner.TrainingStepEnded(step);

        public void Log(string message)
        {
            log.WriteLine($"{DateTime.Now:HH:mm:ss}   {message}");
            inner.Log(message);
        }

        public void EpochEnded(EpochSummary summary)
        {
            epochs.WriteLine(JsonSerializer.Serialize(summary, AtomicFile.JsonLine));
            inner.EpochEnded(summary);
        }

        public void Dispose()
        {
            log.Dispose();
            epochs.Dispose();
        }
    }
}
