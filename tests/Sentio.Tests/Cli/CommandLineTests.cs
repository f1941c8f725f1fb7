using System.Text.Json;
using Sentio.Evaluation;

namespace Sentio.Tests.Cli;

/// <summary>End-to-end runs of the <c>sentio</c> command on SemEval Track A (2.8k texts: seconds to train).</summary>
public class CommandLineTests
{
    private static (int Exit, string Output, string Error) Sentio(params string[] args) => CliRunner.Run(args);

    private static string Train(string folder)
    {
        var (exit, output, error) = Sentio("train", "--config", SemEvalLinearConfig.Write(folder, "semeval.yaml"), "--output-dir", Path.Combine(folder, "runs"), "--data-dir", TestPaths.SharedData);
        Assert.True(exit == 0, error + output);
        return Directory.GetDirectories(Path.Combine(folder, "runs")).Single();
    }

    private static double MacroF1(string metricsJson) =>
        JsonDocument.Parse(File.ReadAllText(metricsJson)).RootElement.GetProperty("macro_avg").GetProperty("f1").GetDouble();

    [Fact]
    public void Train_writes_a_complete_run_that_eval_and_predict_use()
    {
        string folder = TestPaths.NewTempDirectory();
        string run = Train(folder);
        foreach (var file in new[] { "predictions/validation.csv", "predictions/test.csv", "config.yaml", "labels.txt", "model/model.json", "thresholds.json", "metrics/validation.json", "metrics/test.json", "split_report.json", "train.log", "run.json" })
            Assert.True(File.Exists(Path.Combine(run, file)), $"{file} missing from the run directory");
        Assert.Equal(["anger", "fear", "joy", "sadness", "surprise"], File.ReadAllLines(Path.Combine(run, "labels.txt")));

        var saved = SplitPredictions.Load(Path.Combine(run, "predictions", "test.csv"));
        Assert.Equal(116, saved.Count);
        Assert.Equal(MacroF1(Path.Combine(run, "metrics", "test.json")),
            MultiLabelMetrics.F1(saved.Truth, ThresholdSet.Load(Path.Combine(run, "thresholds.json")).Apply(saved.Probabilities), Average.Macro), 12);

        // eval on the test split with the saved thresholds reproduces the metrics written at training time
        var (exit, _, error) = Sentio("eval", "--model-path", run, "--split", "test", "--data-dir", TestPaths.SharedData);
        Assert.True(exit == 0, error);
        Assert.Equal(MacroF1(Path.Combine(run, "metrics", "test.json")), MacroF1(Path.Combine(run, "eval", "metrics.json")), 12);

        // and so does eval on the same file given directly (the SemEval dev file is the test split)
        (exit, _, error) = Sentio("eval", "--model-path", run, "--data", Path.Combine(TestPaths.SharedData, "semeval2025-track-a", "dev.csv"), "--output-dir", Path.Combine(folder, "direct"));
        Assert.True(exit == 0, error);
        Assert.Equal(MacroF1(Path.Combine(run, "metrics", "test.json")), MacroF1(Path.Combine(folder, "direct", "metrics.json")), 12);

        string predictions = Path.Combine(folder, "predictions.csv");
        (exit, _, error) = Sentio("predict", "--model-path", run, "--input", Path.Combine(TestPaths.SharedData, "semeval2025-track-a", "dev.csv"), "--output", predictions);
        Assert.True(exit == 0, error);
        var lines = File.ReadAllLines(predictions);
        Assert.Equal("id,anger_probability,fear_probability,joy_probability,sadness_probability,surprise_probability,anger,fear,joy,sadness,surprise", lines[0]);
        Assert.Equal(116 + 1, lines.Length);
        Assert.StartsWith("eng_dev_track_a_", lines[1]);

        (exit, var shown, error) = Sentio("predict", "--model-path", run, "--text", "I am so scared of the dark", "--json");
        Assert.True(exit == 0, error);
        var json = JsonDocument.Parse(shown).RootElement[0];
        Assert.Equal(5, json.GetProperty("probabilities").EnumerateObject().Count());
    }

    [Fact]
    public void Same_config_and_seed_give_the_same_metrics()
    {
        string first = Train(TestPaths.NewTempDirectory()), second = Train(TestPaths.NewTempDirectory());
        Assert.Equal(File.ReadAllText(Path.Combine(first, "metrics", "test.json")), File.ReadAllText(Path.Combine(second, "metrics", "test.json")));
        Assert.Equal(File.ReadAllText(Path.Combine(first, "thresholds.json")), File.ReadAllText(Path.Combine(second, "thresholds.json")));
    }

    [Fact]
    public void Tune_thresholds_switches_strategy_and_rewrites_the_file()
    {
        string run = Train(TestPaths.NewTempDirectory());
        var (exit, output, error) = Sentio("tune-thresholds", "--model-path", run, "--strategy", "global", "--data-dir", TestPaths.SharedData);
        Assert.True(exit == 0, error);
        Assert.Contains("using global thresholds", output);
        Assert.Equal("global", JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "thresholds.json"))).RootElement.GetProperty("strategy").GetString());
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json"))).RootElement;
        Assert.Equal("global", summary.GetProperty("threshold_strategy").GetString());
        Assert.Equal(MacroF1(Path.Combine(run, "metrics", "test.json")), summary.GetProperty("test_macro_f1").GetDouble(), 12);

        (exit, _, error) = Sentio("tune-thresholds", "--model-path", run, "--strategy", "PerLabel");
        Assert.Equal(2, exit);
        Assert.StartsWith("sentio: 'PerLabel' is not one of global, per_label", error);
    }

    [Fact]
    public void Bad_input_gives_one_line_errors_and_a_non_zero_exit()
    {
        string folder = TestPaths.NewTempDirectory();
        var (exit, _, error) = Sentio("train", "--config", Path.Combine(folder, "missing.yaml"));
        Assert.Equal(1, exit);
        Assert.Equal($"sentio: error: {Path.Combine(folder, "missing.yaml")}: config file not found", error.Trim());

        (exit, _, error) = Sentio("train", "--config", SemEvalLinearConfig.Write(folder, "semeval.yaml", section: "thresholds: { strategy: maybe }"));
        Assert.Equal(1, exit);
        Assert.Contains("thresholds.strategy: expected one of global, per_label, got \"maybe\"", error);
        Assert.Single(error.Trim().Split('\n'));

        (exit, _, error) = Sentio("predict", "--model-path", folder, "--text", "hi");
        Assert.Equal(1, exit);
        Assert.Contains("model.json: not found", error);

        (exit, _, error) = Sentio("predict", "--model-path", folder);
        Assert.Equal(2, exit);
        Assert.Contains("give either --text or --input", error);
    }

    [Fact]
    public void Analyze_prints_label_counts_and_writes_json()
    {
        string folder = TestPaths.NewTempDirectory();
        string json = Path.Combine(folder, "analysis.json");
        var (exit, output, error) = Sentio("analyze", "--dataset", "semeval2025-track-a", "--output", json, "--data-dir", TestPaths.SharedData);
        Assert.True(exit == 0, error);
        Assert.Contains("fear", output);
        Assert.True(new FileInfo(json).Length > 0);
    }
}
