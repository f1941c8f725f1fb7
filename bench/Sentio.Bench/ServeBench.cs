using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sentio.Data;
using Sentio.Inference;
using Sentio.Serving;

namespace Sentio.Bench;

/// <summary><c>serve</c>: offline batch throughput of a run beside the throughput of <c>sentio serve</c> (the same server,
/// in this process, on 127.0.0.1) at 1, 4 and 16 concurrent clients, each sending requests of <c>--texts-per-request</c>
/// texts back to back (offline and served alternate <c>--rounds</c> times per level); latency p50 / p99, the error count,
/// this process's CPU time per text both ways, and the ceiling that the HTTP floor (CPU per <c>GET /healthz</c>) puts on
/// served / offline when the cores are the bottleneck. Bounded: each round stops after <c>--texts</c> texts or <c>--seconds</c>.</summary>
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
        int rounds = Option("rounds", 3), warmupSeconds = Option("warmup-seconds", 10);
        var clientLevels = (options.GetValueOrDefault("clients") ?? "1,4,16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        string dataDir = Path.GetFullPath(options.GetValueOrDefault("data-dir") ?? Path.Combine(repoRoot, "..", "shared", "data"));
        TorchSharp.torch.set_num_threads(threads);

        var texts = DatasetLoader.Load(new DataOptions { Dataset = "goemotions/original" }, repoRoot, seed: 13, dataDir).Test.Texts.Take(textCount).ToArray();
        Console.WriteLine($"CPU: {BenchMachine.CpuModel}, {Environment.ProcessorCount} cores; load average at start {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; torch threads {threads}");
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
            var client = new Uri(SentioServer.ListeningAddresses(app).Single());
            // The requests are built before the clock starts, so the client's work per request is the HTTP exchange.
            var bodies = texts.Chunk(textsPerRequest).Select(chunk => new Body(JsonSerializer.SerializeToUtf8Bytes(new { texts = chunk }), chunk.Length)).ToArray();
            // Warm-up of both paths: JIT, connections, the model's caches. By time, not by count: tiered compilation moves the
            // hot methods to optimised code in a background thread, which on a busy machine took several seconds (before, a
            // short warm-up left the JIT at a fifth of the served run's CPU samples under perf).
            var warmup = Stopwatch.StartNew();
            while (warmup.Elapsed.TotalSeconds < warmupSeconds)
            {
                Offline(offlinePredictor, texts, serving.MaxBatchTexts);
                Load(client, bodies, clients: 16, Math.Max(1, warmupSeconds - (int)warmup.Elapsed.TotalSeconds));
                Load(client, [.. Enumerable.Repeat(HealthCheck, 2000)], clients: 16, seconds);
            }
            // The HTTP floor: GET /healthz (no body, no JSON, no model) from 16 client loops, so its CPU per request is what
            // one HTTP exchange costs this process, client and server together. When the cores are the bottleneck, served /
            // offline cannot exceed m / (m + h / k) for m the model's CPU per text, h this cost and k texts per request.
            var floorCpu = CpuSeconds();
            var floor = Load(client, [.. Enumerable.Repeat(HealthCheck, 20_000)], clients: 16, seconds);
            double httpCpu = (CpuSeconds() - floorCpu) / Math.Max(1, floor.Texts);
            Console.WriteLine($"HTTP floor (GET /healthz, 16 clients): {floor.Texts / floor.Seconds:F0} requests/s, {1000 * httpCpu:F3} CPU ms per request (client + server)");
            Console.WriteLine();
            // Offline and served alternate, `rounds` times per level, and each figure is texts over time summed across the
            // rounds: on a shared machine the load changes by the second, and alternating exposes both to the same load.
            // CPU ms per text is this process's CPU time (every thread: model, server and client) over the texts labelled; the
            // served figure minus the offline one is what HTTP costs per text, client and server together, on the same cores.
            Console.WriteLine($"{"clients",7} {"offline texts/s",15} {"served texts/s",14} {"served/offline",14} {"p50 ms",8} {"p99 ms",8} {"errors",6} " +
                $"{"CPU ms/text offline",19} {"CPU ms/text served",18} {"CPU-bound ceiling",17}");
            foreach (int clients in clientLevels)
            {
                double offlineSeconds = 0, servedSeconds = 0, offlineCpu = 0, servedCpu = 0;
                int servedTexts = 0, errors = 0;
                var latencies = new List<double>();
                for (int round = 0; round < rounds; round++)
                {
                    var cpu = CpuSeconds();
                    offlineSeconds += Offline(offlinePredictor, texts, serving.MaxBatchTexts);
                    offlineCpu += CpuSeconds() - cpu;
                    cpu = CpuSeconds();
                    var level = Load(client, bodies, clients, seconds);
                    servedCpu += CpuSeconds() - cpu;
                    servedSeconds += level.Seconds;
                    servedTexts += level.Texts;
                    errors += level.Errors;
                    latencies.AddRange(level.Latencies);
                }
                totalErrors += errors;
                double offline = rounds * texts.Length / offlineSeconds, served = servedTexts / servedSeconds;
                latencies.Sort();
                double Percentile(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
                Console.WriteLine($"{clients,7} {offline,15:F1} {served,14:F1} {served / offline,14:P0} {Percentile(0.5),8:F1} {Percentile(0.99),8:F1} {errors,6} " +
                    $"{1000 * offlineCpu / (rounds * texts.Length),19:F3} {1000 * servedCpu / Math.Max(1, servedTexts),18:F3} " +
                    $"{offlineCpu / (rounds * texts.Length) / (offlineCpu / (rounds * texts.Length) + httpCpu / textsPerRequest),17:P0}");
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

    /// <summary>A predict request's body and how many texts it carries; no body: a <c>GET /healthz</c>, counted as 1.</summary>
    private sealed record Body(byte[]? Json, int Texts);

    private static readonly Body HealthCheck = new(null, 1);

    private static double CpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary><paramref name="clients"/> loops share the bodies, each on its own keep-alive connection posting its next
    /// request when the last one has been answered in full.</summary>
    private static LevelResult Load(Uri server, Body[] bodies, int clients, int seconds)
    {
        int next = -1, errors = 0, done = 0;
        var latencies = new List<double>[clients];
        var requests = bodies.Select(b => RawHttpConnection.Request(server, b.Json)).ToArray();
        var deadline = Stopwatch.StartNew();
        async Task ClientLoop(int index)
        {
            latencies[index] = [];
            RawHttpConnection? connection = null;
            int start;
            while ((start = Interlocked.Increment(ref next)) < bodies.Length && deadline.Elapsed.TotalSeconds < seconds)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    connection ??= await RawHttpConnection.OpenAsync(server);
                    if (await connection.SendAsync(requests[start]) != (int)HttpStatusCode.OK) Interlocked.Increment(ref errors);
                    else Interlocked.Add(ref done, bodies[start].Texts);
                }
                catch (Exception e) when (e is IOException or SocketException or FormatException)
                {
                    Interlocked.Increment(ref errors);
                    connection?.Dispose();
                    connection = null;
                }
                latencies[index].Add(clock.Elapsed.TotalMilliseconds);
            }
            connection?.Dispose();
        }
        Task.WaitAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => ClientLoop(i))).ToArray());
        return new LevelResult(done, deadline.Elapsed.TotalSeconds, latencies.SelectMany(l => l).ToArray(), errors);
    }

    /// <summary>A load generator's HTTP/1.1 client, as wrk is: one keep-alive connection, requests built once as bytes, each
    /// answer read whole (Content-Length or chunked) and only its status kept. The client runs on the same cores as the
    /// server it measures, so it does as little per request as it can; what it does cost is part of the HTTP floor.</summary>
    private sealed class RawHttpConnection : IDisposable
    {
        private readonly NetworkStream stream;
        private byte[] buffer = new byte[16384];
        private int start, end;

        private RawHttpConnection(Socket socket) => stream = new NetworkStream(socket, ownsSocket: true);

        /// <summary>The bytes of <c>POST /v1/predict</c> with <paramref name="json"/>, or of <c>GET /healthz</c> for null.</summary>
        public static byte[] Request(Uri server, byte[]? json)
        {
            string host = $"Host: {server.Host}:{server.Port}\r\n";
            if (json == null) return Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\n{host}\r\n");
            byte[] head = Encoding.ASCII.GetBytes($"POST /v1/predict HTTP/1.1\r\n{host}Content-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n");
            return [.. head, .. json];
        }

        public static async Task<RawHttpConnection> OpenAsync(Uri server)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(server.Host, server.Port);
            return new RawHttpConnection(socket);
        }

        /// <summary>Sends <paramref name="request"/> and reads the whole answer; returns its status code.</summary>
        public async Task<int> SendAsync(byte[] request)
        {
            await stream.WriteAsync(request);
            string status = await ReadLineAsync();
            int code = int.Parse(status.AsSpan(9, 3), CultureInfo.InvariantCulture);
            long length = 0;
            bool chunked = false;
            for (string line; (line = await ReadLineAsync()).Length > 0;)
            {
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = long.Parse(line.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
                else if (line.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase)) chunked = line.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
            if (!chunked)
            {
                await SkipAsync(length);
                return code;
            }
            for (long size; (size = long.Parse(((await ReadLineAsync()).Split(';')[0]).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture)) > 0;)
                await SkipAsync(size + 2); // the chunk and its CRLF
            while ((await ReadLineAsync()).Length > 0) { } // trailers, then the empty line
            return code;
        }

        private async ValueTask<string> ReadLineAsync()
        {
            while (true)
            {
                int newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (newline >= 0)
                {
                    string line = Encoding.ASCII.GetString(buffer, start, newline - start).TrimEnd('\r');
                    start = newline + 1;
                    return line;
                }
                await FillAsync();
            }
        }

        private async ValueTask SkipAsync(long count)
        {
            while (count > 0)
            {
                if (start == end) await FillAsync();
                int taken = (int)Math.Min(count, end - start);
                start += taken;
                count -= taken;
            }
        }

        private async ValueTask FillAsync()
        {
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int read = await stream.ReadAsync(buffer.AsMemory(end));
            if (read == 0) throw new IOException("the server closed the connection");
            end += read;
        }

        public void Dispose() => stream.Dispose();
    }
}
