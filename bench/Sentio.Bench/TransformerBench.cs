using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sentio.Checkpoints;
using Sentio.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Sentio.Bench;

/// <summary><c>transformer</c>: train-step tokens/s and inference sentences/s of a BERT sequence classifier (default the
/// all-MiniLM-L6-v2 shape: 6 layers × 384 hidden, 12 heads, FFN 1536, vocab 30522, 28 labels) on random ids of a fixed
/// batch × seq, Sentio (TorchSharp) beside PyTorch (tools/transformer_bench_reference.py, Debian's /usr/bin/python3) in
/// the same run with the same threads; then the Sentio process's resident memory over many training steps of a small
/// BERT (2 × 128, batch 8), which stays flat when every step's tensors are disposed, and its peak (VmHWM).</summary>
public static partial class TransformerBench
{
    private sealed record Shape(int Layers, int Hidden, int Heads, int Ffn, int Vocab);

    public static int Run(IReadOnlyDictionary<string, string> options, string repoRoot)
    {
        int Option(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int threads = Option("threads", 2), batch = Option("batch", 32), seq = Option("seq", 64);
        int warmup = Option("warmup-steps", 2), trainSteps = Option("train-steps", 10), inferenceBatches = Option("inference-batches", 10);
        int memorySteps = Option("memory-steps", 300), memoryBatch = Option("memory-batch", 8);
        var miniLm = new Shape(6, 384, 12, 1536, 30522);
        torch.set_num_threads(threads);
        Console.WriteLine($"CPU: {BenchMachine.CpuDescription()}");
        Console.WriteLine($"BERT {miniLm.Layers} layers × {miniLm.Hidden} hidden, {miniLm.Heads} heads, FFN {miniLm.Ffn}, vocab {miniLm.Vocab}, 28 labels; " +
            $"batch {batch} × seq {seq}; {threads} threads; {warmup} warmup + {trainSteps} timed train steps, {inferenceBatches} inference batches");
        Console.WriteLine($"Sentio: {LoadedLibtorch()}; BLAS: oneMKL, linked statically into libtorch_cpu.so; also mapped: {LoadedBlas()}; " +
            $"OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "unset (active: threads spin while waiting, which costs much on a busy machine; set PASSIVE there)"}");

        var (sentioTrain, sentioInference) = Throughput(miniLm, batch, seq, warmup, trainSteps, inferenceBatches);

        if (BenchMachine.RunPeer(repoRoot, "transformer_bench_reference.py",
                ["--threads", $"{threads}", "--batch", $"{batch}", "--seq", $"{seq}", "--warmup-steps", $"{warmup}", "--train-steps", $"{trainSteps}",
                 "--inference-batches", $"{inferenceBatches}"], threads,
                "the PyTorch reference failed (needs Debian's python3-torch: apt-get install python3-torch)") is not { } reference)
            return 1;
        double torchTrain = reference.GetProperty("train_tokens_per_s").GetDouble();
        double torchInference = reference.GetProperty("inference_sentences_per_s").GetDouble();
        Console.WriteLine($"PyTorch {reference.GetProperty("torch").GetString()}: build BLAS_INFO={reference.GetProperty("blas_build").GetString()}, loaded " +
            string.Join(", ", reference.GetProperty("blas_loaded").EnumerateArray().Select(e => e.GetString())) +
            $"; OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE"}, OPENBLAS_NUM_THREADS={threads}");

        Console.WriteLine();
        Console.WriteLine($"{"",-22} {"Sentio",10} {"PyTorch",10} {"Sentio/PyTorch",15}");
        Console.WriteLine($"{"train tokens/s",-22} {sentioTrain,10:F0} {torchTrain,10:F0} {sentioTrain / torchTrain,14:F2}x");
        Console.WriteLine($"{"inference sentences/s",-22} {sentioInference,10:F1} {torchInference,10:F1} {sentioInference / torchInference,14:F2}x");

        Console.WriteLine();
        var small = new Shape(2, 128, 4, 512, 30522);
        Console.WriteLine($"Resident memory over {memorySteps} training steps of a {small.Layers} × {small.Hidden} BERT (batch {memoryBatch} × seq {seq}):");
        MemoryOverSteps(small, memoryBatch, seq, memorySteps);
        Console.WriteLine($"peak resident memory of this process (VmHWM): {Status("VmHWM")} MiB");
        return 0;
    }

    private static BertForSequenceClassification Build(Shape shape) => new(new TransformerConfig
    {
        ModelType = "bert", VocabSize = shape.Vocab, HiddenSize = shape.Hidden, NumHiddenLayers = shape.Layers,
        NumAttentionHeads = shape.Heads, IntermediateSize = shape.Ffn, Labels = Enumerable.Range(0, 28).Select(i => $"label{i}").ToArray(),
    });

    /// <summary>The same step as the reference: forward, BCE with logits, backward, clip to norm 1, AdamW, zero the grads.</summary>
    private sealed class Stepper : IDisposable
    {
        private readonly BertForSequenceClassification model;
        private readonly optim.Optimizer optimizer;
        private readonly Tensor ids, mask, types, targets;

        public Stepper(Shape shape, int batch, int seq)
        {
            torch.manual_seed(13);
            model = Build(shape);
            optimizer = optim.AdamW(model.parameters(), 5e-5, weight_decay: 0.01);
            ids = randint(5, shape.Vocab, [batch, seq], dtype: ScalarType.Int64);
            mask = ones([batch, seq], dtype: ScalarType.Int64);
            types = zeros([batch, seq], dtype: ScalarType.Int64);
            targets = (rand([batch, 28]) < 0.1).to_type(ScalarType.Float32);
        }

        public void Train()
        {
            using var scope = NewDisposeScope();
            model.train();
            var loss = nn.functional.binary_cross_entropy_with_logits(model.forward(ids, mask, types), targets);
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            optimizer.zero_grad();
        }

        public void Infer()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.eval();
            model.forward(ids, mask, types);
        }

        public void Dispose()
        {
            foreach (var t in new[] { ids, mask, types, targets }) t.Dispose();
            optimizer.Dispose();
            model.Dispose();
        }
    }

    private static (double TrainTokensPerSecond, double InferenceSentencesPerSecond) Throughput(
        Shape shape, int batch, int seq, int warmup, int trainSteps, int inferenceBatches)
    {
        using var stepper = new Stepper(shape, batch, seq);
        for (int i = 0; i < warmup; i++) stepper.Train();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < trainSteps; i++) stepper.Train();
        double train = (double)trainSteps * batch * seq / clock.Elapsed.TotalSeconds;
        for (int i = 0; i < warmup; i++) stepper.Infer();
        clock.Restart();
        for (int i = 0; i < inferenceBatches; i++) stepper.Infer();
        return (train, (double)inferenceBatches * batch / clock.Elapsed.TotalSeconds);
    }

    private static void MemoryOverSteps(Shape shape, int batch, int seq, int steps)
    {
        using var stepper = new Stepper(shape, batch, seq);
        stepper.Train(); // the optimizer's moments exist from the first step on
        Console.WriteLine($"  after step {1,5}: VmRSS {Status("VmRSS"),6} MiB");
        for (int step = 2; step <= steps; step++)
        {
            stepper.Train();
            if (step % Math.Max(1, steps / 4) == 0 || step == steps) Console.WriteLine($"  after step {step,5}: VmRSS {Status("VmRSS"),6} MiB");
        }
    }

    /// <summary>A /proc/self/status memory field (VmRSS, VmHWM) in MiB.</summary>
    private static long Status(string field)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(Regex.Match(line, @"\d+").Value, CultureInfo.InvariantCulture) / 1024;
    }

    private static IEnumerable<string> MappedFiles() =>
        File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "").Where(p => p.StartsWith('/')).Distinct();

    /// <summary>BLAS, LAPACK and OpenMP libraries mapped into this process besides libtorch_cpu.so.</summary>
    private static string LoadedBlas()
    {
        var libraries = MappedFiles().Where(p => BlasLibrary().IsMatch(Path.GetFileName(p))).Select(Path.GetFileName).ToArray();
        return libraries.Length > 0 ? string.Join(", ", libraries) : "none";
    }

    /// <summary>The libtorch_cpu.so this process runs (the libtorch-cpu package's copy in the build output).</summary>
    private static string LoadedLibtorch() =>
        MappedFiles().FirstOrDefault(p => p.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal)) ?? "libtorch_cpu.so not mapped";

    [GeneratedRegex(@"blas|mkl|lapack|gomp|iomp", RegexOptions.IgnoreCase)]
    private static partial Regex BlasLibrary();
}
