using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Sentio.Evaluation;
using Sentio.Reporting;

namespace Sentio.Tests.Reporting;

public class RunReportTests
{
    /// <summary>Width and height from a PNG's IHDR chunk (bytes 16..23, big-endian), after checking the signature.</summary>
    internal static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.True(png.Length > 24 && png.AsSpan(0, 8).SequenceEqual(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }), "not a PNG");
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public void Report_writes_html_markdown_and_every_figure()
    {
        string folder = TestPaths.NewTempDirectory();
        var run = SyntheticRun.Create(folder, "run", epochs: 3);
        var files = RunReport.Write(run, "test", Path.Combine(folder, "out"));

        Assert.Equal(
            ["training_curves.png", "roc_curves.png", "precision_recall_curves.png", "confusion_matrices.png", "f1_per_label.png", "threshold_f1.png", "reliability.png"],
            files.Images.Select(Path.GetFileName));
        Assert.Empty(files.Notes);
        // 3 labels → grids of one row of three 300 × 260 panels; the training curves are two 480 × 340 panels
        Assert.Equal((900, 260), PngSize(File.ReadAllBytes(files.Images[1])));
        Assert.Equal((960, 340), PngSize(File.ReadAllBytes(files.Images[0])));
        Assert.Equal((640, 560), PngSize(File.ReadAllBytes(files.Images[6])));

        string html = File.ReadAllText(files.Html);
        // self-contained: each figure is embedded as the exact bytes of the PNG beside it, and nothing else is linked
        var sources = Regex.Matches(html, "src=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(files.Images.Count, sources.Length);
        foreach (var (source, image) in sources.Zip(files.Images))
        {
            Assert.StartsWith("data:image/png;base64,", source);
            Assert.Equal(File.ReadAllBytes(image), Convert.FromBase64String(source["data:image/png;base64,".Length..]));
        }
        Assert.DoesNotContain("href=", html);
        Assert.Contains("# compare &lt;b&gt;macro&lt;/b&gt; &amp; micro", html);

        // the per-label row of "anger" carries its threshold and its F1 at that threshold
        var predictions = SplitPredictions.Load(run.Predictions("test"));
        var predicted = ThresholdSet.Load(run.Thresholds).Apply(predictions.Probabilities);
        double angerF1 = MultiLabelMetrics.F1PerLabel(predictions.Truth, predicted)[1];
        string f1 = angerF1.ToString("0.0000", CultureInfo.InvariantCulture);
        Assert.Matches($"<tr><td>anger</td><td class=\"n\">0.5000</td>(<td class=\"n\">[^<]*</td>){{2}}<td class=\"n\">{f1}</td>", html);

        string markdown = File.ReadAllText(files.Markdown);
        Assert.Contains("![ROC curves](roc_curves.png)", markdown);
        Assert.Matches($@"\| anger \| 0.5000 \| [^|]* \| [^|]* \| {f1} \|", markdown);
        Assert.Contains("# compare <b>macro</b> & micro", markdown);
    }

    [Fact]
    public void A_one_epoch_model_gets_a_note_instead_of_training_curves()
    {
        string folder = TestPaths.NewTempDirectory();
        var run = SyntheticRun.Create(folder, "run", epochs: 1);
        var files = RunReport.Write(run, "validation", Path.Combine(folder, "out"));
        Assert.Equal(6, files.Images.Count);
        Assert.DoesNotContain(files.Images, i => i.EndsWith("training_curves.png"));
        Assert.Contains(files.Notes, n => n.Contains("one pass"));
        Assert.Contains("one pass", File.ReadAllText(files.Html));
    }

    [Fact]
    public void Predictions_of_a_bare_model_folder_with_a_label_never_true_still_get_every_figure()
    {
        // what 'sentio eval' passes for a model folder that is not a run: no config, no epoch log
        string folder = TestPaths.NewTempDirectory();
        var predictions = SyntheticRun.Predictions(50, seed: 3);
        for (int i = 0; i < predictions.Count; i++) predictions.Truth[i, 2] = false; // "fear" never true: no ROC curve
        var files = RunReport.Write(folder, predictions, ThresholdSet.Fixed(SyntheticRun.Labels), "held-out.csv", Path.Combine(folder, "out"));

        Assert.Equal(6, files.Images.Count);
        Assert.Contains(files.Notes, n => n.Contains("no training_log.jsonl"));
        Assert.Contains(files.Notes, n => n == "ROC-AUC undefined (one class only): fear.");
        Assert.Contains(files.Notes, n => n == "No true samples (recall set to 0): fear.");
        string html = File.ReadAllText(files.Html);
        Assert.Contains("held-out.csv (50 texts, 3 labels)", html);
        Assert.DoesNotContain("<h2>Config</h2>", html);
    }

    [Fact]
    public void A_run_without_saved_predictions_is_an_error_naming_the_file()
    {
        string folder = TestPaths.NewTempDirectory();
        var run = SyntheticRun.Create(folder, "run", epochs: 1);
        File.Delete(run.Predictions("test"));
        var error = Assert.Throws<SentioException>(() => RunReport.Write(run, "test", Path.Combine(folder, "out")));
        Assert.Contains(run.Predictions("test"), error.Message);
    }

    [Fact]
    public void A_malformed_epoch_log_line_is_an_error_naming_file_and_line()
    {
        string folder = TestPaths.NewTempDirectory();
        var run = SyntheticRun.Create(folder, "run", epochs: 2);
        File.AppendAllText(run.EpochLog, "{\"epoch\": \"three\"}\n");
        var error = Assert.Throws<SentioException>(() => RunReport.Write(run, "test", Path.Combine(folder, "out")));
        Assert.Contains($"{run.EpochLog}:3", error.Message);
    }
}
