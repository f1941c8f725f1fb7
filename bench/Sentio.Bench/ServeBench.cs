using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Sentio.Data;
using Sentio.Inference;
using Sentio.Serving;

namespace Sentio.Bench;

/// <summary><c>serve</c>: offline batch throughput of a run beside the throughput of <c>sentio serve</c> (the same server,
/// in this process, on 127.0.0.1) at 1, 4 and 16 concurrent clients, each sending single-text requests back to back (the offline figure measured again
/// just before each level);
/// latency p50 / p99 and the error count. Bounded: each level stops after <c>--texts</c> texts or <c>--seconds</c>.</summary>
public static class ServeBench
{
    public static int Run(IReadOnlyDictionary<string, string> options, string repoRoot)
    {
        if (!options.TryGetValue("model-path", out var modelPath))
        {
            Console.Error.WriteLine("serve: give --model-path RUN (a run directory written by 'sentio train')");
            return 2;
        }
        int Option(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int textCount = Option("texts", 1000), seconds = Option("seconds", 10), textsPerRequest = Option("texts-per-request", 1), threads = Option("threads", 1);
        int rounds = Option("rounds", 3);
        var clientLevels = (options.GetValueOrDefault("clients") ?? "1,4,16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        string dataDir = Path.GetFullPath(options.GetValueOrDefault("data-dir") ?? Path.Combine(repoRoot, "..", "shared", "data"));
        TorchSharp.torch.set_num_threads(threads);

        var texts = DatasetLoader.Load(new DataOptions { Dataset = "goemotions/original" }, repoRoot, seed: 13, dataDir).Test.Texts.Take(textCount).ToArray();
        Console.WriteLine($"CPU: {CpuModel()}, {Environment.ProcessorCount} cores; load average at start {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; torch threads {threads}");
        Console.WriteLine($"model: {modelPath}; {texts.Length} GoEmotions test texts per round; {rounds} rounds per level; {textsPerRequest} text(s) per request; at most {seconds} s per served round");
        Console.WriteLine($"server: default ServingOptions but max_batch_delay_ms {(options.GetValueOrDefault("max-batch-delay-ms") ?? "default")}");

        var serving = new ServingOptions();
        if (options.TryGetValue("max-batch-delay-ms", out var delay)) serving = serving with { MaxBatchDelayMilliseconds = double.Parse(delay, CultureInfo.InvariantCulture) };
        using var offlinePredictor = Predictor.Load(modelPath);
        var app = SentioServer.Build(modelPath, ["http://127.0.0.1:0"], serving);
        app.StartAsync().GetAwaiter().GetResult();
        int totalErrors = 0;
        try
        {
            var batcher = (PredictionBatcher)app.Services.GetService(typeof(PredictionBatcher))!;
            batcher.Loaded.GetAwaiter().GetResult();
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(SentioServer.ListeningAddresses(app).Single()) };
            // Warm-up of both paths: JIT, connections, the model's caches.
            Offline(offlinePredictor, texts, serving.MaxBatchTexts);
            Load(client, texts.Take(256).ToArray(), clients: 16, textsPerRequest, seconds);
            Console.WriteLine();
            // Offline and served alternate, `rounds` times per level, and each figure is texts over time summed across the
            // rounds: on a shared machine the load changes by the second, and alternating exposes both to the same load.
            Console.WriteLine($"{"clients",7} {"offline texts/s",15} {"served texts/s",14} {"served/offline",14} {"p50 ms",8} {"p99 ms",8} {"errors",6}");
            foreach (int clients in clientLevels)
            {
                double offlineSeconds = 0, servedSeconds = 0;
                int servedTexts = 0, errors = 0;
                var latencies = new List<double>();
                for (int round = 0; round < rounds; round++)
                {
                    offlineSeconds += Offline(offlinePredictor, texts, serving.MaxBatchTexts);
                    var level = Load(client, texts, clients, textsPerRequest, seconds);
                    servedSeconds += level.Seconds;
                    servedTexts += level.Texts;
                    errors += level.Errors;
                    latencies.AddRange(level.Latencies);
                }
                totalErrors += errors;
                double offline = rounds * texts.Length / offlineSeconds, served = servedTexts / servedSeconds;
                latencies.Sort();
                double Percentile(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
                Console.WriteLine($"{clients,7} {offline,15:F1} {served,14:F1} {served / offline,14:P0} {Percentile(0.5),8:F1} {Percentile(0.99),8:F1} {errors,6}");
            }
        }
        finally
        {
            app.StopAsync().GetAwaiter().GetResult();
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return totalErrors == 0 ? 0 : 1;
    }

    /// <summary>Seconds the model takes for all <paramref name="texts"/> called directly, in batches of the server's batch size.</summary>
    private static double Offline(Predictor predictor, string[] texts, int batchSize)
    {
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < texts.Length; start += batchSize)
            predictor.PredictProbabilities(texts.Skip(start).Take(batchSize).ToArray());
        return clock.Elapsed.TotalSeconds;
    }

    private sealed record LevelResult(int Texts, double Seconds, IReadOnlyList<double> Latencies, int Errors);

    /// <summary><paramref name="clients"/> loops share the texts, each posting its next request when the last one answers.</summary>
    private static LevelResult Load(HttpClient client, string[] texts, int clients, int textsPerRequest, int seconds)
    {
        int next = -textsPerRequest, errors = 0, done = 0;
        var latencies = new List<double>[clients];
        var deadline = Stopwatch.StartNew();
        async Task ClientLoop(int index)
        {
            latencies[index] = [];
            int start;
            while ((start = Interlocked.Add(ref next, textsPerRequest)) < texts.Length && deadline.Elapsed.TotalSeconds < seconds)
            {
                var batch = texts.Skip(start).Take(textsPerRequest).ToArray();
                var body = new StringContent(JsonSerializer.Serialize(new { texts = batch }), Encoding.UTF8, "application/json");
                var clock = Stopwatch.StartNew();
                try
                {
                    using var response = await client.PostAsync("/v1/predict", body);
                    await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode != HttpStatusCode.OK) Interlocked.Increment(ref errors);
                    else Interlocked.Add(ref done, batch.Length);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
                latencies[index].Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        Task.WaitAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => ClientLoop(i))).ToArray());
        return new LevelResult(done, deadline.Elapsed.TotalSeconds, latencies.SelectMany(l => l).ToArray(), errors);
    }

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
}
