using Sentio.Runs;
using Sentio.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Tests.Training;

[Collection(TorchRandomCollection.Name)]
public class NeuralTrainerTests
{
    /// <summary>Embedding → mean → LayerNorm → dropout → linear over fixed token ids: every kind of parameter the
    /// grouping rules distinguish, and dropout so that resume must replay the random stream.</summary>
    private sealed class TinyModel : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding embed;
        private readonly LayerNorm norm;
        private readonly Dropout dropout;
        private readonly Linear head;

        public TinyModel(int labels) : base(nameof(TinyModel))
        {
            embed = nn.Embedding(10, 4);
            norm = nn.LayerNorm(4);
            dropout = nn.Dropout(0.3);
            head = nn.Linear(4, labels);
            RegisterComponents();
        }

        public override Tensor forward(Tensor tokens) => head.call(dropout.call(norm.call(embed.call(tokens).mean([1]))));
    }

    [Fact]
    public void WarmupThenLinearDecayMatchesHandValues()
    {
        // 10 steps, warmup ⌈10 · 0.2⌉ = 2: step 0 → 0/2, step 1 → 1/2, step 2 → 1, then (10 − s) / 8.
        int warmup = LearningRateCurve.WarmupSteps(10, 0.2);
        Assert.Equal(2, warmup);
        double[] expected = [0, 0.5, 1, 7 / 8.0, 6 / 8.0, 5 / 8.0, 4 / 8.0, 3 / 8.0, 2 / 8.0, 1 / 8.0];
        for (int step = 0; step < 10; step++)
            Assert.Equal(expected[step], LearningRateCurve.Factor(LearningRateSchedule.Linear, step, warmup, 10), 12);
        // Cosine halfway through the decay (step 6: progress 4/8) is 0.5 · (1 + cos π/2) = 0.5; constant stays 1.
        Assert.Equal(0.5, LearningRateCurve.Factor(LearningRateSchedule.Cosine, 6, warmup, 10), 12);
        Assert.Equal(1.0, LearningRateCurve.Factor(LearningRateSchedule.Constant, 9, warmup, 10), 12);
    }

    [Fact]
    public void AutoPositiveWeightsAreNegativesOverPositivesCapped()
    {
        // 5 rows. Label 0: 1 positive → 4/1 = 4, capped to 3. Label 1: 2 positives → 3/2. Label 2: none → cap 3.
        bool[,] labels =
        {
            { true, true, false },
            { false, true, false },
            { false, false, false },
            { false, false, false },
            { false, false, false },
        };
        Assert.Equal([3.0, 1.5, 3.0], MultiLabelLoss.AutoPositiveWeights(labels, cap: 3));
    }

    [Fact]
    public void FocalAndWeightedBceLossesMatchHandCalculation()
    {
        // Cells (logit, target): (0, 1), (2, 0) / (−1, 1), (−1, 0); p = σ(x).
        // Focal γ = 2 per cell: −log(.5)·.5² = 0.1732868; −log(1−σ(2))·σ(2)² = 1.6500782;
        // −log σ(−1)·(1−σ(−1))² = 0.7018683; −log(1−σ(−1))·σ(−1)² = 0.0226581; mean 0.6369728.
        // α = 0.25 weighs positives .25 and negatives .75: mean 0.3683352.
        // Positive weights [2, 3] double the two positive cells (both in column 0): mean 0.8557616.
        // BCE with those weights: (2·0.6931472 + 2.1269280 + 2·1.3132617 + 0.3132617) / 4 = 1.6132519.
        using var logits = tensor(new float[] { 0, 2, -1, -1 }, [2, 2]);
        using var targets = tensor(new float[] { 1, 0, 1, 0 }, [2, 2]);
        double Loss(NeuralLoss kind, double? alpha, double[]? weights)
        {
            using var loss = new MultiLabelLoss(kind, 2.0, alpha, weights);
            using var value = loss.Compute(logits, targets);
            return value.item<float>();
        }
        Assert.Equal(0.6369728, Loss(NeuralLoss.Focal, null, null), 5);
        Assert.Equal(0.3683352, Loss(NeuralLoss.Focal, 0.25, null), 5);
        Assert.Equal(0.8557616, Loss(NeuralLoss.Focal, null, [2, 3]), 5);
        Assert.Equal(1.6132519, Loss(NeuralLoss.Bce, null, [2, 3]), 5);
    }

    [Fact]
    public void NoWeightDecayOnBiasesNormsAndEmbeddings()
    {
        using var model = new TinyModel(3);
        var options = new NeuralTrainingOptions { WeightDecay = 0.05 };
        var groups = NeuralTrainer.BuildParameterGroups(model, options);
        Assert.Equal(2, groups.Count);
        Assert.Equal(["embed.weight", "norm.weight", "norm.bias", "head.bias"], groups.Single(g => g.WeightDecay == 0).Names);
        Assert.Equal(["head.weight"], groups.Single(g => g.WeightDecay == 0.05).Names);

        // Decaying embeddings and a 10× head learning rate give three groups.
        var split = NeuralTrainer.BuildParameterGroups(model, options with { DecayEmbeddings = true },
            name => name.StartsWith("head.", StringComparison.Ordinal) ? 10 : 1);
        Assert.Equal(["embed.weight"], split.Single(g => g.WeightDecay == 0.05 && g.LearningRateMultiplier == 1).Names);
        Assert.Equal(["norm.weight", "norm.bias"], split.Single(g => g.WeightDecay == 0 && g.LearningRateMultiplier == 1).Names);
        Assert.Equal(["head.weight"], split.Single(g => g.WeightDecay == 0.05 && g.LearningRateMultiplier == 10).Names);
        Assert.Equal(["head.bias"], split.Single(g => g.WeightDecay == 0 && g.LearningRateMultiplier == 10).Names);
    }

    [Fact]
    public void LayerwiseMultiplierDecaysTowardsTheEmbeddings()
    {
        // 12 layers, decay 0.9: the top layer trains at 1, layer 10 at 0.81, the embeddings (0) at 0.9^12.
        Assert.Equal(1.0, NeuralTrainer.LayerwiseMultiplier(12, 12, 0.9), 12);
        Assert.Equal(0.81, NeuralTrainer.LayerwiseMultiplier(10, 12, 0.9), 12);
        Assert.Equal(0.2824295364810001, NeuralTrainer.LayerwiseMultiplier(0, 12, 0.9), 12);
    }

    [Fact]
    public void ClippingRescalesToTheMaximumGlobalNorm()
    {
        // Gradients (3, 4) and (12): global norm √(9 + 16 + 144) = 13; clipped to 1 each is divided by 13.
        using var a = new Parameter(zeros(2));
        using var b = new Parameter(zeros(1));
        a.grad = tensor(new float[] { 3, 4 });
        b.grad = tensor(new float[] { 12 });
        Assert.Equal(13.0, NeuralTrainer.ClipGradients([a, b], 1.0), 5);
        Assert.Equal([3 / 13f, 4 / 13f], a.grad!.data<float>().ToArray(), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(12 / 13f, b.grad!.data<float>()[0], 6);
    }

    [Fact]
    public void ShuffleDependsOnSeedAndEpochAloneAcrossProcesses()
    {
        // The literal was printed by a separate process (twice, identically): a per-process salt in the shuffle
        // seed (as HashCode.Combine has) would make a run resumed in a new process replay another order.
        Assert.Equal([3, 0, 4, 5, 2, 7, 6, 1], NeuralTrainer.Permutation(8, seed: 13, epoch: 2));
        Assert.NotEqual(NeuralTrainer.Permutation(8, 13, 2), NeuralTrainer.Permutation(8, 13, 3));
    }

    [Fact]
    public void Training_batches_group_texts_of_similar_length_when_the_split_has_lengths()
    {
        var (tokens, labels) = ToyData();
        using var model = new TinyModel(2);
        // lengths 39, 38, ..., 0: one chunk (40 < 50 batches × 4), so each batch of 4 must be 4 consecutive lengths.
        int[] lengths = Enumerable.Range(0, 40).Select(i => 39 - i).ToArray();
        var seen = new List<int[]>();
        var split = new NeuralSplit(40, labels, indices =>
        {
            seen.Add(indices.ToArray());
            return model.call(tokens[tensor(indices.Select(i => (long)i).ToArray())]);
        }, lengths);

        new NeuralTrainer(new NeuralTrainingOptions { Epochs = 2, BatchSize = 4, Threads = 1 }, 13).Train(model, split, null, SilentMonitor.Instance);

        Assert.Equal(20, seen.Count);
        foreach (var epoch in seen.Chunk(10))
        {
            Assert.Equal(Enumerable.Range(0, 40), epoch.SelectMany(b => b).Order());
            foreach (var batch in epoch)
            {
                var batchLengths = batch.Select(i => lengths[i]).Order().ToArray();
                Assert.Equal(0, batchLengths[0] % 4);
                Assert.Equal(Enumerable.Range(batchLengths[0], 4), batchLengths);
            }
        }
        Assert.NotEqual(seen.Take(10).Select(b => b.Min()), seen.Skip(10).Select(b => b.Min())); // batch order reshuffled per epoch
    }

    /// <summary>40 examples of 5 token ids; label 0 = "contains token 1", label 1 = "contains token 2".</summary>
    private static (Tensor Tokens, bool[,] Labels) ToyData()
    {
        var random = new Random(7);
        var tokens = new long[40 * 5];
        var labels = new bool[40, 2];
        for (int i = 0; i < 40; i++)
            for (int t = 0; t < 5; t++)
            {
                long token = random.Next(10);
                tokens[i * 5 + t] = token;
                if (token == 1) labels[i, 0] = true;
                if (token == 2) labels[i, 1] = true;
            }
        return (tensor(tokens, [40, 5]), labels);
    }

    private static NeuralSplit Split(TinyModel model, Tensor tokens, bool[,] labels, int from, int count) =>
        new(count, Slice(labels, from, count), indices => model.call(tokens[tensor(indices.Select(i => (long)(from + i)).ToArray())]));

    private static bool[,] Slice(bool[,] labels, int from, int count)
    {
        var slice = new bool[count, labels.GetLength(1)];
        for (int i = 0; i < count; i++) for (int j = 0; j < labels.GetLength(1); j++) slice[i, j] = labels[from + i, j];
        return slice;
    }

    private static float[] Weights(nn.Module model) =>
        model.parameters().SelectMany(p => p.detach().contiguous().data<float>().ToArray()).ToArray();

    private sealed class CancelAfter(int batches, CancellationTokenSource source) : ITrainingMonitor
    {
        private int seen;
        public void BeginStage(string name, int total) { }
        public void Advance(int steps = 1)
        {
            seen += steps;
            if (seen >= batches) source.Cancel();
        }
        public void Log(string message) { }
        public void EpochEnded(EpochSummary summary) { }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(1, 3)]
    public void ResumedRunEndsWithTheWeightsOfAnUninterruptedRun(int accumulation, int averageLastEpochs)
    {
        // 30 training examples in batches of 4 → 8 batches per epoch, 3 epochs; checkpoints every 2 optimizer
        // steps and at epoch ends. The interrupted run is cancelled after 13 batches (inside epoch 2, past a
        // checkpoint; with weight averaging the checkpoint carries the mean begun at epoch 1's end) and a fresh
        // model resumes from disk.
        var options = new NeuralTrainingOptions
        {
            Epochs = 3, BatchSize = 4, LearningRate = 0.05, WarmupRatio = 0.1, GradientAccumulationSteps = accumulation,
            CheckpointEverySteps = 2, EarlyStoppingPatience = 0,
            AverageLastEpochs = averageLastEpochs, KeepBest = averageLastEpochs > 1 ? KeptEpoch.Last : KeptEpoch.ValidationMacroF1,
        };
        var (tokens, labels) = ToyData();
        using var _ = tokens;

        torch.manual_seed(1);
        using var straight = new TinyModel(2);
        var straightResult = new NeuralTrainer(options, 5).Train(straight, Split(straight, tokens, labels, 0, 30),
            Split(straight, tokens, labels, 30, 10), SilentMonitor.Instance);

        string directory = TestPaths.NewTempDirectory();
        torch.manual_seed(1);
        using (var interrupted = new TinyModel(2))
        using (var source = new CancellationTokenSource())
            Assert.Throws<OperationCanceledException>(() => new NeuralTrainer(options, 5).Train(interrupted,
                Split(interrupted, tokens, labels, 0, 30), Split(interrupted, tokens, labels, 30, 10),
                new CancelAfter(13, source), directory, cancellation: source.Token));

        torch.manual_seed(99); // different initial weights: everything must come from the checkpoint
        using var resumed = new TinyModel(2);
        var resumedResult = new NeuralTrainer(options, 5).Train(resumed, Split(resumed, tokens, labels, 0, 30),
            Split(resumed, tokens, labels, 30, 10), SilentMonitor.Instance, directory, resume: true);

        Assert.Equal(Weights(straight), Weights(resumed));
        Assert.Equal(straightResult.OptimizerSteps, resumedResult.OptimizerSteps);
        Assert.Equal(straightResult.History.Select(h => (h.TrainLoss, h.ValidationLoss, h.ValidationMacroF1)),
            resumedResult.History.Select(h => (h.TrainLoss, h.ValidationLoss, h.ValidationMacroF1)));
        Assert.Equal(straightResult.BestEpoch, resumedResult.BestEpoch);
    }

    [Fact]
    public void ResumingWithOtherOptionsIsRefused()
    {
        var options = new NeuralTrainingOptions { Epochs = 1, BatchSize = 8, EarlyStoppingPatience = 0 };
        var (tokens, labels) = ToyData();
        using var _ = tokens;
        using var model = new TinyModel(2);
        string directory = TestPaths.NewTempDirectory();
        new NeuralTrainer(options, 5).Train(model, Split(model, tokens, labels, 0, 30), null, SilentMonitor.Instance, directory);
        var error = Assert.Throws<SentioException>(() => new NeuralTrainer(options with { LearningRate = 0.1 }, 5)
            .Train(model, Split(model, tokens, labels, 0, 30), null, SilentMonitor.Instance, directory, resume: true));
        Assert.Contains("other training options", error.Message);
    }

    [Fact]
    public void Keep_best_last_ends_with_the_weights_of_a_run_without_validation()
    {
        var options = new NeuralTrainingOptions { Epochs = 4, BatchSize = 8, LearningRate = 0.05, EarlyStoppingPatience = 0 };
        var (tokens, labels) = ToyData();
        using var _ = tokens;
        float[] Train(NeuralTrainingOptions trainingOptions, bool withValidation, out NeuralTrainingResult result)
        {
            torch.manual_seed(3);
            using var model = new TinyModel(2);
            result = new NeuralTrainer(trainingOptions, 5).Train(model, Split(model, tokens, labels, 0, 30),
                withValidation ? Split(model, tokens, labels, 30, 10) : null, SilentMonitor.Instance);
            return Weights(model);
        }
        float[] withoutValidation = Train(options, false, out var noValidationResult);
        float[] last = Train(options with { KeepBest = KeptEpoch.Last }, true, out var lastResult);
        float[] best = Train(options, true, out var bestResult);

        Assert.Null(noValidationResult.BestEpoch);
        Assert.Equal(withoutValidation, last);
        Assert.Equal(4, lastResult.BestEpoch);
        Assert.Equal(lastResult.History[^1].ValidationMacroF1, lastResult.BestValidationMacroF1);
        // The toy data's best epoch is an earlier one, so the default keeps other weights.
        Assert.NotEqual(4, bestResult.BestEpoch);
        Assert.NotEqual(last, best);
    }

    [Fact]
    public void Average_last_epochs_ends_with_the_mean_of_those_epochs_weights()
    {
        var options = new NeuralTrainingOptions
        {
            Epochs = 4, BatchSize = 8, LearningRate = 0.05, EarlyStoppingPatience = 0, KeepBest = KeptEpoch.Last, AverageLastEpochs = 3,
        };
        var (tokens, labels) = ToyData();
        using var _ = tokens;
        torch.manual_seed(3);
        using var model = new TinyModel(2);
        var monitor = new EpochWeights(model);
        var result = new NeuralTrainer(options, 5).Train(model, Split(model, tokens, labels, 0, 30), Split(model, tokens, labels, 30, 10), monitor);

        Assert.Equal(4, monitor.Weights.Count);
        float[] kept = Weights(model);
        for (int i = 0; i < kept.Length; i++)
            Assert.Equal((monitor.Weights[1][i] + monitor.Weights[2][i] + monitor.Weights[3][i]) / 3, kept[i], 1e-6f);
        Assert.NotEqual(monitor.Weights[3], kept);
        Assert.Equal(4, result.BestEpoch);
        Assert.Contains(monitor.Lines, l => l.StartsWith("kept the mean of the weights of the last 3 epochs (validation macro-F1 ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("average_last_epochs: 5", "model.training.average_last_epochs: expected an integer in [0, epochs = 4], got 5")]
    [InlineData("average_last_epochs: 2", "model.training.average_last_epochs: averaging the last epochs' weights replaces the best-epoch pick; set keep_best: last")]
    [InlineData("average_last_epochs: 2, keep_best: last, early_stopping_patience: 1",
        "model.training.average_last_epochs: early stopping could end the run before the epochs to average; set early_stopping_patience: 0")]
    public void Bad_weight_averaging_is_a_config_error_naming_the_key(string training, string expected)
    {
        var error = Assert.Throws<SentioException>(() => TrainConfig.Parse(
            $"data: {{ dataset: goemotions/original }}\nmodel: {{ architecture: sentio.BiLstmClassifier.v1, training: {{ epochs: 4, {training} }} }}", "x.yaml"));
        Assert.Equal($"x.yaml: invalid config (1 problem): {expected}", error.Message);
    }

    /// <summary>Keeps the module's weights at each epoch end, and the log.</summary>
    private sealed class EpochWeights(nn.Module model) : ITrainingMonitor
    {
        public List<float[]> Weights { get; } = [];
        public List<string> Lines { get; } = [];
        public void BeginStage(string name, int total) { }
        public void Advance(int steps = 1) { }
        public void Log(string message) => Lines.Add(message);
        public void EpochEnded(EpochSummary summary) => Weights.Add(NeuralTrainerTests.Weights(model));
    }

    [Fact]
    public void KeepsTheEpochWithTheBestValidationMacroF1()
    {
        var options = new NeuralTrainingOptions { Epochs = 4, BatchSize = 8, LearningRate = 0.05, EarlyStoppingPatience = 0 };
        var (tokens, labels) = ToyData();
        using var _ = tokens;
        torch.manual_seed(3);
        using var model = new TinyModel(2);
        var validation = Split(model, tokens, labels, 30, 10);
        var result = new NeuralTrainer(options, 5).Train(model, Split(model, tokens, labels, 0, 30), validation, SilentMonitor.Instance);
        var best = result.History.OrderByDescending(h => h.ValidationMacroF1).ThenBy(h => h.Epoch).First();
        Assert.Equal(best.Epoch, result.BestEpoch);
        // The module now holds that epoch's weights: macro-F1 at threshold 0.5, recomputed here, is that epoch's.
        model.eval();
        using var logits = validation.Logits(Enumerable.Range(0, 10).ToArray());
        float[] values = logits.data<float>().ToArray();
        double f1Sum = 0;
        for (int j = 0; j < 2; j++)
        {
            int tp = 0, predicted = 0, gold = 0;
            for (int i = 0; i < 10; i++)
            {
                bool p = values[i * 2 + j] > 0, g = validation.Labels[i, j];
                if (p) predicted++;
                if (g) gold++;
                if (p && g) tp++;
            }
            f1Sum += predicted + gold == 0 ? 0 : 2.0 * tp / (predicted + gold);
        }
        Assert.Equal(best.ValidationMacroF1!.Value, f1Sum / 2, 9);
    }
}
