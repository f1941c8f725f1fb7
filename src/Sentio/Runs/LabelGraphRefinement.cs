using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sentio.Catalog;
using Sentio.Evaluation;
using Sentio.IO;
using Sentio.Models;
using Sentio.Training;

namespace Sentio.Runs;

/// <summary>One row of the refiner ablation: a model, where its thresholds were tuned, and its macro-F1 scores.</summary>
public sealed record AblationRow(string Model, string Thresholds, double ValidationMacroF1, double TestMacroF1, double TestMicroF1);

/// <summary>Base vs base + refiner (<c>refiner.json</c>, <c>ablation.md</c>).</summary>
public sealed record RefinerAblation(IReadOnlyList<AblationRow> Rows)
{
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| model | thresholds tuned on | validation macro-F1 | test macro-F1 | test micro-F1 |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var row in Rows)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Model} | {row.Thresholds} | {row.ValidationMacroF1:F4} | {row.TestMacroF1:F4} | {row.TestMicroF1:F4} |");
        return text.ToString();
    }
}

/// <summary>The summary saved as <c>refiner.json</c>.</summary>
public sealed record RefinerSummary(string BaseRun, LabelGraphRefinerOptions Options, RefinerTrainingSummary Training, RefinerAblation Ablation);

/// <summary>What <see cref="LabelGraphRefinement.Execute"/> produced.</summary>
public sealed record RefinementResult(RunDirectory Run, RefinerTrainingSummary Training, RefinerAblation Ablation, MetricsReport Validation, MetricsReport Test);

/// <summary>Trains a <see cref="LabelGraphRefiner"/> on a <c>sentio cv</c> run (<c>sentio refine</c>,
/// <c>sentio cv --refiner</c>) and measures what it adds.
/// <para>The graph comes from the training labels (the truth column of <c>predictions/oof.csv</c>); the GCN trains on
/// the out-of-fold probabilities of the training texts, so it never sees scores of texts a fold model was fitted on,
/// and stops early on the validation loss (validation probabilities: the fold-average ensemble's). Validation and
/// test are refined from the saved probabilities; the base model is not re-run.</para>
/// <para>Ablation: the base with its out-of-fold thresholds (the cv run as is); the base and the refined model each
/// with thresholds tuned on validation (the like-for-like pair; validation F1 is then optimistic, test F1 is not).</para>
/// <para>Writes <c>{cv run}/refined/</c> (or <c>refined-2</c>, ...), a run directory whose model is the refiner over a
/// copy of the cv run's model, plus <c>refiner.json</c> and <c>ablation.md</c>.</para></summary>
public static class LabelGraphRefinement
{
    /// <exception cref="SentioException">The run lacks predictions/oof.csv (not a cv run) or another file.</exception>
    public static RefinementResult Execute(string cvRunPath, LabelGraphRefinerOptions options, ITrainingMonitor monitor, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var baseRun = RunDirectory.Open(cvRunPath);
        string oofPath = baseRun.Predictions(CrossValidation.OutOfFoldSplit);
        if (!File.Exists(oofPath)) throw new SentioException($"{oofPath}: not found; the refiner trains on the out-of-fold predictions of a 'sentio cv' run");
        var outOfFold = SplitPredictions.Load(oofPath);
        var validation = SplitPredictions.Load(baseRun.Predictions("validation"));
        var test = SplitPredictions.Load(baseRun.Predictions("test"));
        var labels = outOfFold.LabelNames;
        foreach (var (split, predictions) in new[] { ("validation", validation), ("test", test) })
            if (!predictions.LabelNames.SequenceEqual(labels))
                throw SentioException.At(baseRun.Predictions(split), 1, $"labels {string.Join(",", predictions.LabelNames)} differ from {string.Join(",", labels)} in {oofPath}");
        var config = TrainConfig.Load(baseRun.Config);
        var thresholdOptions = config.Thresholds;

        var refiner = new LabelGraphRefiner(options, labels, LabelGraph.ConditionalProbabilities(outOfFold.Truth), ModelCatalog.Load(baseRun.Model), config.Seed);
        using (refiner)
        {
            var training = refiner.FitOnScores(outOfFold.Probabilities, outOfFold.Truth, validation.Probabilities, validation.Truth,
                new FitContext(monitor, Cancellation: cancellation));

            monitor.BeginStage("saving the refined run", 0);
            var run = RunDirectory.CreateNamed(baseRun.Path, "refined");
            RunWriter.CopyInputs(baseRun, run, labels);
            refiner.Save(run.Model);

            var refinedValidation = validation with { Probabilities = refiner.Refine(validation.Probabilities) };
            var refinedTest = test with { Probabilities = refiner.Refine(test.Probabilities) };
            var refinedThresholds = thresholdOptions.Tune(refinedValidation);
            refinedThresholds.Save(run.Thresholds);
            var validationReport = RunWriter.Measure(run, "validation", refinedValidation, refinedThresholds);
            var testReport = RunWriter.Measure(run, "test", refinedTest, refinedThresholds);

            var outOfFoldThresholds = ThresholdSet.Load(baseRun.Thresholds, labels);
            var baseValidationThresholds = thresholdOptions.Tune(validation);
            var ablation = new RefinerAblation(
            [
                Row("base (cv fold average)", "out-of-fold", validation, test, outOfFoldThresholds),
                Row("base (cv fold average)", "validation", validation, test, baseValidationThresholds),
                new AblationRow("base + label-graph refiner", "validation", validationReport.MacroAvg.F1, testReport.MacroAvg.F1, testReport.MicroAvg.F1),
            ]);
            AtomicFile.WriteJson(Path.Combine(run.Path, "refiner.json"), new RefinerSummary(baseRun.Path, options, training, ablation));
            AtomicFile.WriteText(Path.Combine(run.Path, "ablation.md"),
                $"# Label-graph refiner ablation\n\nBase run: {baseRun.Path}\n\n{ablation.ToMarkdown()}\n" +
                $"Graph: {training.Edges} edges (τ {options.CooccurrenceThreshold}, p {options.NeighbourWeight}); best epoch {training.BestEpoch} of {training.Epochs}; α {training.Alpha:F4}.\n");
            RunWriter.WriteSummary(run, LabelGraphRefiner.ArchitectureName, refiner.ParameterCount, config.Seed, labels, training.Seconds,
                clock.Elapsed.TotalSeconds, refinedThresholds, validationReport, testReport);
            return new RefinementResult(run, training, ablation, validationReport, testReport);
        }
    }

    private static AblationRow Row(string model, string tunedOn, SplitPredictions validation, SplitPredictions test, ThresholdSet thresholds) =>
        new(model, tunedOn,
            MultiLabelMetrics.F1(validation.Truth, thresholds.Apply(validation.Probabilities), Average.Macro),
            MultiLabelMetrics.F1(test.Truth, thresholds.Apply(test.Probabilities), Average.Macro),
            MultiLabelMetrics.F1(test.Truth, thresholds.Apply(test.Probabilities), Average.Micro));
}
