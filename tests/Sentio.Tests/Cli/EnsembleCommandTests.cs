using System.Text.Json;
using Sentio.Tests.Cli;
using Sentio.Runs;
using Sentio.Evaluation;
using Sentio.Models;
using Sentio.Catalog;

namespace Sentio.Tests.Cli;

/// <summary>End to end on SemEval Track A (2.8k texts; the official dev set of 116 is the test split): cv, refine,
/// ensemble, and eval/predict on the run directories they write.</summary>
public class EnsembleCommandTests
{
    private static (int Exit, string Output, string Error) Sentio(params string[] args) => CliRunner.Run(args);

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static double MacroF1(string metricsJson) => Json(metricsJson).GetProperty("macro_avg").GetProperty("f1").GetDouble();

    private static string NewestRun(string runs) => Directory.GetDirectories(runs).OrderBy(d => Directory.GetCreationTimeUtc(d)).ThenBy(d => d).Last();

    [Fact]
    public void Cv_refine_ensemble_and_submission_write_runs_that_eval_and_predict_accept()
    {
        string folder = TestPaths.NewTempDirectory(), runs = Path.Combine(folder, "runs");
        var (exit, output, error) = Sentio("cv", "--config", SemEvalLinearConfig.Write(folder, "cv.yaml", modelKey: "char_ngrams: null"), "--folds", "3",
            "--output-dir", runs, "--data-dir", TestPaths.SharedData);
        Assert.True(exit == 0, error + output);
        string cv = NewestRun(runs);
        foreach (var file in new[] { "config.yaml", "labels.txt", "model/model.json", "model/members/fold-3/model.json", "thresholds.json", "cv.json", "run.json",
                     "predictions/oof.csv", "predictions/validation.csv", "predictions/test.csv", "metrics/oof.json", "metrics/test.json" })
            Assert.True(File.Exists(Path.Combine(cv, file)), $"{file} missing from the cv run");

        // every training text is predicted out of fold exactly once; the pooled figure in cv.json is recomputable
        var outOfFold = SplitPredictions.Load(Path.Combine(cv, "predictions", "oof.csv"));
        var summary = Json(Path.Combine(cv, "cv.json"));
        var folds = summary.GetProperty("per_fold").EnumerateArray().ToArray();
        Assert.Equal(3, folds.Length);
        Assert.Equal(outOfFold.Count, folds.Sum(f => f.GetProperty("held_out_count").GetInt32()));
        Assert.Equal(outOfFold.Count, outOfFold.Ids.Distinct().Count());
        var thresholds = ThresholdSet.Load(Path.Combine(cv, "thresholds.json"));
        Assert.Equal(summary.GetProperty("pooled_out_of_fold_macro_f1").GetDouble(),
            MultiLabelMetrics.F1(outOfFold.Truth, thresholds.Apply(outOfFold.Probabilities), Average.Macro), 12);

        // the saved test probabilities are the mean of the three fold models, which the run's model reproduces
        var test = SplitPredictions.Load(Path.Combine(cv, "predictions", "test.csv"));
        Assert.Equal(116, test.Count);
        double[,] mean = new double[test.Count, 5];
        for (int fold = 1; fold <= 3; fold++)
        {
            using var member = ModelCatalog.Load(Path.Combine(cv, "model", "members", $"fold-{fold}"));
            var p = member.PredictProbabilities(TestTexts());
            for (int i = 0; i < test.Count; i++)
                for (int j = 0; j < 5; j++) mean[i, j] += p[i, j] / 3;
        }
        for (int i = 0; i < test.Count; i++)
            for (int j = 0; j < 5; j++) Assert.Equal(mean[i, j], test.Probabilities[i, j], 1e-12);

        (exit, _, error) = Sentio("eval", "--model-path", cv, "--split", "test", "--data-dir", TestPaths.SharedData);
        Assert.True(exit == 0, error);
        Assert.Equal(MacroF1(Path.Combine(cv, "metrics", "test.json")), MacroF1(Path.Combine(cv, "eval", "metrics.json")), 12);

        // submission: id + one 0/1 column per label, the run's thresholds applied
        string submission = Path.Combine(folder, "submission.csv");
        (exit, _, error) = Sentio("predict", "--model-path", cv, "--input", Path.Combine(TestPaths.SharedData, "semeval2025-track-a", "dev.csv"), "--submission", submission);
        Assert.True(exit == 0, error);
        var lines = File.ReadAllLines(submission);
        Assert.Equal("id,anger,fear,joy,sadness,surprise", lines[0]);
        Assert.Equal(117, lines.Length);
        var decisions = thresholds.Apply(test.Probabilities);
        Assert.Equal($"{test.Ids[0]}," + string.Join(',', Enumerable.Range(0, 5).Select(j => decisions[0, j] ? "1" : "0")), lines[1]);

        // refiner (2 epochs keep the test short): a run directory inside the cv run, loadable by eval
        string refinerOptions = Path.Combine(folder, "refiner.yaml");
        File.WriteAllText(refinerOptions, "epochs: 2\nhidden_size: 8\nembedding_size: 4\n");
        (exit, output, error) = Sentio("refine", "--run", cv, "--refiner", refinerOptions);
        Assert.True(exit == 0, error + output);
        string refined = Path.Combine(cv, "refined");
        Assert.Contains("| base + label-graph refiner | validation |", File.ReadAllText(Path.Combine(refined, "ablation.md")));
        Assert.Equal(3, Json(Path.Combine(refined, "refiner.json")).GetProperty("ablation").GetProperty("rows").GetArrayLength());
        (exit, _, error) = Sentio("eval", "--model-path", refined, "--split", "test", "--data-dir", TestPaths.SharedData);
        Assert.True(exit == 0, error);
        Assert.Equal(MacroF1(Path.Combine(refined, "metrics", "test.json")), MacroF1(Path.Combine(refined, "eval", "metrics.json")), 12);

        // an ensemble of the cv run and a word-only single run: equal weights average the saved probabilities
        (exit, _, error) = Sentio("train", "--config", SemEvalLinearConfig.Write(folder, "chars.yaml", modelKey: "word_ngrams: null"), "--output-dir", runs, "--data-dir", TestPaths.SharedData);
        Assert.True(exit == 0, error);
        string single = NewestRun(runs);

        // a run without out-of-fold scores: the refiner fits on half of validation; the base keeps its own thresholds' F1
        (exit, output, error) = Sentio("refine", "--run", single, "--refiner", refinerOptions);
        Assert.True(exit == 0, error + output);
        var rows = Json(Path.Combine(single, "refined", "refiner.json")).GetProperty("ablation").GetProperty("rows");
        Assert.Equal(["base", "base", "base + label-graph refiner"], rows.EnumerateArray().Select(r => r.GetProperty("model").GetString()));
        Assert.Equal(["validation (its own)", "validation, second half", "validation, second half"], rows.EnumerateArray().Select(r => r.GetProperty("thresholds").GetString()));
        Assert.Equal(MacroF1(Path.Combine(single, "metrics", "test.json")), rows[0].GetProperty("test_macro_f1").GetDouble(), 12);
        Assert.Equal(MacroF1(Path.Combine(single, "refined", "metrics", "test.json")), rows[2].GetProperty("test_macro_f1").GetDouble(), 12);
        string ensembles = Path.Combine(folder, "ensembles");
        (exit, output, error) = Sentio("ensemble", "--runs", cv, single, "--output-dir", ensembles);
        Assert.True(exit == 0, error + output);
        string ensemble = NewestRun(ensembles);
        var singleTest = SplitPredictions.Load(Path.Combine(single, "predictions", "test.csv"));
        var ensembleTest = SplitPredictions.Load(Path.Combine(ensemble, "predictions", "test.csv"));
        Assert.Equal((test.Probabilities[7, 2] + singleTest.Probabilities[7, 2]) / 2, ensembleTest.Probabilities[7, 2], 1e-15);
        (exit, _, error) = Sentio("eval", "--model-path", ensemble, "--split", "test", "--data-dir", TestPaths.SharedData);
        Assert.True(exit == 0, error);
        Assert.Equal(MacroF1(Path.Combine(ensemble, "metrics", "test.json")), MacroF1(Path.Combine(ensemble, "eval", "metrics.json")), 12);
        Assert.Equal("validation", Json(Path.Combine(ensemble, "ensemble.json")).GetProperty("tuned_on").GetString());
        Assert.False(File.Exists(Path.Combine(ensemble, "predictions", "oof.csv")));

        // an ensemble of two cv runs stays out of fold: its oof.csv averages theirs, and its thresholds are the ones
        // whose pooled out-of-fold F1 it reports
        (exit, _, error) = Sentio("cv", "--config", SemEvalLinearConfig.Write(folder, "cv-chars.yaml", modelKey: "word_ngrams: null"), "--folds", "3",
            "--output-dir", runs, "--data-dir", TestPaths.SharedData);
        Assert.True(exit == 0, error);
        string secondCv = NewestRun(runs);
        (exit, output, error) = Sentio("ensemble", "--runs", cv, secondCv, "--output-dir", ensembles);
        Assert.True(exit == 0, error + output);
        string cvEnsemble = NewestRun(ensembles);
        var secondOutOfFold = SplitPredictions.Load(Path.Combine(secondCv, "predictions", "oof.csv"));
        var ensembleOutOfFold = SplitPredictions.Load(Path.Combine(cvEnsemble, "predictions", "oof.csv"));
        Assert.Equal(outOfFold.Ids, ensembleOutOfFold.Ids);
        for (int i = 0; i < outOfFold.Count; i += 97)
            Assert.Equal((outOfFold.Probabilities[i, 4] + secondOutOfFold.Probabilities[i, 4]) / 2, ensembleOutOfFold.Probabilities[i, 4], 1e-15);
        var ensembleSummary = Json(Path.Combine(cvEnsemble, "ensemble.json"));
        Assert.Equal("oof", ensembleSummary.GetProperty("tuned_on").GetString());
        var ensembleThresholds = ThresholdSet.Load(Path.Combine(cvEnsemble, "thresholds.json"));
        double pooled = MultiLabelMetrics.F1(ensembleOutOfFold.Truth, ensembleThresholds.Apply(ensembleOutOfFold.Probabilities), Average.Macro);
        Assert.Equal(pooled, ensembleSummary.GetProperty("pooled_out_of_fold_macro_f1").GetDouble(), 12);
        Assert.Contains($"pooled out-of-fold macro-F1 {pooled:F4}", output);
        Assert.Equal(summary.GetProperty("pooled_out_of_fold_macro_f1").GetDouble(),
            ensembleSummary.GetProperty("members")[0].GetProperty("out_of_fold_macro_f1").GetDouble(), 12);
        var ensembleValidation = SplitPredictions.Load(Path.Combine(cvEnsemble, "predictions", "validation.csv"));
        Assert.Equal(MultiLabelMetrics.F1(ensembleValidation.Truth, ensembleThresholds.Apply(ensembleValidation.Probabilities), Average.Macro),
            MacroF1(Path.Combine(cvEnsemble, "metrics", "validation.json")), 12);

        // a path that is not a run directory is refused
        (exit, _, error) = Sentio("ensemble", "--runs", cv, refined, Path.Combine(folder, "nowhere"), "--output-dir", ensembles);
        Assert.Equal(1, exit);
        Assert.Contains("nowhere: not a run directory", error);
    }

    private static string[] TestTexts() =>
        global::Sentio.Data.DatasetLoader.ReadUnlabeled(Path.Combine(TestPaths.SharedData, "semeval2025-track-a", "dev.csv")).Select(r => r.Text).ToArray();
}
