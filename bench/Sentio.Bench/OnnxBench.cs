using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sentio.Catalog;
using Sentio.Onnx;
using Sentio.Quantization;
using static TorchSharp.torch;

namespace Sentio.Bench;

/// <summary><c>onnx</c>: one exported ONNX classifier folder (<c>--model</c>) and the Sentio folder it came from
/// (<c>--torch-model</c>) scoring GoEmotions test texts in one run, same threads, same batches (file order, each padded to
/// its longest): TorchSharp fp32, ONNX Runtime fp32, ONNX Runtime int8 (quantized here by <see cref="OnnxQuantizer"/>) and
/// PyTorch fp32 (tools/onnx_bench_reference.py on the token ids Sentio's tokenizer gave, Debian's torch with OpenBLAS):
/// sentences/s and batch-1 latency p50/p99; then ORT with length-sorted batches and without graph optimizations, to show
/// what each setting is worth; and the CPU, its vector extensions and the FLOP-bound estimate.</summary>
public static class OnnxBench
{
    private sealed record Row(string Name, double SentencesPerSecond, double P50, double P99);

    public static int Run(IReadOnlyDictionary<string, string> options, string repoRoot)
    {
        int Option(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        if (!options.TryGetValue("model", out var onnxFolder) || !options.TryGetValue("torch-model", out var torchFolder))
        {
            Console.Error.WriteLine("onnx: give --model DIR (an exported ONNX folder) and --torch-model DIR (the Sentio folder it came from)");
            return 2;
        }
        int threads = Option("threads", 2), batch = Option("batch", 32), count = Option("texts", 512), latencyTexts = Option("latency-texts", 50);
        string data = options.GetValueOrDefault("data", Path.Combine(repoRoot, "..", "shared", "data", "goemotions", "original", "test.tsv"));
        string[] texts = File.ReadLines(data).Take(count).Select(l => l.Split('\t')[0]).ToArray();
        // --sort 1: every backend gets the same batches of texts of similar token length (less padding for all).
        bool sort = Option("sort", 0) == 1;
        string[][] batches = (sort ? SortedByTokens(onnxFolder, texts) : texts).Chunk(batch).ToArray();
        string[] single = texts.Take(latencyTexts).ToArray();

        string int8Folder = Path.Combine(Path.GetTempPath(), $"sentio-onnx-bench-{Guid.NewGuid():N}");
        var quantizeClock = Stopwatch.StartNew();
        OnnxQuantizer.QuantizeFolder(onnxFolder, int8Folder);
        quantizeClock.Stop();
        long fp32Bytes = new FileInfo(Path.Combine(onnxFolder, OnnxClassifierFolder.ModelFile)).Length;
        long int8Bytes = new FileInfo(Path.Combine(int8Folder, OnnxClassifierFolder.ModelFile)).Length;

        Console.WriteLine($"CPU: {BenchMachine.CpuModel}, {Environment.ProcessorCount} logical cores visible; vector extensions: {VectorExtensions()}");
        Console.WriteLine($"{texts.Length} GoEmotions test texts, batch {batch} ({(sort ? "sorted by token length" : "file order")}, dynamic padding), {threads} threads; batch-1 latency over {single.Length} texts");
        Console.WriteLine($"int8 quantization: {quantizeClock.Elapsed.TotalSeconds:F1} s; model.onnx {fp32Bytes / 1e6:F1} MB → {int8Bytes / 1e6:F1} MB ({(double)int8Bytes / fp32Bytes:P1})");

        var rows = new List<Row>();
        set_num_threads(threads);
        using (var model = ModelCatalog.Load(torchFolder))
            rows.Add(Measure("TorchSharp fp32", batches, single, t => model.PredictProbabilities(t)));
        var ortOptions = new OnnxScorerOptions { IntraOpThreads = threads, BatchSize = batch, SortByLength = false };
        using (var fp32 = OnnxScorer.Load(onnxFolder, ortOptions))
            rows.Add(Measure("ORT fp32", batches, single, fp32.PredictProbabilities));
        using (var int8 = OnnxScorer.Load(int8Folder, ortOptions))
            rows.Add(Measure("ORT int8", batches, single, int8.PredictProbabilities));
        var python = PyTorch(repoRoot, onnxFolder, torchFolder, batches, single, threads);
        if (python is null) return 1;
        rows.Add(python);

        Console.WriteLine();
        Console.WriteLine($"{"",-18} {"sentences/s",12} {"× PyTorch",10} {"b1 p50 ms",10} {"b1 p99 ms",10}");
        foreach (var row in rows)
            Console.WriteLine($"{row.Name,-18} {row.SentencesPerSecond,12:F1} {row.SentencesPerSecond / python.SentencesPerSecond,10:F2} {row.P50,10:F2} {row.P99,10:F2}");

        // What the scorer's settings are worth: length-sorted batches (less padding), graph optimizations off, idle threads
        // sleeping instead of spinning; the unsorted int8 row repeats the table's setting for comparison.
        Console.WriteLine();
        foreach (var (name, folder, variant) in new[]
                 {
                     ("ORT int8 sorted", int8Folder, ortOptions with { SortByLength = true }),
                     ("ORT fp32 sorted", onnxFolder, ortOptions with { SortByLength = true }),
                     ("ORT fp32 no opt", onnxFolder, ortOptions with { GraphOptimization = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL }),
                     ("ORT fp32 no spin", onnxFolder, ortOptions with { AllowSpinning = false }),
                     ("ORT int8 no spin", int8Folder, ortOptions with { AllowSpinning = false }),
                     ("ORT int8 unsorted", int8Folder, ortOptions),
                 })
        {
            using var scorer = OnnxScorer.Load(folder, variant);
            var clock = Stopwatch.StartNew();
            scorer.PredictProbabilities(texts);
            Console.WriteLine($"{name,-18} {texts.Length / clock.Elapsed.TotalSeconds,12:F1} sentences/s (whole list in one call)");
        }

        using var tokenizerScorer = OnnxScorer.Load(onnxFolder, ortOptions);
        int maxLength = tokenizerScorer.Folder.Options.MaxLength;
        double tokens = texts.Sum(t => tokenizerScorer.Tokenizer.Encode(t, maxLength).Length);
        PrintPhysicalLimit(tokens / texts.Length, threads);
        Directory.Delete(int8Folder, recursive: true);
        return 0;
    }

    private static string[] SortedByTokens(string onnxFolder, string[] texts)
    {
        using var scorer = OnnxScorer.Load(onnxFolder);
        return texts.OrderBy(t => scorer.Tokenizer.Encode(t, scorer.Folder.Options.MaxLength).Length).ToArray();
    }

    private static Row Measure(string name, string[][] batches, string[] single, Func<IReadOnlyList<string>, double[,]> predict)
    {
        predict(batches[0]); // warm-up: first-run allocations, ORT's and libtorch's lazy initialization
        var clock = Stopwatch.StartNew();
        foreach (var b in batches) predict(b);
        double perSecond = batches.Sum(b => b.Length) / clock.Elapsed.TotalSeconds;
        var latencies = single.Select(t =>
        {
            var c = Stopwatch.StartNew();
            predict([t]);
            return c.Elapsed.TotalMilliseconds;
        }).Order().ToArray();
        Console.WriteLine($"{name}: {perSecond:F1} sentences/s");
        return new Row(name, perSecond, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>tools/onnx_bench_reference.py on the same batches, tokenized here (its timing covers the forward only).</summary>
    private static Row? PyTorch(string repoRoot, string onnxFolder, string torchFolder, string[][] batches, string[] single, int threads)
    {
        using var scorer = OnnxScorer.Load(onnxFolder);
        int maxLength = scorer.Folder.Options.MaxLength;
        int[][] Ids(IEnumerable<string> group) => group.Select(t => scorer.Tokenizer.Encode(t, maxLength).InputIds).ToArray();
        string idsFile = Path.Combine(Path.GetTempPath(), $"sentio-onnx-bench-{Guid.NewGuid():N}.json");
        File.WriteAllText(idsFile, JsonSerializer.Serialize(new { batches = batches.Select(Ids), single = Ids(single) }));
        // The peer reads the Hugging Face folder: a Sentio model folder keeps it in hf/.
        string hfFolder = File.Exists(Path.Combine(torchFolder, "config.json")) ? torchFolder : Path.Combine(torchFolder, Sentio.Models.TransformerClassifier.HuggingFaceFolder);
        var peer = BenchMachine.RunPeer(repoRoot, "onnx_bench_reference.py", ["--model", hfFolder, "--ids", idsFile, "--threads", $"{threads}"], threads,
            "the PyTorch reference failed (needs Debian's python3-torch; apt-get install -y libopenblas0-pthread for OpenBLAS)");
        File.Delete(idsFile);
        if (peer is not { } result) return null;
        Console.WriteLine($"PyTorch {result.GetProperty("torch").GetString()}, BLAS loaded: {string.Join(", ", result.GetProperty("blas_loaded").EnumerateArray().Select(e => e.GetString()))}: " +
                          $"{result.GetProperty("sentences_per_s").GetDouble():F1} sentences/s");
        return new Row("PyTorch fp32", result.GetProperty("sentences_per_s").GetDouble(), result.GetProperty("p50_ms").GetDouble(), result.GetProperty("p99_ms").GetDouble());
    }

    private static string VectorExtensions()
    {
        var flags = BenchMachine.Flags;
        var vector = flags.Where(f => f is "sse4_2" or "avx" or "avx2" or "fma" or "f16c" || f.StartsWith("avx512", StringComparison.Ordinal) || f.Contains("vnni") || f.StartsWith("amx", StringComparison.Ordinal)).ToArray();
        bool avx512 = flags.Contains("avx512f"), vnni = flags.Any(f => f.Contains("vnni"));
        return $"{string.Join(" ", vector)} (avx512: {(avx512 ? "yes" : "no")}, vnni: {(vnni ? "yes" : "no")})";
    }

    /// <summary>≈ 2 FLOP per weight per token: 6 layers × (4·384² + 2·384·1536) weights ≈ 10.6 M → 21.2 MFLOP per token,
    /// against the cores' FMA peak (AVX2: 2 FMA units × 8 floats × 2 FLOP = 32 FLOP per cycle; AVX-512: 64).</summary>
    private static void PrintPhysicalLimit(double tokensPerText, int threads)
    {
        const double flopPerToken = 2.0 * 6 * (4 * 384 * 384 + 2 * 384 * 1536);
        double mhz = BenchMachine.MaxMegahertz;
        double flopPerCycle = BenchMachine.Flags.Contains("avx512f") ? 64 : BenchMachine.Flags.Contains("avx2") ? 32 : 8;
        double peak = threads * mhz * 1e6 * flopPerCycle;
        Console.WriteLine();
        Console.WriteLine($"Physical limit (fp32, MiniLM shape): {flopPerToken / 1e6:F1} MFLOP per token × {tokensPerText:F1} tokens per text (unpadded) = " +
                          $"{flopPerToken * tokensPerText / 1e9:F2} GFLOP per text; {threads} cores × {mhz:F0} MHz × {flopPerCycle} FLOP/cycle = {peak / 1e9:F0} GFLOP/s peak " +
                          $"→ at most {peak / (flopPerToken * tokensPerText):F0} sentences/s (int8 dot products raise the ceiling; attention and padding lower what is reached)");
    }
}
