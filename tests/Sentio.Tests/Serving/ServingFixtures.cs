using System.Net.Http.Json;
using System.Text.Json;
using Sentio.Configuration;
using Sentio.Serving;
using Sentio.Training;
using Sentio.Runs;

namespace Sentio.Tests.Serving;

/// <summary>A linear run on SemEval Track A (2.8k texts, 5 labels: seconds to train), trained once for the serving tests.</summary>
public sealed class LinearRunFixture
{
    public LinearRunFixture()
    {
        string folder = TestPaths.NewTempDirectory();
        var config = TrainConfig.Parse(SemEvalLinearConfig.Yaml(), "semeval.yaml");
        RunPath = TrainingRun.Execute(config, folder, Path.Combine(folder, "runs"), TestPaths.SharedData, SilentMonitor.Instance).Run.Path;
    }

    public string RunPath { get; }
}

/// <summary>A real Kestrel server on 127.0.0.1 with a free port, its model loaded, and a client pointed at it.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly Microsoft.AspNetCore.Builder.WebApplication app;

    private TestServer(Microsoft.AspNetCore.Builder.WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
        Client = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }
    public HttpClient Client { get; }

    public static async Task<TestServer> StartAsync(string modelPath, ServingOptions? options = null, bool waitForModel = true)
    {
        var app = SentioServer.Build(modelPath, ["http://127.0.0.1:0"], options ?? new ServingOptions());
        await app.StartAsync();
        var batcher = (PredictionBatcher)app.Services.GetService(typeof(PredictionBatcher))!;
        if (waitForModel) await batcher.Loaded.WaitAsync(TimeSpan.FromSeconds(60));
        return new TestServer(app, new Uri(SentioServer.ListeningAddresses(app).Single()));
    }

    public async Task<JsonElement> PostJsonAsync(string path, string body, System.Net.HttpStatusCode expected)
    {
        using var response = await Client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{path} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    public Task<JsonElement> GetJsonAsync(string path) => Client.GetFromJsonAsync<JsonElement>(path);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
