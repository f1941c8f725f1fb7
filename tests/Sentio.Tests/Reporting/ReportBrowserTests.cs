using System.Diagnostics;
using System.Text.RegularExpressions;
using Sentio.Reporting;
using Xunit.Abstractions;

namespace Sentio.Tests.Reporting;

/// <summary>Opens report.html in headless Chromium (Debian's <c>chromium</c>; .ci/run installs it) and checks that
/// every embedded figure decodes.</summary>
public class ReportBrowserTests(ITestOutputHelper log)
{
    private static readonly string[] ChromiumNames = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    internal static string FindChromium() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(dir => ChromiumNames.Select(name => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException(
            "Chromium is not installed, and this test needs it to open report.html in a real browser. " +
            "Install it: sudo apt-get install -y chromium fonts-dejavu-core (.ci/run does this on CI).");

    /// <summary>Runs headless Chromium on <paramref name="page"/> with a fresh profile; returns its stdout.</summary>
    private static string RunChromium(string chromium, string profile, string page, params string[] arguments)
    {
        var start = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
        }.Concat(arguments).Append(new Uri(page).AbsoluteUri))
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"chromium did not finish within 60 s; stderr: {stderr.Result}");
        }
        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}; stderr: {stderr.Result}");
        return stdout.Result;
    }

    [Fact]
    public void Every_image_of_the_report_loads_in_headless_chromium()
    {
        string chromium = FindChromium();
        string folder = TestPaths.NewTempDirectory();
        var run = SyntheticRun.Create(folder, "run", epochs: 3);
        var files = RunReport.Write(run, "test", Path.Combine(folder, "report"));

        // A copy of the report with a script that records, after the load event, each image's natural size.
        string probe = Path.Combine(folder, "report", "probe.html");
        File.WriteAllText(probe, File.ReadAllText(files.Html).Replace("</body>", """
            <script>
            window.addEventListener('load', () => {
              const sizes = Array.from(document.images).map(i => (i.complete ? i.naturalWidth : 0) + 'x' + (i.complete ? i.naturalHeight : 0));
              document.body.setAttribute('data-image-sizes', sizes.join(' '));
            });
            </script>
            </body>
            """));
        string dom = RunChromium(chromium, Path.Combine(folder, "profile-dom"), probe, "--virtual-time-budget=5000", "--dump-dom");
        var match = Regex.Match(dom, "data-image-sizes=\"([^\"]*)\"");
        Assert.True(match.Success, "the check script did not run; DOM starts: " + dom[..Math.Min(300, dom.Length)]);
        var expected = files.Images.Select(i => RunReportTests.PngSize(File.ReadAllBytes(i))).Select(s => $"{s.Width}x{s.Height}");
        Assert.Equal(expected, match.Groups[1].Value.Split(' '));

        string screenshot = Path.Combine(folder, "report-screenshot.png");
        RunChromium(chromium, Path.Combine(folder, "profile-shot"), files.Html, "--window-size=1280,2400", "--hide-scrollbars", $"--screenshot={screenshot}");
        Assert.Equal((1280, 2400), RunReportTests.PngSize(File.ReadAllBytes(screenshot)));
        log.WriteLine($"screenshot: {screenshot}");
    }
}
