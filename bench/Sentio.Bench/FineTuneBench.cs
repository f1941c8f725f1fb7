using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sentio.Checkpoints;
using Sentio.Data;
using Sentio.Models;
using Sentio.Text;
using Sentio.Training;

namespace Sentio.Bench;

/// <summary><c>finetune</c>: fine-tuning throughput on GoEmotions with a pretrained encoder (default all-MiniLM-L6-v2),
/// in real (non-padding) tokens per second, of Sentio's own training path — <see cref="TransformerClassifier.Fit"/>,
/// which batches texts of similar length and runs libtorch's fused attention — beside a plain PyTorch loop over the
/// same weights and token ids (tools/finetune_bench_reference.py) padded to 128 as the seeds do, and padded per batch
/// (dynamic padding). Sentio also runs once with the eager matmul–softmax–matmul attention, to show that gain apart.</summary>
public static class FineTuneBench
{
    public static int Run(IReadOnlyDictionary<string, string> options, string repoRoot)
    {
        int Option(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int threads = Option("threads", 2), batch = Option("batch", 32), steps = Option("steps", 20), warmup = Option("warmup-steps", 2);
        const int maxLength = 128;
        string dataDir = Path.GetFullPath(options.GetValueOrDefault("data-dir") ?? Path.Combine(repoRoot, "..", "shared", "data"));
        string folder = ModelStore.FromEnvironment(Console.Out).Resolve(options.GetValueOrDefault("model") ?? "all-MiniLM-L6-v2");

        var splits = DatasetLoader.Load(new DataOptions { Dataset = "goemotions/original" }, repoRoot, seed: 13, dataDir);
        var train = splits.Train.Subset(Enumerable.Range(0, batch * (warmup + steps)));
        Console.WriteLine($"CPU: {BenchMachine.CpuDescription()}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; {threads} threads");
        Console.WriteLine($"{folder}: GoEmotions train texts 1-{train.Count}, max_length {maxLength}, batch {batch}; {warmup} warmup + {steps} timed steps, " +
            "BCE, AdamW 5e-5, clipping 1.0; tokens/s counts real (non-padding) tokens, [CLS] and [SEP] included");

        var tokenizer = TransformerTokenizers.FromFolder(folder);
        string idsFile = Path.Combine(Path.GetTempPath(), $"sentio-finetune-bench-{Environment.ProcessId}.json");
        File.WriteAllText(idsFile, JsonSerializer.Serialize(new
        {
            ids = train.Texts.Select(t => tokenizer.Encode(t, maxLength).InputIds).ToArray(),
            targets = train.Examples.Select(e => Enumerable.Range(0, train.LabelCount).Select(j => e.Labels.Contains(j) ? 1 : 0).ToArray()).ToArray(),
        }));

        var peer = BenchMachine.RunPeer(repoRoot, "finetune_bench_reference.py",
            [idsFile, folder, "--threads", $"{threads}", "--batch", $"{batch}", "--steps", $"{steps}", "--warmup-steps", $"{warmup}", "--padded-length", $"{maxLength}"],
            threads, "the PyTorch reference failed (needs Debian's python3-torch: apt-get install python3-torch libopenblas0-pthread)");
        File.Delete(idsFile);
        if (peer is not { } reference) return 1;

        var sentioEager = SentioTokensPerSecond(folder, train, batch, maxLength, threads, warmup, fusedAttention: false);
        var sentio = SentioTokensPerSecond(folder, train, batch, maxLength, threads, warmup, fusedAttention: true);

        double dynamic = reference.GetProperty("dynamic").GetProperty("real_tokens_per_s").GetDouble();
        Console.WriteLine($"PyTorch {reference.GetProperty("torch").GetString()}, BLAS loaded: " +
            string.Join(", ", reference.GetProperty("blas_loaded").EnumerateArray().Select(e => e.GetString())));
        Console.WriteLine();
        Console.WriteLine($"{"",-40} {"real tokens/s",14} {"padding efficiency",19} {"/ PyTorch dynamic",18}");
        foreach (string mode in new[] { "padded", "dynamic" })
        {
            var figures = reference.GetProperty(mode);
            double rate = figures.GetProperty("real_tokens_per_s").GetDouble();
            Console.WriteLine($"{(mode == "padded" ? $"PyTorch, every batch padded to {maxLength}" : "PyTorch, dynamic padding"),-40} {rate,14:N0} " +
                $"{figures.GetProperty("padding_efficiency").GetDouble(),19:P1} {rate / dynamic,17:F2}x");
        }
        Console.WriteLine($"{"Sentio, eager attention",-40} {sentioEager,14:N0} {"",19} {sentioEager / dynamic,17:F2}x");
        Console.WriteLine($"{"Sentio (length-bucketed, fused attention)",-40} {sentio,14:N0} {"",19} {sentio / dynamic,17:F2}x");
        return 0;
    }

    /// <summary>Fits one epoch over <paramref name="train"/> and times the steps after the warmup ones through the monitor.</summary>
    private static double SentioTokensPerSecond(string folder, MultiLabelDataset train, int batch, int maxLength, int threads, int warmup, bool fusedAttention)
    {
        BertSelfAttention.FusedAttention = fusedAttention;
        var options = new TransformerClassifierOptions
        {
            Pretrained = folder, Mode = TransformerMode.FineTune, Pooling = TransformerPooling.Mean, MaxLength = maxLength,
            Training = new NeuralTrainingOptions
            {
                Epochs = 1, BatchSize = batch, LearningRate = 5e-5, WarmupRatio = 0, WeightDecay = 0.01, MaxGradNorm = 1.0,
                PosWeight = PosWeightMode.None, EarlyStoppingPatience = 0, Threads = threads,
            },
        };
        var timer = new StepTimer(warmup);
        using var model = new TransformerClassifier(options, train.LabelNames, seed: 13);
        model.Fit(train, null, new FitContext(timer));
        BertSelfAttention.FusedAttention = true;
        return timer.TokensPerSecond;
    }

    private sealed class StepTimer(int warmupSteps) : ITrainingMonitor
    {
        private readonly Stopwatch clock = new();
        private int steps;
        private long tokens;

        public double TokensPerSecond => tokens / clock.Elapsed.TotalSeconds;

        public void TrainingStepEnded(TrainingStep step)
        {
            if (++steps == warmupSteps) clock.Start();
            else if (steps > warmupSteps) tokens += step.Tokens ?? throw new InvalidOperationException("a transformer step reports its tokens");
        }

        public void BeginStage(string name, int total) { }
        public void Advance(int steps = 1) { }
        public void Log(string message) { }
        public void EpochEnded(EpochSummary summary) => clock.Stop();
    }
}
