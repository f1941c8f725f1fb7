using System.Globalization;
using Sentio.Data;
using Sentio.Evaluation;
using Sentio.Models;
using Sentio.Reporting;
using Sentio.Text;
using Sentio.Training;
using Sentio.Runs;

namespace Sentio.Tests.Reporting;

public class RunComparisonTests
{
    private static double MacroF1(RunDirectory run)
    {
        var predictions = SplitPredictions.Load(run.Predictions("test"));
        return MultiLabelMetrics.F1(predictions.Truth, ThresholdSet.Load(run.Thresholds).Apply(predictions.Probabilities), Average.Macro);
    }

    [Fact]
    public void Comparison_reads_test_metrics_and_fit_time_and_writes_markdown_csv_and_chart()
    {
        string folder = TestPaths.NewTempDirectory();
        var first = SyntheticRun.Create(folder, "run-a", epochs: 1, seed: 5);
        var second = SyntheticRun.Create(folder, "run-b", epochs: 1, seed: 9);
        var comparison = RunComparison.Of([first.Path, second.Path]);

        Assert.Equal(["run-a", "run-b"], comparison.Rows.Select(r => r.Run));
        Assert.Equal(MacroF1(first), comparison.Rows[0].MacroF1, 15);
        Assert.Equal(MacroF1(second), comparison.Rows[1].MacroF1, 15);
        Assert.All(comparison.Rows, r => Assert.Equal(SyntheticRun.FitSeconds, r.FitSeconds));
        Assert.All(comparison.Rows, r => Assert.Null(r.Parameters)); // run.json records no parameter count

        var files = comparison.Write(Path.Combine(folder, "out"));
        Assert.Equal(["compare.md", "compare.csv", "compare.png"], files.Select(Path.GetFileName));
        string[] markdown = File.ReadAllLines(files[0]);
        Assert.Equal("| model | architecture | parameters | training time (s) | micro-F1 | macro-F1 | micro precision | micro recall | hamming loss | subset accuracy |", markdown[0]);
        Assert.StartsWith($"| run-a | sentio.Synthetic.v1 | n/a | 12.5 | ", markdown[2]);
        Assert.Contains($" | {MacroF1(first).ToString("0.0000", CultureInfo.InvariantCulture)} | ", markdown[2]);

        string[] csv = File.ReadAllLines(files[1]);
        Assert.Equal("model,architecture,parameters,training_time_seconds,micro_F1,macro_F1,micro_precision,micro_recall,hamming_loss,subset_accuracy", csv[0]);
        string[] fields = csv[2].Split(',');
        Assert.Equal(["run-b", "sentio.Synthetic.v1", "", "12.5"], fields[..4]);
        Assert.Equal(MacroF1(second), double.Parse(fields[5], CultureInfo.InvariantCulture));
        Assert.Equal((640, 480), RunReportTests.PngSize(File.ReadAllBytes(files[2])));
    }

    [Fact]
    public void Parameters_of_an_ngram_linear_model_are_labels_times_features_plus_bias()
    {
        // word unigrams seen at least once: happy, day, sad, night → 4 features; 2 labels × (4 + 1 bias) = 10
        var options = new NGramLinearOptions
        {
            WordNgrams = new NGramBlockOptions { Analyzer = NGramAnalyzer.Word, MinN = 1, MaxN = 1, MinDocumentFrequency = 1 },
            CharNgrams = null,
        };
        string[] labels = ["joy", "sorrow"];
        var train = new MultiLabelDataset(labels,
        [
            new TextExample("1", "happy day", [0]), new TextExample("2", "sad day", [1]),
            new TextExample("3", "happy night", [0]), new TextExample("4", "sad night", [1]),
        ]);
        using var model = new NGramLinear(options, labels, seed: 1);
        Assert.Equal(0, model.ParameterCount);
        model.Fit(train, null, FitContext.Silent);
        Assert.Equal(10, model.ParameterCount);
    }

    [Fact]
    public void Parameters_come_from_the_count_training_wrote_into_run_json()
    {
        string folder = TestPaths.NewTempDirectory();
        var run = SyntheticRun.Create(folder, "counted", epochs: 1);
        File.WriteAllText(run.Summary, """{ "architecture": "sentio.Synthetic.v1", "parameters": 16, "fit_seconds": 1.5 }""");
        var comparison = RunComparison.Of([run.Path]);
        Assert.Equal(16, comparison.Rows.Single().Parameters);
        Assert.Contains("| 16 |", comparison.ToMarkdown());
    }

    [Fact]
    public void A_folder_that_is_not_a_run_is_an_error_naming_it()
    {
        string folder = TestPaths.NewTempDirectory();
        var error = Assert.Throws<SentioException>(() => RunComparison.Of([folder]));
        Assert.Contains(folder, error.Message);
    }

    [Fact]
    public void A_metrics_file_without_a_key_is_an_error_naming_file_and_key()
    {
        string folder = TestPaths.NewTempDirectory();
        var run = SyntheticRun.Create(folder, "run", epochs: 1);
        File.WriteAllText(run.MetricsFile("test", "json"), """{ "micro_avg": { "f1": 0.5 } }""");
        var error = Assert.Throws<SentioException>(() => RunComparison.Of([run.Path]));
        Assert.Contains(run.MetricsFile("test", "json"), error.Message);
        Assert.Contains("macro_avg.f1", error.Message);
    }
}
