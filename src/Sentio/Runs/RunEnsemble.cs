using System.Diagnostics;
using System.Text.Json;
using Sentio.Data;
using Sentio.Models;
using Sentio.Evaluation;
using Sentio.IO;
using Sentio.Training;

namespace Sentio.Runs;

/// <summary>How <see cref="RunEnsemble"/> weights its members.</summary>
public enum EnsembleWeighting
{
    /// <summary>Every run counts the same.</summary>
    Equal,

    /// <summary>Weights chosen by <see cref="RunEnsemble.TuneWeights"/> on validation, or out of fold for cv runs.</summary>
    Tune,
}

/// <summary>One member run as <c>ensemble.json</c> records it; F1 scores use the run's own thresholds.</summary>
/// <param name="OutOfFoldMacroF1">Its pooled out-of-fold macro-F1, when the ensemble was tuned out of fold.</param>
public sealed record EnsembleMemberRun(string Run, string Folder, double Weight, double ValidationMacroF1, double TestMacroF1, double? OutOfFoldMacroF1);

/// <summary>The summary saved as <c>ensemble.json</c>.</summary>
/// <param name="Weighting">equal or tune.</param>
/// <param name="TunedOn">The split the weights and thresholds were chosen on: <c>oof</c> or <c>validation</c>.</param>
/// <param name="PooledOutOfFoldMacroF1">Macro-F1 of the averaged out-of-fold predictions with the thresholds tuned on
/// them (optimistic by that tuning, as <see cref="CrossValidationSummary.PooledOutOfFoldMacroF1"/>); null when tuned on
/// validation.</param>
public sealed record EnsembleSummary(string Weighting, string TunedOn, IReadOnlyList<EnsembleMemberRun> Members, double? PooledOutOfFoldMacroF1,
    double ValidationMacroF1, double TestMacroF1, double TestMicroF1);

/// <summary>What <see cref="RunEnsemble.Execute"/> produced.</summary>
/// <param name="Members">The member run directories, in the order given.</param>
/// <param name="Weights">[members], summing to 1.</param>
/// <param name="MemberTestMacroF1">[members]: each run alone, with its own thresholds.</param>
/// <param name="OutOfFold">The averaged out-of-fold predictions' metrics, when every member is a <c>sentio cv</c> run.</param>
public sealed record RunEnsembleResult(
    RunDirectory Run,
    IReadOnlyList<string> Members,
    IReadOnlyList<double> Weights,
    IReadOnlyList<double> MemberTestMacroF1,
    ThresholdSet Thresholds,
    MetricsReport? OutOfFold,
    MetricsReport Validation,
    MetricsReport Test);

/// <summary>An ensemble of finished runs (<c>sentio ensemble</c>): the weighted average of their saved validation and
/// test probabilities (<c>predictions/{validation,test}.csv</c>; no model is re-run), thresholds tuned again on the
/// averaged validation probabilities, saved as a run directory whose model is an <see cref="EnsembleClassifier"/>
/// over copies of the runs' model folders, so <c>sentio eval</c> and <c>predict</c> accept it.
/// <para>config.yaml and split_report.json are the first run's: every run must have been evaluated on the same
/// validation and test texts (same ids, labels and truth, in the same order), which is checked.</para>
/// <para>With tuned weights, validation chooses both the weights and the thresholds, so the ensemble's validation
/// F1 is optimistic; its test F1 is not.</para>
/// <para>When every member is a <c>sentio cv</c> run (<c>predictions/oof.csv</c>) over the same training texts, the
/// ensemble keeps the cross-validation protocol instead: its out-of-fold predictions are the weighted average of the
/// members' (each text's from models that never saw it, whatever folds each member cut), and the weights and
/// thresholds are chosen on them, so validation stays unused by the tuning, as in <see cref="CrossValidation"/>.</para></summary>
public static class RunEnsemble
{
    /// <summary>The summary file in the run directory.</summary>
    public const string SummaryFile = "ensemble.json";

    /// <summary>The raw weights the coordinate search of <see cref="TuneWeights"/> tries for each member.</summary>
    public static readonly IReadOnlyList<double> WeightGrid = [0, 0.5, 1, 1.5, 2, 3];

    /// <param name="runPaths">Two or more run directories.</param>
    /// <param name="thresholds">How thresholds are tuned; default: the first run's config's <c>thresholds:</c> section.</param>
    /// <exception cref="SentioException">Fewer than two runs, a run lacks a file, or the runs' predictions do not line up.</exception>
    public static RunEnsembleResult Execute(IReadOnlyList<string> runPaths, EnsembleWeighting weighting, string outputRoot, ThresholdOptions? thresholds = null)
    {
        var clock = Stopwatch.StartNew();
        if (runPaths.Count < 2) throw new SentioException($"--runs: an ensemble needs at least two runs, got {runPaths.Count}");
        var runs = runPaths.Select(path => RunDirectory.Open(path)).ToArray();
        foreach (var member in runs) TrainConfig.Load(member.Config).RequireMultiLabel("sentio ensemble", member.Config);
        var validation = runs.Select(r => LoadPredictions(r, "validation")).ToArray();
        var test = runs.Select(r => LoadPredictions(r, "test")).ToArray();
        CheckAligned(validation, runs.Select(r => r.Predictions("validation")).ToArray());
        CheckAligned(test, runs.Select(r => r.Predictions("test")).ToArray());
        var labels = validation[0].LabelNames;
        if (!test[0].LabelNames.SequenceEqual(labels))
            throw new SentioException($"{runs[0].Predictions("test")}: labels {string.Join(",", test[0].LabelNames)} differ from validation's {string.Join(",", labels)}");
        var firstConfig = TrainConfig.Load(runs[0].Config);
        thresholds ??= firstConfig.Thresholds;
        var outOfFoldPaths = runs.Select(r => r.Predictions(CrossValidation.OutOfFoldSplit)).ToArray();
        SplitPredictions[]? outOfFold = null;
        if (outOfFoldPaths.All(File.Exists))
        {
            outOfFold = outOfFoldPaths.Select(SplitPredictions.Load).ToArray();
            CheckAligned(outOfFold, outOfFoldPaths);
        }
        var tuning = outOfFold ?? validation;

        var weights = weighting == EnsembleWeighting.Tune
            ? TuneWeights(tuning, thresholds)
            : EnsembleClassifier.Normalise(runs.Select(_ => 1.0).ToArray(), runs.Length);

        var run = RunDirectory.CreateUnder(outputRoot, "sentio.Ensemble");
        RunWriter.CopyInputs(runs[0], run, labels);
        var memberFolders = new string[runs.Length];
        for (int m = 0; m < runs.Length; m++)
        {
            memberFolders[m] = Path.Combine(EnsembleClassifier.MembersFolder, $"{m + 1}-{Path.GetFileName(runs[m].Path)}");
            RunWriter.CopyDirectory(runs[m].Model, Path.Combine(run.Model, memberFolders[m]));
        }
        EnsembleClassifier.WriteManifest(run.Model, labels, memberFolders, weights);

        var averagedOutOfFold = outOfFold == null ? null : Average(outOfFold, weights);
        var averagedValidation = Average(validation, weights);
        var tuned = thresholds.Tune(averagedOutOfFold ?? averagedValidation);
        tuned.Save(run.Thresholds);
        var outOfFoldReport = averagedOutOfFold == null ? null : RunWriter.Measure(run, CrossValidation.OutOfFoldSplit, averagedOutOfFold, tuned);
        var validationReport = RunWriter.Measure(run, "validation", averagedValidation, tuned);
        var testReport = RunWriter.Measure(run, "test", Average(test, weights), tuned);

        var members = new EnsembleMemberRun[runs.Length];
        for (int m = 0; m < runs.Length; m++)
        {
            var own = File.Exists(runs[m].Thresholds) ? ThresholdSet.Load(runs[m].Thresholds, labels) : ThresholdSet.Fixed(labels);
            members[m] = new EnsembleMemberRun(runs[m].Path, memberFolders[m].Replace('\\', '/'), weights[m],
                MacroF1(validation[m], own), MacroF1(test[m], own), outOfFold == null ? null : MacroF1(outOfFold[m], own));
        }
        AtomicFile.WriteJson(Path.Combine(run.Path, SummaryFile), new EnsembleSummary(
            JsonNamingPolicy.SnakeCaseLower.ConvertName(weighting.ToString()), outOfFold == null ? "validation" : CrossValidation.OutOfFoldSplit, members,
            outOfFoldReport?.MacroAvg.F1, validationReport.MacroAvg.F1, testReport.MacroAvg.F1, testReport.MicroAvg.F1));
        RunWriter.WriteSummary(run, EnsembleClassifier.ArchitectureName, MemberParameters(runs), firstConfig.Seed, labels, 0, clock.Elapsed.TotalSeconds,
            tuned, validationReport, testReport);
        return new RunEnsembleResult(run, runs.Select(r => r.Path).ToArray(), weights, members.Select(m => m.TestMacroF1).ToArray(), tuned,
            outOfFoldReport, validationReport, testReport);
    }

    /// <summary>The weighted average of aligned predictions (weights normalised to sum 1); ids and truth are the first's.</summary>
    public static SplitPredictions Average(IReadOnlyList<SplitPredictions> members, IReadOnlyList<double> weights)
    {
        var normalised = EnsembleClassifier.Normalise(weights, members.Count);
        var sum = new double[members[0].Count, members[0].LabelNames.Count];
        for (int m = 0; m < members.Count; m++) EnsembleClassifier.AddScaled(sum, members[m].Probabilities, normalised[m]);
        return members[0] with { Probabilities = sum };
    }

    /// <summary>Checks that every prediction file has the first one's labels, ids and truth, in the same order.</summary>
    /// <param name="sources">[members]: the file each came from, for messages.</param>
    /// <exception cref="SentioException">Names the file, the line and the differing values.</exception>
    public static void CheckAligned(IReadOnlyList<SplitPredictions> members, IReadOnlyList<string> sources)
    {
        var first = members[0];
        for (int m = 1; m < members.Count; m++)
        {
            var other = members[m];
            if (!other.LabelNames.SequenceEqual(first.LabelNames))
                throw SentioException.At(sources[m], 1, $"labels {string.Join(",", other.LabelNames)} differ from {string.Join(",", first.LabelNames)} in {sources[0]}; ensemble members must share labels in the same order");
            if (other.Count != first.Count)
                throw new SentioException($"{sources[m]}: {other.Count} rows, but {sources[0]} has {first.Count}; the runs were evaluated on different data");
            for (int i = 0; i < first.Count; i++)
            {
                if (other.Ids[i] != first.Ids[i])
                    throw SentioException.At(sources[m], i + 2, $"id '{other.Ids[i]}' where {sources[0]} has '{first.Ids[i]}'; the runs must predict the same texts in the same order");
                for (int j = 0; j < first.LabelNames.Count; j++)
                    if (other.Truth[i, j] != first.Truth[i, j])
                        throw SentioException.At(sources[m], i + 2, $"id '{first.Ids[i]}': truth of '{first.LabelNames[j]}' differs from {sources[0]}; the runs were evaluated on different labels");
            }
        }
    }

    /// <summary>Member weights chosen on <paramref name="tuning"/> (validation, or out-of-fold predictions) by coordinate
    /// search. Score of a weighting: the macro-F1 of the weighted average of the probabilities, with thresholds tuned on that average
    /// (<paramref name="thresholds"/>). Starting from equal raw weights 1, each member's raw weight in turn is set to
    /// the value of <see cref="WeightGrid"/> that scores best with the others held (a change is kept only if it scores
    /// strictly higher; all-zero is skipped); rounds repeat until one changes nothing, at most 10.</summary>
    /// <returns>[members], summing to 1.</returns>
    public static double[] TuneWeights(IReadOnlyList<SplitPredictions> tuning, ThresholdOptions thresholds)
    {
        var raw = tuning.Select(_ => 1.0).ToArray();
        double best = Score(tuning, raw, thresholds);
        for (int round = 0; round < 10; round++)
        {
            bool changed = false;
            for (int m = 0; m < raw.Length; m++)
            {
                foreach (double candidate in WeightGrid)
                {
                    if (candidate == raw[m]) continue;
                    var trial = (double[])raw.Clone();
                    trial[m] = candidate;
                    if (trial.Sum() == 0) continue;
                    double score = Score(tuning, trial, thresholds);
                    if (score > best) (best, raw, changed) = (score, trial, true);
                }
            }
            if (!changed) break;
        }
        return EnsembleClassifier.Normalise(raw, raw.Length);
    }

    private static double Score(IReadOnlyList<SplitPredictions> tuning, IReadOnlyList<double> weights, ThresholdOptions thresholds)
    {
        var averaged = Average(tuning, weights);
        return MacroF1(averaged, thresholds.Tune(averaged));
    }

    /// <summary>The members' parameter counts summed from their run.json; null when any member's is unknown.</summary>
    private static long? MemberParameters(IReadOnlyList<RunDirectory> runs)
    {
        long total = 0;
        foreach (var member in runs)
        {
            if (!File.Exists(member.Summary)) return null;
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(member.Summary))?["parameters"];
            if (node is not System.Text.Json.Nodes.JsonValue value || !value.TryGetValue(out long count)) return null;
            total += count;
        }
        return total;
    }

    private static double MacroF1(SplitPredictions predictions, ThresholdSet thresholds) =>
        MultiLabelMetrics.F1(predictions.Truth, thresholds.Apply(predictions.Probabilities), Evaluation.Average.Macro);

    private static SplitPredictions LoadPredictions(RunDirectory run, string split)
    {
        string path = run.Predictions(split);
        if (!File.Exists(path)) throw new SentioException($"{path}: not found; the run has no saved {split} predictions (re-run it with this version of sentio)");
        return SplitPredictions.Load(path);
    }
}
