using Sentio.Tests.Cli;

namespace Sentio.Tests.Reporting;

/// <summary>The report, compare and analyze --plots commands, end to end on synthetic runs and SemEval.</summary>
public class ReportCommandTests
{
    private static (int Exit, string Output, string Error) Sentio(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Report_writes_into_the_run_by_default()
    {
        string folder = TestPaths.NewTempDirectory();
        var run = SyntheticRun.Create(folder, "run", epochs: 1);
        var (exit, output, error) = Sentio("report", "--model-path", run.Path);
        Assert.True(exit == 0, error);
        Assert.True(File.Exists(Path.Combine(run.Path, "report", "report.html")));
        Assert.True(File.Exists(Path.Combine(run.Path, "report", "report.md")));
        Assert.Contains("note: Training curves", output);
    }

    [Fact]
    public void Compare_prints_the_table_and_writes_files()
    {
        string folder = TestPaths.NewTempDirectory();
        var first = SyntheticRun.Create(folder, "run-a", epochs: 1, seed: 1);
        var second = SyntheticRun.Create(folder, "run-b", epochs: 1, seed: 2);
        string target = Path.Combine(folder, "comparison");
        var (exit, output, error) = Sentio("compare", first.Path, second.Path, "--output", target);
        Assert.True(exit == 0, error);
        Assert.StartsWith("| model | architecture |", output);
        Assert.Contains("| run-b | sentio.Synthetic.v1 |", output);
        foreach (string file in new[] { "compare.md", "compare.csv", "compare.png" })
            Assert.True(File.Exists(Path.Combine(target, file)), file);
    }

    [Fact]
    public void Compare_of_a_folder_that_is_not_a_run_fails_with_its_name()
    {
        string folder = TestPaths.NewTempDirectory();
        var (exit, _, error) = Sentio("compare", folder);
        Assert.Equal(1, exit);
        Assert.Contains($"sentio: error: {folder}: not a run directory", error);
    }

    [Fact]
    public void Analyze_writes_label_frequency_and_co_occurrence_plots()
    {
        string target = Path.Combine(TestPaths.NewTempDirectory(), "plots");
        var (exit, _, error) = Sentio("analyze", "--config", Path.Combine(TestPaths.RepoRoot, "configs", "semeval-linear.yaml"),
            "--data-dir", TestPaths.SharedData, "--plots", target);
        Assert.True(exit == 0, error);
        // 5 labels: bars 800 × (140 + 26·5); heatmap (260 + 26·5 + 140) × (260 + 26·5)
        Assert.Equal((800, 270), RunReportTests.PngSize(File.ReadAllBytes(Path.Combine(target, "label_frequencies.png"))));
        Assert.Equal((530, 390), RunReportTests.PngSize(File.ReadAllBytes(Path.Combine(target, "co_occurrence.png"))));
    }
}
