using System.Net;
using System.Text;
using System.Text.Json;
using Sentio.Evaluation;
using Sentio.Inference;
using Sentio.Serving;

namespace Sentio.Tests.Serving;

/// <summary>The HTTP API against a real Kestrel on loopback; every answer is checked against the same run loaded
/// in-process with <see cref="Predictor"/>.</summary>
public class ServingApiTests(LinearRunFixture run) : IClassFixture<LinearRunFixture>
{
    private static readonly string[] Texts = ["I am so happy for you, congratulations!", "This is terrifying, I can't sleep.", "Why would they do that? I'm furious."];

    private static string PredictBody(IEnumerable<string> texts, string extra = "") =>
        $"{{\"texts\": {JsonSerializer.Serialize(texts)}{extra}}}";

    [Fact]
    public async Task Predict_answers_the_run_s_labels_and_every_probability()
    {
        await using var server = await TestServer.StartAsync(run.RunPath);
        using var predictor = Predictor.Load(run.RunPath);
        var expected = predictor.Predict(Texts);

        var body = await server.PostJsonAsync("/v1/predict", PredictBody(Texts), HttpStatusCode.OK);
        var predictions = body.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(Texts.Length, predictions.Length);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(expected[i].Labels, predictions[i].GetProperty("labels").EnumerateArray().Select(l => l.GetString()!));
            var probabilities = predictions[i].GetProperty("probabilities").EnumerateObject().ToArray();
            Assert.Equal(predictor.LabelNames, probabilities.Select(p => p.Name));
            // JSON writes doubles in round-trip form, so they arrive exactly.
            Assert.Equal(expected[i].Probabilities, probabilities.Select(p => p.Value.GetDouble()));
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.2)]
    [InlineData(1.0)]
    public async Task A_threshold_in_the_request_decides_every_label(double threshold)
    {
        await using var server = await TestServer.StartAsync(run.RunPath);
        var body = await server.PostJsonAsync("/v1/predict", PredictBody(Texts, $", \"threshold\": {threshold}"), HttpStatusCode.OK);
        foreach (var prediction in body.GetProperty("predictions").EnumerateArray())
        {
            var chosen = prediction.GetProperty("probabilities").EnumerateObject().Where(p => p.Value.GetDouble() >= threshold).Select(p => p.Name);
            Assert.Equal(chosen, prediction.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!));
        }
    }

    [Fact]
    public async Task Labels_lists_labels_txt_and_the_tuned_thresholds()
    {
        await using var server = await TestServer.StartAsync(run.RunPath);
        var body = await server.GetJsonAsync("/v1/labels");
        var labels = File.ReadAllLines(Path.Combine(run.RunPath, "labels.txt"));
        Assert.Equal(labels, body.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!));
        var saved = ThresholdSet.Load(Path.Combine(run.RunPath, "thresholds.json"), labels);
        Assert.Equal(saved.ThresholdsFor(labels), body.GetProperty("thresholds").EnumerateObject().Select(t => t.Value.GetDouble()));
        Assert.Equal("per_label", body.GetProperty("strategy").GetString());
    }

    [Theory]
    [InlineData("", "line 1")]
    [InlineData("{\"texts\": [\"a\"", "line 1")]
    [InlineData("[\"a\"]", "$")]
    [InlineData("null", "texts: required")]
    [InlineData("{}", "texts: required")]
    [InlineData("{\"texts\": \"just one\"}", "$.texts")]
    [InlineData("{\"texts\": [1, 2]}", "$.texts")]
    [InlineData("{\"texts\": [\"a\", null]}", "texts[1]: expected a string, got null")]
    [InlineData("{\"texts\": []}", "texts: empty")]
    [InlineData("{\"texts\": [\"a\"], \"thresold\": 0.3}", "thresold")]
    [InlineData("{\"texts\": [\"a\"], \"threshold\": 1.5}", "threshold: expected a number from 0 to 1, got 1.5")]
    [InlineData("{\"texts\": [\"a\"], \"threshold\": \"high\"}", "$.threshold")]
    public async Task Malformed_or_wrongly_shaped_requests_get_400_with_a_json_error(string body, string expectedInError)
    {
        await using var server = await TestServer.StartAsync(run.RunPath);
        var error = await server.PostJsonAsync("/v1/predict", body, HttpStatusCode.BadRequest);
        Assert.Contains(expectedInError, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Each_limit_answers_with_its_status_and_names_itself()
    {
        var options = new ServingOptions { MaxRequestBodyBytes = 200, MaxTextsPerRequest = 3, MaxCharactersPerText = 50 };
        await using var server = await TestServer.StartAsync(run.RunPath, options);

        var error = await server.PostJsonAsync("/v1/predict", PredictBody(["a", "b", "c", "d"]), HttpStatusCode.BadRequest);
        Assert.Equal("max_texts_per_request", error.GetProperty("limit").GetString());
        Assert.Contains("4 texts, over the limit of 3", error.GetProperty("error").GetString());

        error = await server.PostJsonAsync("/v1/predict", PredictBody(["fine", new string('x', 51)]), HttpStatusCode.BadRequest);
        Assert.Equal("max_characters_per_text", error.GetProperty("limit").GetString());
        Assert.Contains("texts[1]: 51 characters", error.GetProperty("error").GetString());

        error = await server.PostJsonAsync("/v1/predict", PredictBody([new string('x', 201)]), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("max_request_body_bytes", error.GetProperty("limit").GetString());

        // Without a Content-Length (chunked), the limit holds while the body is read.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(PredictBody([new string('x', 300)]))));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/predict") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("max_request_body_bytes", await response.Content.ReadAsStringAsync());

        // Exactly at the limits is fine.
        await server.PostJsonAsync("/v1/predict", PredictBody(["a", "b", new string('x', 50)]), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Over_the_concurrency_limit_a_request_gets_503_with_retry_after()
    {
        // One permit, and a batcher that waits 3 s for company: the first request holds the permit that long.
        var options = new ServingOptions { MaxConcurrentRequests = 1, MaxBatchDelayMilliseconds = 3000, RetryAfterSeconds = 3 };
        await using var server = await TestServer.StartAsync(run.RunPath, options);
        var first = server.PostJsonAsync("/v1/predict", PredictBody(["first"]), HttpStatusCode.OK);
        await Task.Delay(1000);

        using var response = await server.Client.PostAsync("/v1/predict", new StringContent(PredictBody(["second"])));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("3", response.Headers.GetValues("Retry-After").Single());
        Assert.Contains("max_concurrent_requests", await response.Content.ReadAsStringAsync());
        await first;
        await server.PostJsonAsync("/v1/predict", PredictBody(["third"]), HttpStatusCode.OK);
    }

    [Fact]
    public async Task With_an_api_key_v1_requests_need_it_and_probes_do_not()
    {
        await using var server = await TestServer.StartAsync(run.RunPath, new ServingOptions { ApiKey = "s3cret" });
        using var anonymous = await server.Client.PostAsync("/v1/predict", new StringContent(PredictBody(["hi"])));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("API key", await anonymous.Content.ReadAsStringAsync());

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/labels");
        wrong.Headers.Authorization = new("Bearer", "s3cre");
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Post, "/v1/predict") { Content = new StringContent(PredictBody(["hi"])) };
        right.Headers.Authorization = new("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(right)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Probes_report_alive_and_ready_and_readyz_names_a_load_failure()
    {
        await using (var server = await TestServer.StartAsync(run.RunPath))
        {
            Assert.Equal("alive", (await server.GetJsonAsync("/healthz")).GetProperty("status").GetString());
            var ready = await server.GetJsonAsync("/readyz");
            Assert.Equal("ready", ready.GetProperty("status").GetString());
            Assert.Equal(Path.GetFullPath(run.RunPath), ready.GetProperty("model").GetString());
        }

        string missing = Path.Combine(TestPaths.NewTempDirectory(), "no-such-run");
        await using var broken = await TestServer.StartAsync(missing, waitForModel: false);
        JsonElement status;
        do
        {
            using var response = await broken.Client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        } while (status.GetProperty("status").GetString() == "loading");
        Assert.Equal("failed", status.GetProperty("status").GetString());
        Assert.Equal($"{missing}: no such directory", status.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await broken.Client.PostAsync("/v1/predict", new StringContent(PredictBody(["hi"])))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await broken.Client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Once_the_model_has_run_the_batching_wait_is_at_most_a_tenth_of_its_last_call()
    {
        // A 3 s window: the first call (no history) waits all of it for company; the linear model's call then takes
        // milliseconds, so a lone request afterwards waits a tenth of that, not 3 s.
        await using var server = await TestServer.StartAsync(run.RunPath, new ServingOptions { MaxBatchDelayMilliseconds = 3000 });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await server.PostJsonAsync("/v1/predict", PredictBody(["first"]), HttpStatusCode.OK);
        Assert.InRange(clock.Elapsed.TotalSeconds, 2.9, 60);
        clock.Restart();
        await server.PostJsonAsync("/v1/predict", PredictBody(["second"]), HttpStatusCode.OK);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 1.5);
    }

    [Fact]
    public async Task Concurrent_requests_share_model_batches_and_each_gets_its_own_rows()
    {
        // A long batching window, so requests fired together land in one or two model calls.
        await using var server = await TestServer.StartAsync(run.RunPath, new ServingOptions { MaxBatchDelayMilliseconds = 1000 });
        using var predictor = Predictor.Load(run.RunPath);
        var texts = Enumerable.Range(0, 8).Select(i => $"{Texts[i % Texts.Length]} #{i}").ToArray();
        var expected = predictor.PredictProbabilities(texts);

        var answers = await Task.WhenAll(texts.Select(t => server.PostJsonAsync("/v1/predict", PredictBody([t]), HttpStatusCode.OK)));
        for (int i = 0; i < texts.Length; i++)
        {
            var row = answers[i].GetProperty("predictions")[0].GetProperty("probabilities").EnumerateObject().Select(p => p.Value.GetDouble());
            Assert.Equal(Enumerable.Range(0, predictor.LabelNames.Count).Select(j => expected[i, j]), row);
        }

        string metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Equal(8, MetricValue(metrics, "sentio_batch_texts_sum"));
        Assert.InRange(MetricValue(metrics, "sentio_batch_texts_count"), 1, 2);
        Assert.Equal(8, MetricValue(metrics, "sentio_predicted_texts_total"));
    }

    [Fact]
    public async Task Metrics_count_requests_and_errors_by_endpoint_and_code_and_time_them()
    {
        await using var server = await TestServer.StartAsync(run.RunPath);
        await server.PostJsonAsync("/v1/predict", PredictBody(["one"]), HttpStatusCode.OK);
        await server.PostJsonAsync("/v1/predict", PredictBody(["two", "three"]), HttpStatusCode.OK);
        await server.PostJsonAsync("/v1/predict", "{", HttpStatusCode.BadRequest);
        await server.GetJsonAsync("/v1/labels");

        string metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Equal(2, MetricValue(metrics, "sentio_http_requests_total{endpoint=\"/v1/predict\",code=\"200\"}"));
        Assert.Equal(1, MetricValue(metrics, "sentio_http_requests_total{endpoint=\"/v1/predict\",code=\"400\"}"));
        Assert.Equal(1, MetricValue(metrics, "sentio_http_errors_total{endpoint=\"/v1/predict\",code=\"400\"}"));
        Assert.Equal(1, MetricValue(metrics, "sentio_http_requests_total{endpoint=\"/v1/labels\",code=\"200\"}"));
        Assert.Equal(3, MetricValue(metrics, "sentio_http_request_duration_seconds_count{endpoint=\"/v1/predict\"}"));
        Assert.Equal(3, MetricValue(metrics, "sentio_predicted_texts_total"));
        Assert.Equal(0, MetricValue(metrics, "sentio_pending_requests"));
        Assert.DoesNotContain("sentio_http_errors_total{endpoint=\"/v1/predict\",code=\"200\"}", metrics);
    }

    [Fact]
    public async Task A_csv_upload_answers_what_sentio_predict_writes_for_the_same_file()
    {
        string folder = TestPaths.NewTempDirectory();
        string input = Path.Combine(folder, "texts.csv");
        File.WriteAllText(input, "id,text\nt1,\"I love this, thank you!\"\nt2,I am scared of the dark\n,No id on this one\n");
        string cliOutput = Path.Combine(folder, "cli.csv");
        var (exit, _, cliError) = Cli.CliRunner.Run("predict", "--model-path", run.RunPath, "--input", input, "--output", cliOutput);
        Assert.True(exit == 0, cliError);

        await using var server = await TestServer.StartAsync(run.RunPath);
        using var response = await server.Client.PostAsync("/v1/predict/csv?filename=texts.csv", new ByteArrayContent(File.ReadAllBytes(input)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("texts-predictions.csv", response.Content.Headers.ContentDisposition!.FileNameStar ?? response.Content.Headers.ContentDisposition.FileName);
        Assert.Equal(File.ReadAllText(cliOutput), await response.Content.ReadAsStringAsync());

        using var bad = await server.Client.PostAsync("/v1/predict/csv?filename=texts.csv", new StringContent("id,text\nt1,fine\nt2,\n"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("texts.csv:3: empty text", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_api_and_the_page_is_served_at_the_root()
    {
        await using var server = await TestServer.StartAsync(run.RunPath);
        var document = await server.GetJsonAsync("/openapi/v1.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["/healthz", "/readyz", "/v1/labels", "/v1/predict", "/v1/predict/csv"], paths.Order());
        Assert.True(document.GetProperty("paths").GetProperty("/v1/predict").GetProperty("post").TryGetProperty("requestBody", out _));

        using var page = await server.Client.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<button id=\"predict\"", html);
        Assert.DoesNotContain("://", html); // nothing loaded from elsewhere
    }

    [Fact]
    public void Options_out_of_range_are_reported_together_with_their_keys()
    {
        var e = Assert.Throws<SentioException>(() => new ServingOptions { MaxTextsPerRequest = 0, MaxBatchDelayMilliseconds = -1 }.Validate());
        Assert.Equal("invalid serving options (2 problems): max_texts_per_request: expected a number > 0, got 0; max_batch_delay_ms: expected a number from 0 to 10000, got -1", e.Message);
        var url = Assert.Throws<SentioException>(() => SentioServer.Build(run.RunPath, ["https://0.0.0.0:443"], new ServingOptions()));
        Assert.StartsWith("--urls: 'https://0.0.0.0:443' is not an http://host:port address", url.Message);
    }

    /// <summary>The value of one sample line of Prometheus text, e.g. <c>name{label="x"} 3</c>.</summary>
    internal static double MetricValue(string metrics, string sample)
    {
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith(sample + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no sample {sample} in:\n{metrics}");
        return double.Parse(line[(sample.Length + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
