using System.Globalization;
using Sentio.Inference;
using Sentio.Tests.Reporting;
using Xunit.Abstractions;

namespace Sentio.Tests.Serving;

/// <summary>The page at <c>/</c> in headless Chromium (Debian's <c>chromium</c>): typing a sentence and clicking Predict
/// draws one bar per label with the model's probabilities, the chosen labels highlighted; a CSV upload comes back as
/// the predictions CSV <c>sentio predict</c> writes.</summary>
public class WebPageBrowserTests(LinearRunFixture run, ITestOutputHelper log) : IClassFixture<LinearRunFixture>
{
    private const string Sentence = "I can't believe you did this, I'm so angry and scared.";

    [Fact]
    public async Task Typing_a_sentence_and_clicking_predict_draws_the_model_s_bars()
    {
        string chromium = ReportBrowserTests.FindChromium();
        string folder = TestPaths.NewTempDirectory();
        await using var server = await TestServer.StartAsync(run.RunPath);
        using var predictor = Predictor.Load(run.RunPath);
        var expected = predictor.Predict([Sentence])[0];

        await using var browser = await DevToolsBrowser.LaunchAsync(chromium, Path.Combine(folder, "profile"), 1000, 760);
        await browser.SendAsync("Page.navigate", new { url = server.Address.AbsoluteUri });
        await browser.WaitForAsync("document.getElementById('model').textContent.endsWith('thresholds')", TimeSpan.FromSeconds(20));
        Assert.Equal("5 labels, per-label thresholds", (string?)await browser.EvaluateAsync("document.getElementById('model').textContent"));

        await browser.EvaluateAsync("document.getElementById('text').focus()");
        await browser.SendAsync("Input.insertText", new { text = Sentence });
        await browser.ClickAsync("#predict");
        await browser.WaitForAsync($"document.querySelectorAll('.bar-row').length === {predictor.LabelNames.Count}", TimeSpan.FromSeconds(20));

        var rows = (await browser.EvaluateAsync("""
            [...document.querySelectorAll('.bar-row')].map(r => [r.dataset.label, r.dataset.probability,
              r.classList.contains('chosen') ? 'chosen' : '', r.querySelector('.bar').style.width,
              getComputedStyle(r.querySelector('.bar')).backgroundColor, String(r.querySelector('.bar').getBoundingClientRect().width)])
            """))!.AsArray().Select(r => r!.AsArray().Select(v => (string)v!).ToArray()).ToArray();
        // Bars in descending probability; each probability exactly the model's; the chosen ones are the labels at or
        // above the run's tuned thresholds, drawn in the highlight colour.
        var byProbability = predictor.LabelNames.Select((label, j) => (label, p: expected.Probabilities[j])).OrderByDescending(x => x.p).ToArray();
        Assert.Equal(byProbability.Select(x => x.label), rows.Select(r => r[0]));
        Assert.Equal(byProbability.Select(x => x.p), rows.Select(r => double.Parse(r[1], CultureInfo.InvariantCulture)));
        Assert.Equal(byProbability.Select(x => (100 * x.p).ToString("F2", CultureInfo.InvariantCulture) + "%"), rows.Select(r => r[3]));
        Assert.Equal(byProbability.Select(x => expected.Labels.Contains(x.label) ? "chosen" : ""), rows.Select(r => r[2]));
        Assert.NotEmpty(expected.Labels);
        Assert.All(rows, r => Assert.Equal(r[2] == "chosen" ? "rgb(228, 87, 46)" : "rgb(169, 180, 200)", r[4]));
        // The drawn widths keep the probabilities' ratios (the top bar against the second).
        double top = double.Parse(rows[0][5], CultureInfo.InvariantCulture), second = double.Parse(rows[1][5], CultureInfo.InvariantCulture);
        Assert.Equal(byProbability[1].p / byProbability[0].p, second / top, 2);

        string screenshot = Path.Combine(folder, "serve-page.png");
        var shot = await browser.SendAsync("Page.captureScreenshot", new { format = "png" });
        File.WriteAllBytes(screenshot, Convert.FromBase64String(shot["data"]!.GetValue<string>()));
        Assert.Equal((1000, 760), RunReportTests.PngSize(File.ReadAllBytes(screenshot)));
        log.WriteLine($"screenshot: {screenshot}");

        // A CSV upload through the file input, downloaded from the page's link, equals what the CLI writes.
        string input = Path.Combine(folder, "texts.csv");
        File.WriteAllText(input, $"id,text\na,\"{Sentence}\"\nb,Thank you so much for the lovely gift!\n");
        string cliOutput = Path.Combine(folder, "cli.csv");
        var (exit, _, error) = Cli.CliRunner.Run("predict", "--model-path", run.RunPath, "--input", input, "--output", cliOutput);
        Assert.True(exit == 0, error);
        var document = await browser.SendAsync("DOM.getDocument");
        var fileInput = await browser.SendAsync("DOM.querySelector", new { nodeId = document["root"]!["nodeId"]!.GetValue<int>(), selector = "#csv-file" });
        await browser.SendAsync("DOM.setFileInputFiles", new { files = new[] { input }, nodeId = fileInput["nodeId"]!.GetValue<int>() });
        await browser.ClickAsync("#upload");
        await browser.WaitForAsync("!document.getElementById('download').hidden", TimeSpan.FromSeconds(20));
        Assert.Equal("texts-predictions.csv", (string?)await browser.EvaluateAsync("document.getElementById('download').download"));
        Assert.Equal(File.ReadAllText(cliOutput), (string?)await browser.EvaluateAsync("fetch(document.getElementById('download').href).then(r => r.text())"));
        Assert.Equal("done: 2 texts", (string?)await browser.EvaluateAsync("document.getElementById('csv-status').textContent"));
    }
}
