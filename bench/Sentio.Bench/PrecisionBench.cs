using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Sentio.Data;
using Sentio.Models;
using Sentio.Training;
using TorchSharp;

namespace Sentio.Bench;

/// <summary><c>precision</c>: the same from-scratch BERT fine-tune (NeuralTrainer, the code path <c>training.precision</c>
/// switches) once per precision on the first GoEmotions training texts, alternating fp32 and bf16 for a few rounds so that
/// load from other processes hits both alike: optimizer steps/s and the last epoch's training loss side by side.</summary>
public static partial class PrecisionBench
{
    public static int Run(IReadOnlyDictionary<string, string> options, string repoRoot)
    {
        int Option(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int texts = Option("texts", 256), batch = Option("batch", 16), epochs = Option("epochs", 2), rounds = Option("rounds", 2);
        int layers = Option("layers", 2), hidden = Option("hidden", 256), threads = Option("threads", 1);
        string dataDir = Path.GetFullPath(options.GetValueOrDefault("data-dir") ?? Path.Combine(repoRoot, "..", "shared", "data"));
        string vocab = Path.GetFullPath(options.GetValueOrDefault("vocab") ?? Path.Combine(repoRoot, "..", "shared", "models", "all-MiniLM-L6-v2", "vocab.txt"));

        var splits = DatasetLoader.Load(new DataOptions { Dataset = "goemotions/original" }, repoRoot, seed: 13, dataDir);
        var train = splits.Train.Subset(Enumerable.Range(0, Math.Min(texts, splits.Train.Count)));
        var fp32 = new TransformerClassifierOptions
        {
            FromScratch = new ScratchEncoderOptions { Layers = layers, Hidden = hidden, Heads = 4, Intermediate = 4 * hidden, MaxPositionEmbeddings = 64, Vocab = vocab },
            MaxLength = 64,
            Training = new NeuralTrainingOptions { Epochs = epochs, BatchSize = batch, LearningRate = 1e-3, EarlyStoppingPatience = 0, Threads = threads },
        };
        int steps = epochs * ((train.Count + batch - 1) / batch);
        Console.WriteLine($"CPU: {BenchMachine.CpuModel}; bf16 instructions: {Bf16Flags()}; {Environment.ProcessorCount} cores visible; libtorch {torch.__version__}");
        Console.WriteLine($"from-scratch BERT {layers} × {hidden}, 4 heads, FFN {4 * hidden}, max_length 64; {train.Count} GoEmotions texts, " +
            $"batch {batch}, {epochs} epochs = {steps} optimizer steps; {threads} torch threads; {rounds} rounds alternating fp32, bf16");

        var results = new Dictionary<TrainingPrecision, List<(double StepsPerSecond, double Loss)>> { [TrainingPrecision.Fp32] = [], [TrainingPrecision.Bf16] = [] };
        for (int round = 0; round < rounds; round++)
            foreach (var precision in results.Keys)
            {
                var monitor = new SummaryMonitor();
                using var model = new TransformerClassifier(fp32 with { Training = fp32.Training with { Precision = precision } }, splits.LabelNames, seed: 13);
                var clock = Stopwatch.StartNew();
                model.Fit(train, null, new FitContext(monitor));
                // Steps/s over the training epochs only (the summaries' own clocks), not tokenizer or model construction.
                double seconds = monitor.Summaries.Sum(s => s.Seconds);
                results[precision].Add((steps / seconds, monitor.Summaries[^1].TrainLoss!.Value));
                Console.WriteLine($"  round {round + 1} {precision,-5}: {steps / seconds,7:F2} steps/s, last-epoch train loss {monitor.Summaries[^1].TrainLoss:F5}");
            }

        Console.WriteLine();
        Console.WriteLine($"{"precision",-10} {"steps/s (median)",17} {"last-epoch loss",16}");
        foreach (var (precision, runs) in results)
            Console.WriteLine($"{precision.ToString().ToLowerInvariant(),-10} {Median(runs.Select(r => r.StepsPerSecond)),17:F2} {runs[^1].Loss,16:F5}");
        double ratio = Median(results[TrainingPrecision.Bf16].Select(r => r.StepsPerSecond)) / Median(results[TrainingPrecision.Fp32].Select(r => r.StepsPerSecond));
        Console.WriteLine($"bf16 / fp32 steps/s: {ratio:F2}x");
        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>avx512_bf16 / amx_bf16 in /proc/cpuinfo: without them oneDNN emulates bfloat16 matmuls with float32 ones plus conversions.</summary>
    private static string Bf16Flags()
    {
        var flags = Bf16Flag().Matches(File.ReadAllText("/proc/cpuinfo")).Select(m => m.Value).Distinct().ToArray();
        return flags.Length > 0 ? string.Join(", ", flags) : "none (no avx512_bf16, no amx_bf16)";
    }

    [GeneratedRegex(@"\b(avx512_bf16|amx_bf16)\b")]
    private static partial Regex Bf16Flag();

    private sealed class SummaryMonitor : ITrainingMonitor
    {
        public List<EpochSummary> Summaries { get; } = [];
        public void BeginStage(string name, int total) { }
        public void Advance(int steps = 1) { }
        public void Log(string message) { }
        public void EpochEnded(EpochSummary summary) => Summaries.Add(summary);
    }
}
