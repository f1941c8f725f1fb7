using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sentio.Catalog;
using Sentio.Data;
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

/// <summary>Trains a <see cref="LabelGraphRefiner"/> on a run's saved probabilities (<c>sentio refine</c>,
/// <c>sentio cv --refiner</c>) and measures what it adds.
/// <para>A run with out-of-fold predictions (<c>sentio cv</c>, or <c>sentio ensemble</c> of cv runs): the graph comes from the training labels (the truth column of
/// <c>predictions/oof.csv</c>); the GCN trains on the out-of-fold probabilities of the training texts, so it never sees
/// scores of texts a fold model was fitted on, and stops early on the validation loss (validation probabilities: the
/// fold-average ensemble's). Ablation: the base with its out-of-fold thresholds (the cv run as is); the base and the
/// refined model each with thresholds tuned on validation (the like-for-like pair; validation F1 is then optimistic,
/// test F1 is not).</para>
/// <para>Any other run (<c>sentio train</c>, <c>sentio ensemble</c> of such runs), whose training-set scores come from models fitted
/// on those texts: validation is split in two halves (iterative stratification, the config's seed). The graph comes from
/// the first half's labels and the GCN trains on its probabilities; it stops early on the second half, where both the
/// base's and the refined model's thresholds are then tuned (the like-for-like pair), beside the base with its own
/// thresholds (tuned on all of validation).</para>
/// <para>Validation and test are refined from the saved probabilities; the base model is not re-run. Writes
/// <c>{run}/refined/</c> (or <c>refined-2</c>, ...), a run directory whose model is the refiner over a copy of the run's
/// model, plus <c>refiner.json</c> and <c>ablation.md</c>.</para></summary>
public static class LabelGraphRefinement
{
    /// <exception cref="SentioException">The run lacks a predictions file, or their labels differ.</exception>
    public static RefinementResult Execute(string runPath, LabelGraphRefinerOptions options, ITrainingMonitor monitor, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var baseRun = RunDirectory.Open(runPath);
        var validation = SplitPredictions.Load(baseRun.Predictions("validation"));
        var test = SplitPredictions.Load(baseRun.Predictions("test"));
        var labels = validation.LabelNames;
        void RequireLabels(SplitPredictions predictions, string path)
        {
            if (!predictions.LabelNames.SequenceEqual(labels))
                throw SentioException.At(path, 1, $"labels {string.Join(",", predictions.LabelNames)} differ from {string.Join(",", labels)} in {baseRun.Predictions("validation")}");
        }
        RequireLabels(test, baseRun.Predictions("test"));
        var config = TrainConfig.Load(baseRun.Config);
        var thresholdOptions = config.Thresholds;

        // What the GCN fits on and what it stops early (and, without out-of-fold scores, tunes thresholds) on.
        string oofPath = baseRun.Predictions(CrossValidation.OutOfFoldSplit);
        bool crossValidated = File.Exists(oofPath);
        SplitPredictions fitOn, stopOn;
        int[]? secondHalf = null;
        if (crossValidated)
        {
            fitOn = SplitPredictions.Load(oofPath);
            RequireLabels(fitOn, oofPath);
            stopOn = validation;
        }
        else
        {
            int[] half = IterativeStratification.Split(validation.TruthAsDataset(), [0.5, 0.5], config.Seed);
            fitOn = validation.Rows(Enumerable.Range(0, validation.Count).Where(i => half[i] == 0).ToArray());
            secondHalf = Enumerable.Range(0, validation.Count).Where(i => half[i] == 1).ToArray();
            stopOn = validation.Rows(secondHalf);
        }

        var refiner = new LabelGraphRefiner(options, labels, LabelGraph.ConditionalProbabilities(fitOn.Truth), ModelCatalog.Load(baseRun.Model), config.Seed);
        using (refiner)
        {
            var training = refiner.FitOnScores(fitOn.Probabilities, fitOn.Truth, stopOn.Probabilities, stopOn.Truth,
                new FitContext(monitor, Cancellation: cancellation));

            monitor.BeginStage("saving the refined run", 0);
            var run = RunDirectory.CreateNamed(baseRun.Path, "refined");
            RunWriter.CopyInputs(baseRun, run, labels);
            refiner.Save(run.Model);

            var refinedValidation = validation with { Probabilities = refiner.Refine(validation.Probabilities) };
            var refinedTest = test with { Probabilities = refiner.Refine(test.Probabilities) };
            // Thresholds are tuned where the GCN stopped early: all of validation, or its second half.
            var refinedThresholds = thresholdOptions.Tune(secondHalf is null ? refinedValidation : refinedValidation.Rows(secondHalf));
            refinedThresholds.Save(run.Thresholds);
            var validationReport = RunWriter.Measure(run, "validation", refinedValidation, refinedThresholds);
            var testReport = RunWriter.Measure(run, "test", refinedTest, refinedThresholds);

            var ownThresholds = ThresholdSet.Load(baseRun.Thresholds, labels);
            var baseThresholds = thresholdOptions.Tune(stopOn);
            string tunedOn = crossValidated ? "validation" : "validation, second half";
            var ablation = new RefinerAblation(
            [
                crossValidated
                    ? Row("base (cv fold average)", "out-of-fold", validation, test, ownThresholds)
                    : Row("base", "validation (its own)", validation, test, ownThresholds),
                Row(crossValidated ? "base (cv fold average)" : "base", tunedOn, validation, test, baseThresholds),
                new AblationRow("base + label-graph refiner", tunedOn, validationReport.MacroAvg.F1, testReport.MacroAvg.F1, testReport.MicroAvg.F1),
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
