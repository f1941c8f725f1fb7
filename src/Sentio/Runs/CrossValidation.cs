using System.Diagnostics;
using System.Text.Json;
using Sentio.Catalog;
using Sentio.Data;
using Sentio.Evaluation;
using Sentio.IO;
using Sentio.Models;
using Sentio.Training;

namespace Sentio.Runs;

/// <summary>One fold of a cross-validation. F1 scores use the thresholds tuned on the pooled out-of-fold predictions.</summary>
/// <param name="Fold">1-based.</param>
/// <param name="TrainCount">Training examples the fold model was fitted on (the other folds).</param>
/// <param name="HeldOutCount">Training examples of this fold, predicted out of fold.</param>
/// <param name="TestMacroF1">The fold model alone on the test split.</param>
public sealed record FoldResult(
    int Fold, int TrainCount, int HeldOutCount, double FitSeconds, double HeldOutMacroF1, double HeldOutMicroF1, double TestMacroF1);

/// <summary>Mean and sample standard deviation (n - 1 in the denominator) over folds.</summary>
public sealed record MeanStd(double Mean, double Std)
{
    public static MeanStd Of(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new MeanStd(mean, std);
    }

    public override string ToString() => $"{Mean:F4} ± {Std:F4}";
}

/// <summary>The summary saved as <c>cv.json</c>.</summary>
/// <param name="BaseArchitecture">The architecture of the fold models (the config's).</param>
/// <param name="PooledOutOfFoldMacroF1">Macro-F1 of all out-of-fold predictions together, with the thresholds tuned on
/// them (so optimistic by the tuning; the test figures are not).</param>
/// <param name="TestMacroF1">The fold-average ensemble on the test split, with the out-of-fold thresholds.</param>
public sealed record CrossValidationSummary(
    int Folds,
    int Seed,
    string BaseArchitecture,
    IReadOnlyList<FoldResult> PerFold,
    MeanStd HeldOutMacroF1,
    MeanStd HeldOutMicroF1,
    MeanStd FoldModelTestMacroF1,
    double PooledOutOfFoldMacroF1,
    double PooledOutOfFoldMicroF1,
    double ValidationMacroF1,
    double TestMacroF1,
    double TestMicroF1,
    double WallSeconds);

/// <summary>What <see cref="CrossValidation.Execute"/> produced.</summary>
public sealed record CrossValidationResult(
    RunDirectory Run,
    ThresholdSet Thresholds,
    CrossValidationSummary Summary,
    MetricsReport OutOfFold,
    MetricsReport Validation,
    MetricsReport Test);

/// <summary>K-fold cross-validation over the training split (<c>sentio cv</c>).
/// <para>The training split is cut into k folds by iterative multi-label stratification
/// (<see cref="IterativeStratification.KFoldIndices"/>, seeded with the config's seed). Fold model f is fitted on the
/// other k - 1 folds (the validation split serves its early stopping, if it has any) and predicts fold f: every
/// training text gets a probability from a model that never saw it (<c>predictions/oof.csv</c>). Thresholds are
/// tuned on these pooled out-of-fold probabilities, so the validation split stays unused by the tuning. Validation
/// and test probabilities are the average of the k fold models, which together are the run's model (an
/// <see cref="EnsembleClassifier"/> with equal weights).</para>
/// <para>The run directory has <see cref="TrainingRun"/>'s layout, so <c>sentio eval</c>, <c>predict</c> and
/// <c>tune-thresholds</c> accept it (the last re-tunes on validation), plus <c>cv.json</c>,
/// <c>predictions/oof.csv</c> and <c>metrics/oof.{json,txt}</c>. config.yaml is the config each fold model was
/// trained with.</para></summary>
public static class CrossValidation
{
    /// <summary>The split name of the out-of-fold predictions and metrics.</summary>
    public const string OutOfFoldSplit = "oof";

    /// <summary>The summary file in the run directory.</summary>
    public const string SummaryFile = "cv.json";

    /// <param name="folds">k, at least 2.</param>
    /// <param name="configDirectory">The folder relative data paths resolve against (the config file's).</param>
    /// <param name="outputRoot">The folder the new run directory is created in.</param>
    /// <param name="dataDir">A local folder holding the built-in datasets (<c>--data-dir</c>), if given.</param>
    /// <exception cref="SentioException">Invalid data, or fewer training examples than folds.</exception>
    /// <param name="cancellation">Stops the fold being fitted.</param>
    public static CrossValidationResult Execute(TrainConfig config, int folds, string configDirectory, string outputRoot, string? dataDir, ITrainingMonitor monitor,
        CancellationToken cancellation = default)
    {
        if (folds < 2) throw new SentioException($"--folds: expected an integer >= 2, got {folds}");
        config.RequireMultiLabel("sentio cv", "config");
        var clock = Stopwatch.StartNew();
        config = config.WithAbsolutePaths(configDirectory);
        monitor.BeginStage("loading data", 0);
        var splits = config.LoadSplits(configDirectory, dataDir);
        var labels = splits.LabelNames;
        var foldIndices = IterativeStratification.KFoldIndices(splits.Train, folds, config.SplitSeed);

        string shortName = config.Model.Architecture.Split('.').Skip(1).FirstOrDefault() ?? config.Model.Architecture;
        var run = RunDirectory.CreateUnder(outputRoot, $"sentio.Cv{folds}{shortName}");
        monitor.Log($"run directory: {run.Path}");
        foreach (var line in splits.Report.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)) monitor.Log(line);
        RunWriter.WriteInputs(run, config.ToYaml(), labels, splits.Report);

        var outOfFold = new double[splits.Train.Count, labels.Count];
        var validationSum = new double[splits.Validation.Count, labels.Count];
        var testSum = new double[splits.Test.Count, labels.Count];
        var foldTestProbabilities = new double[folds][,];
        var fitSeconds = new double[folds];
        long parameters = 0;
        var memberFolders = new string[folds];
        for (int fold = 0; fold < folds; fold++)
        {
            var (trainIndices, heldOut) = foldIndices[fold];
            monitor.Log($"fold {fold + 1}/{folds}: fitting on {trainIndices.Length:N0} texts, predicting {heldOut.Length:N0}");
            using var model = ModelCatalog.Create(config.Model.Architecture, config.Model.Options, labels, config.Seed);
            var fitClock = Stopwatch.StartNew();
            model.Fit(splits.Train.Subset(trainIndices), splits.Validation, new FitContext(monitor, Cancellation: cancellation));
            fitSeconds[fold] = fitClock.Elapsed.TotalSeconds;
            parameters += model.ParameterCount;
            memberFolders[fold] = Path.Combine(EnsembleClassifier.MembersFolder, $"fold-{fold + 1}");
            model.Save(Path.Combine(run.Model, memberFolders[fold]));

            var heldOutProbabilities = model.PredictProbabilities(splits.Train.Subset(heldOut).Texts);
            for (int r = 0; r < heldOut.Length; r++)
                for (int j = 0; j < labels.Count; j++) outOfFold[heldOut[r], j] = heldOutProbabilities[r, j];
            EnsembleClassifier.AddScaled(validationSum, model.PredictProbabilities(splits.Validation.Texts), 1.0 / folds);
            foldTestProbabilities[fold] = model.PredictProbabilities(splits.Test.Texts);
            EnsembleClassifier.AddScaled(testSum, foldTestProbabilities[fold], 1.0 / folds);
            monitor.Log($"fold {fold + 1}/{folds}: fitted in {fitSeconds[fold]:F1} s");
        }
        EnsembleClassifier.WriteManifest(run.Model, labels, memberFolders, Enumerable.Repeat(1.0, folds).ToArray());

        monitor.BeginStage("thresholds and metrics", 0);
        var trainTruth = splits.Train.LabelMatrix();
        var thresholds = config.Thresholds.Tune(outOfFold, trainTruth, labels);
        thresholds.Save(run.Thresholds);
        var pooled = RunWriter.Measure(run, OutOfFoldSplit, splits.Train, outOfFold, thresholds);
        var validation = RunWriter.Measure(run, "validation", splits.Validation, validationSum, thresholds);
        var test = RunWriter.Measure(run, "test", splits.Test, testSum, thresholds);

        var testTruth = splits.Test.LabelMatrix();
        var perFold = new FoldResult[folds];
        for (int fold = 0; fold < folds; fold++)
        {
            var heldOut = foldIndices[fold].Test;
            var truth = Rows(trainTruth, heldOut);
            var decisions = thresholds.Apply(Rows(outOfFold, heldOut));
            perFold[fold] = new FoldResult(fold + 1, foldIndices[fold].Train.Length, heldOut.Length, fitSeconds[fold],
                MultiLabelMetrics.F1(truth, decisions, Average.Macro), MultiLabelMetrics.F1(truth, decisions, Average.Micro),
                MultiLabelMetrics.F1(testTruth, thresholds.Apply(foldTestProbabilities[fold]), Average.Macro));
        }
        var summary = new CrossValidationSummary(
            folds, config.Seed, config.Model.Architecture, perFold,
            MeanStd.Of(perFold.Select(f => f.HeldOutMacroF1).ToArray()),
            MeanStd.Of(perFold.Select(f => f.HeldOutMicroF1).ToArray()),
            MeanStd.Of(perFold.Select(f => f.TestMacroF1).ToArray()),
            pooled.MacroAvg.F1, pooled.MicroAvg.F1, validation.MacroAvg.F1, test.MacroAvg.F1, test.MicroAvg.F1,
            clock.Elapsed.TotalSeconds);
        AtomicFile.WriteJson(Path.Combine(run.Path, SummaryFile), summary);
        monitor.Log($"held-out macro-F1 {summary.HeldOutMacroF1}, pooled out-of-fold {summary.PooledOutOfFoldMacroF1:F4}; fold-average test macro-F1 {test.MacroAvg.F1:F4} (single fold models {summary.FoldModelTestMacroF1})");
        RunWriter.WriteSummary(run, EnsembleClassifier.ArchitectureName, parameters, config.Seed, labels, fitSeconds.Sum(), clock.Elapsed.TotalSeconds,
            thresholds, validation, test);
        return new CrossValidationResult(run, thresholds, summary, pooled, validation, test);
    }

    /// <summary>The rows at <paramref name="indices"/>: [n, labels] → [indices, labels].</summary>
    internal static T[,] Rows<T>(T[,] matrix, IReadOnlyList<int> indices)
    {
        var rows = new T[indices.Count, matrix.GetLength(1)];
        for (int r = 0; r < indices.Count; r++)
            for (int j = 0; j < matrix.GetLength(1); j++) rows[r, j] = matrix[indices[r], j];
        return rows;
    }
}
