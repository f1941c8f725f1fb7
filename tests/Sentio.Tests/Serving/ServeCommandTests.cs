using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sentio.Inference;

namespace Sentio.Tests.Serving;

/// <summary><c>sentio serve</c> as a real process: it listens where it says, and SIGTERM lets an in-flight request finish
/// before the process exits with 0.</summary>
public class ServeCommandTests(LinearRunFixture run) : IClassFixture<LinearRunFixture>
{
    [Fact]
    public async Task Sigterm_finishes_the_request_in_flight_and_exits_0()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "Sentio.Cli.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        // A 3 s batching window keeps a lone request in flight long enough to send SIGTERM meanwhile.
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { cli, "serve", "--model-path", run.RunPath, "--urls", "http://127.0.0.1:0", "--max-batch-delay-ms", "3000" })
            start.ArgumentList.Add(argument);
        using var server = Process.Start(start)!;
        var stderr = server.StandardError.ReadToEndAsync();
        try
        {
            string? address = null;
            for (string? line; (line = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))) != null;)
            {
                if (Regex.Match(line, @"^Listening on (http://127\.0\.0\.1:\d+)$") is { Success: true } match) address = match.Groups[1].Value;
                if (line.StartsWith("Model loaded: ", StringComparison.Ordinal)) break;
            }
            Assert.True(address != null, "no 'Listening on' line; stderr: " + (server.HasExited ? await stderr : ""));

            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var clock = Stopwatch.StartNew();
            var inFlight = client.PostAsync("/v1/predict", new StringContent("{\"texts\": [\"What a wonderful surprise!\"]}"));
            // SIGTERM once the server holds the request (a fixed wait lost the race on a loaded machine).
            while (ServingApiTests.MetricValue(await client.GetStringAsync("/metrics"), "sentio_pending_requests") < 1)
            {
                Assert.False(inFlight.IsCompleted, "the request was answered before the server reported it pending");
                await Task.Delay(50);
            }
            using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();

            using var response = await inFlight;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.5), $"answered after {clock.Elapsed}, before the batching window closed");
            using var predictor = Predictor.Load(run.RunPath);
            var expected = predictor.Predict(["What a wonderful surprise!"])[0];
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("predictions")[0];
            Assert.Equal(expected.Probabilities, body.GetProperty("probabilities").EnumerateObject().Select(p => p.Value.GetDouble()));

            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode}; stderr: {await stderr}");
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void Bad_serve_arguments_are_one_line_errors()
    {
        string folder = TestPaths.NewTempDirectory();
        string emptyKey = Path.Combine(folder, "key.txt");
        File.WriteAllText(emptyKey, " \n");

        var (exit, _, error) = Cli.CliRunner.Run("serve", "--model-path", run.RunPath, "--api-key-file", emptyKey);
        Assert.Equal(1, exit);
        Assert.Equal($"sentio: error: {emptyKey}: empty; put the API key on its first line", error.Trim());

        (exit, _, error) = Cli.CliRunner.Run("serve", "--model-path", run.RunPath, "--urls", "0.0.0.0:8080");
        Assert.Equal(1, exit);
        Assert.Equal("sentio: error: --urls: '0.0.0.0:8080' is not an http://host:port address (terminate TLS at a proxy or load balancer in front)", error.Trim());

        (exit, _, error) = Cli.CliRunner.Run("serve", "--model-path", run.RunPath, "--max-concurrent-requests", "0");
        Assert.Equal(1, exit);
        Assert.Equal("sentio: error: invalid serving options (1 problem): max_concurrent_requests: expected a number > 0, got 0", error.Trim());
    }
}
