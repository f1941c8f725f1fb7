using System.Diagnostics;
using System.Text.Json;
using Sentio.Data;
using Sentio.IO;
using Sentio.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Training;

/// <summary>One split the trainer iterates: its size, its 0/1 labels and how to get logits for some of its examples.</summary>
/// <param name="Labels">[examples, labels] gold labels; one-hot rows for a single-label problem.</param>
/// <param name="Logits">Maps example indices (a batch) to logits [batch, labels] (float32), through the trained
/// module in whatever mode (train / eval) the trainer has set.</param>
/// <param name="Lengths">Encoded length of each example, [examples]; when given, training batches group texts of
/// similar length (<see cref="LengthBucketBatchSampler"/>) so dynamic padding wastes little; null: plain shuffled batches.</param>
public sealed record NeuralSplit(int Count, bool[,] Labels, Func<IReadOnlyList<int>, Tensor> Logits, IReadOnlyList<int>? Lengths = null);

/// <summary>One AdamW parameter group: which parameters, with what weight decay and learning-rate multiplier.</summary>
public sealed record ParameterGroupSpec(IReadOnlyList<string> Names, double WeightDecay, double LearningRateMultiplier);

/// <summary>What a call to <see cref="NeuralTrainer.Train"/> did.</summary>
/// <param name="BestEpoch">1-based epoch whose weights the module holds now (with <see cref="NeuralTrainingOptions.AverageLastEpochs"/>,
/// the last, whose weights are in the mean it holds); null without a validation split (the last weights are kept).</param>
public sealed record NeuralTrainingResult(
    int EpochsCompleted,
    int OptimizerSteps,
    int? BestEpoch,
    double? BestValidationMacroF1,
    double? BestValidationLoss,
    bool StoppedEarly,
    IReadOnlyList<EpochSummary> History);

/// <summary>The training loop shared by Sentio's neural models: a module maps a batch to logits [batch, labels];
/// this class shuffles (seeded), batches, computes the loss, accumulates and clips gradients, steps AdamW
/// along the warmup schedule, validates each epoch, keeps the best weights, stops early, and writes
/// resumable checkpoints. A run resumed from a checkpoint ends with the same weights as one never stopped.
/// <paramref name="seed"/> (the config's one seed) drives the shuffles and the per-batch torch generator.
/// <paramref name="problemType"/> picks the loss family: per-label sigmoid (<see cref="MultiLabelLoss"/>) or softmax over
/// the labels (<see cref="SingleLabelLoss"/>), and what validation measures (threshold 0.5, or the most probable label).</summary>
/// <remarks>Reproducibility across resume: the shuffle of epoch e comes from (seed, e) alone, and the torch
/// generator is reseeded from (seed, epoch, batch) before every batch, so a checkpoint needs only counters,
/// weights and the optimizer's moments; checkpoints are taken only between optimizer steps.</remarks>
public sealed class NeuralTrainer(NeuralTrainingOptions options, int seed, ProblemType problemType = ProblemType.MultiLabelClassification)
{
    private const string LatestFile = "latest.json";

    /// <summary>Whether <paramref name="directory"/> holds a checkpoint to resume from; false for null (no checkpoints).</summary>
    public static bool HasCheckpoint(string? directory) => directory != null && File.Exists(Path.Combine(directory, LatestFile));

    public NeuralTrainingOptions Options { get; } = options;

    public int Seed { get; } = seed;

    public ProblemType ProblemType { get; } = problemType;

    private bool SingleLabel => ProblemType == ProblemType.SingleLabelClassification;

    /// <summary>Trains <paramref name="module"/> in place.</summary>
    /// <param name="checkpointDirectory">Where resumable checkpoints go; null = none written.</param>
    /// <param name="resume">Continue from the latest checkpoint in <paramref name="checkpointDirectory"/>
    /// (a <see cref="SentioException"/> when there is none or it was written for other options or data).</param>
    /// <param name="learningRateMultiplier">Maps a parameter name to its learning-rate multiplier (discriminative
    /// learning rates, e.g. encoder vs head, or <see cref="LayerwiseMultiplier"/>); null = 1 everywhere.</param>
    /// <param name="cancellation">Checked before each optimizer step; cancelling writes a checkpoint of the state reached
    /// (when <paramref name="checkpointDirectory"/> is given) and throws <see cref="OperationCanceledException"/>.</param>
    public NeuralTrainingResult Train(
        nn.Module module,
        NeuralSplit train,
        NeuralSplit? validation,
        ITrainingMonitor monitor,
        string? checkpointDirectory = null,
        bool resume = false,
        Func<string, double>? learningRateMultiplier = null,
        CancellationToken cancellation = default)
    {
        if (train.Count == 0) throw new SentioException("training split: no examples to train on");
        if (validation is { Count: 0 }) throw new SentioException("validation split: no examples; give a non-empty validation split or none");
        if (resume && checkpointDirectory == null) throw new ArgumentException("resume needs a checkpoint directory", nameof(resume));
        using var threads = TorchThreads.Use(Options.Threads);

        var groups = BuildParameterGroups(module, Options, learningRateMultiplier);
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var optimizer = torch.optim.AdamW(
            groups.Select(g => new AdamW.ParamGroup(g.Names.Select(n => parameters[n]), Options.LearningRate * g.LearningRateMultiplier,
                Options.AdamBeta1, Options.AdamBeta2, Options.AdamEpsilon, g.WeightDecay, false, false)).ToArray(),
            Options.LearningRate, Options.AdamBeta1, Options.AdamBeta2, Options.AdamEpsilon, Options.WeightDecay);
        var trainable = groups.SelectMany(g => g.Names).Select(n => parameters[n]).ToArray();
        var precision = new MixedPrecision(Options.Precision, trainable.Length > 0 ? trainable[0].device_type : DeviceType.CPU);

        using var loss = CreateLoss(train, monitor);

        int batchesPerEpoch = (train.Count + Options.BatchSize - 1) / Options.BatchSize;
        int stepsPerEpoch = (batchesPerEpoch + Options.GradientAccumulationSteps - 1) / Options.GradientAccumulationSteps;
        int totalSteps = stepsPerEpoch * Options.Epochs;
        int warmupSteps = LearningRateCurve.WarmupSteps(totalSteps, Options.WarmupRatio);
        string fingerprint = Fingerprint(train);

        var state = new TrainerState();
        // The scaler's state travels in the checkpoint; a checkpoint taken before the first step must restore the initial scale.
        if (precision.Scaler is { } initial) (state.LossScale, state.LossScaleGrowthTracker) = (initial.Scale, initial.GrowthTracker);
        Dictionary<string, Tensor>? bestWeights = null;
        try
        {
            if (resume)
            {
                (state, bestWeights) = LoadCheckpoint(checkpointDirectory!, module, optimizer, fingerprint);
                precision.Scaler?.Restore(state.LossScale, state.LossScaleGrowthTracker);
                monitor.Log($"resumed from {checkpointDirectory} at epoch {state.Epoch + 1}, batch {state.Batch}, optimizer step {state.OptimizerStep}");
            }

            while (state.Epoch < Options.Epochs && !state.StoppedEarly)
            {
                int epoch = state.Epoch;
                var clock = Stopwatch.StartNew();
                int[][] batches = EpochBatches(train, epoch);
                monitor.BeginStage($"epoch {epoch + 1}/{Options.Epochs}", batchesPerEpoch);
                if (state.Batch > 0) monitor.Advance(state.Batch);
                module.train();
                for (int batch = state.Batch; batch < batchesPerEpoch; batch++)
                {
                    if (cancellation.IsCancellationRequested && batch % Options.GradientAccumulationSteps == 0)
                    {
                        if (checkpointDirectory != null) SaveCheckpoint(checkpointDirectory, module, optimizer, state, bestWeights, fingerprint);
                        cancellation.ThrowIfCancellationRequested();
                    }
                    using (var scope = NewDisposeScope())
                    {
                        torch.manual_seed(StepSeed(Seed, epoch, batch));
                        int[] indices = batches[batch];
                        var batchLoss = loss.Compute(precision.Forward(train, indices), Targets(train.Labels, indices));
                        var stepLoss = Options.GradientAccumulationSteps == 1 ? batchLoss : batchLoss / Options.GradientAccumulationSteps;
                        (precision.Scaler?.ScaleLoss(stepLoss) ?? stepLoss).backward();
                        state.EpochLossSum += batchLoss.item<float>() * indices.Length;
                        state.EpochLossCount += indices.Length;

                        bool stepNow = (batch + 1) % Options.GradientAccumulationSteps == 0 || batch == batchesPerEpoch - 1;
                        if (stepNow)
                        {
                            double factor = LearningRateCurve.Factor(Options.Schedule, state.OptimizerStep, warmupSteps, totalSteps);
                            for (int g = 0; g < groups.Count; g++)
                                optimizer.ParamGroups.ElementAt(g).LearningRate = Options.LearningRate * groups[g].LearningRateMultiplier * factor;
                            // GradScaler's order: unscale, then clip the true gradients, then step unless they overflowed.
                            bool overflowed = precision.Scaler?.Unscale(trainable) ?? false;
                            if (!overflowed)
                            {
                                if (Options.MaxGradNorm > 0) ClipGradients(trainable, Options.MaxGradNorm);
                                optimizer.step();
                            }
                            else state.SkippedSteps++;
                            if (precision.Scaler is { } scaler)
                            {
                                scaler.Update(overflowed);
                                (state.LossScale, state.LossScaleGrowthTracker) = (scaler.Scale, scaler.GrowthTracker);
                            }
                            optimizer.zero_grad();
                            state.OptimizerStep++;
                        }
                        state.Batch = batch + 1;
                        if (stepNow && checkpointDirectory != null && Options.CheckpointEverySteps > 0
                            && state.OptimizerStep % Options.CheckpointEverySteps == 0 && state.Batch < batchesPerEpoch)
                            SaveCheckpoint(checkpointDirectory, module, optimizer, state, bestWeights, fingerprint);
                    }
                    monitor.Advance();
                    monitor.TrainingStepEnded(new TrainingStep(batches[batch].Length, train.Lengths == null ? null : batches[batch].Sum(i => train.Lengths[i]),
                        state.EpochLossSum / state.EpochLossCount));
                }

                double trainLoss = state.EpochLossSum / state.EpochLossCount;
                EpochSummary summary;
                if (validation != null)
                {
                    var (validationLoss, macroF1, subsetAccuracy) = Evaluate(module, validation, loss, precision, monitor);
                    summary = new EpochSummary(epoch + 1, trainLoss, validationLoss, macroF1, subsetAccuracy, clock.Elapsed.TotalSeconds);
                    double kept = Options.KeepBest == KeptEpoch.ValidationLoss ? -validationLoss : macroF1;
                    if (Options.KeepBest == KeptEpoch.Last || state.BestEpoch == null || kept > state.BestKept)
                    {
                        // The last epoch's weights are the module's own at the end (or averaged below): nothing to copy.
                        if (Options.KeepBest != KeptEpoch.Last)
                        {
                            DisposeAll(bestWeights);
                            bestWeights = CloneWeights(module);
                        }
                        state.BestEpoch = epoch + 1;
                        state.BestKept = kept;
                        state.BestMacroF1 = macroF1;
                        state.BestValidationLoss = validationLoss;
                    }
                    double watched = Options.EarlyStoppingMetric == EarlyStoppingMetric.ValidationLoss ? -validationLoss : macroF1;
                    if (state.BestWatched == null || watched > state.BestWatched + Options.EarlyStoppingMinDelta)
                    {
                        state.BestWatched = watched;
                        state.EpochsWithoutImprovement = 0;
                    }
                    else state.EpochsWithoutImprovement++;
                    state.StoppedEarly = Options.EarlyStoppingPatience > 0 && state.EpochsWithoutImprovement >= Options.EarlyStoppingPatience
                        && epoch + 1 < Options.Epochs;
                }
                else summary = new EpochSummary(epoch + 1, trainLoss, null, null, null, clock.Elapsed.TotalSeconds);
                int averaged = epoch + 1 - (Options.Epochs - Options.AverageLastEpochs);
                if (Options.AverageLastEpochs > 1 && averaged >= 1) bestWeights = AddToMean(bestWeights, module, averaged);

                monitor.EpochEnded(summary);
                state.History.Add(summary);
                state.Epoch = epoch + 1;
                state.Batch = 0;
                state.EpochLossSum = 0;
                state.EpochLossCount = 0;
                if (precision.Scaler != null)
                    monitor.Log($"fp16: {state.SkippedSteps} optimizer steps so far skipped for inf/NaN gradients; loss scale {state.LossScale}");
                if (state.StoppedEarly) monitor.Log($"early stopping after epoch {epoch + 1}: no improvement of {Options.EarlyStoppingMetric} for {state.EpochsWithoutImprovement} epochs");
                if (checkpointDirectory != null) SaveCheckpoint(checkpointDirectory, module, optimizer, state, bestWeights, fingerprint);
            }

            if (bestWeights != null) module.load_state_dict(bestWeights);
            string validated = SingleLabel ? "of the most probable label" : "at threshold 0.5";
            if (Options.AverageLastEpochs > 1)
            {
                // "the last k", not epoch numbers: under an unfreeze schedule the trainer sees one phase's epochs.
                string epochs = $"the last {Options.AverageLastEpochs} epochs";
                if (validation == null) monitor.Log($"kept the mean of the weights of {epochs}");
                else
                {
                    var (averageLoss, averageMacroF1, _) = Evaluate(module, validation, loss, precision, monitor);
                    monitor.Log($"kept the mean of the weights of {epochs} (validation macro-F1 {averageMacroF1:0.0000} {validated}, loss {averageLoss:0.00000})");
                }
            }
            else if (state.BestEpoch != null)
            {
                monitor.Log($"kept the weights of epoch {state.BestEpoch}{(Options.KeepBest == KeptEpoch.Last ? ", the last" : "")} (validation macro-F1 {state.BestMacroF1:0.0000} {validated}, loss {state.BestValidationLoss:0.00000})");
            }
            return new NeuralTrainingResult(state.Epoch, state.OptimizerStep, state.BestEpoch, state.BestEpoch == null ? null : state.BestMacroF1,
                state.BestEpoch == null ? null : state.BestValidationLoss, state.StoppedEarly, state.History.ToArray());
        }
        finally
        {
            DisposeAll(bestWeights);
        }
    }

    /// <summary>Splits the trainable parameters (requires_grad) of <paramref name="module"/> into AdamW groups.
    /// No weight decay for biases (names whose last part starts with <c>bias</c>), for parameters of normalisation
    /// modules (LayerNorm, BatchNorm, GroupNorm, or a module whose name contains "norm"), and for embedding tables
    /// unless <see cref="NeuralTrainingOptions.DecayEmbeddings"/>. Groups keep the modules' parameter order.</summary>
    public static IReadOnlyList<ParameterGroupSpec> BuildParameterGroups(nn.Module module, NeuralTrainingOptions options, Func<string, double>? learningRateMultiplier = null)
    {
        var exempt = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (moduleName, child) in module.named_modules())
        {
            bool isNorm = child is LayerNorm or BatchNorm1d or BatchNorm2d or GroupNorm
                || moduleName.Split('.')[^1].Contains("norm", StringComparison.OrdinalIgnoreCase);
            bool isEmbedding = child is Embedding && !options.DecayEmbeddings;
            if (!isNorm && !isEmbedding) continue;
            foreach (var (parameterName, _) in child.named_parameters(recurse: false))
                exempt.Add(moduleName.Length == 0 ? parameterName : $"{moduleName}.{parameterName}");
        }

        var groups = new List<(double Decay, double Multiplier, List<string> Names)>();
        foreach (var (name, parameter) in module.named_parameters())
        {
            if (!parameter.requires_grad) continue;
            bool noDecay = exempt.Contains(name) || name.Split('.')[^1].StartsWith("bias", StringComparison.Ordinal);
            double decay = noDecay ? 0.0 : options.WeightDecay;
            double multiplier = learningRateMultiplier?.Invoke(name) ?? 1.0;
            var group = groups.FirstOrDefault(g => g.Decay == decay && g.Multiplier == multiplier);
            if (group.Names == null) groups.Add((decay, multiplier, [name]));
            else group.Names.Add(name);
        }
        return groups.Select(g => new ParameterGroupSpec(g.Names, g.Decay, g.Multiplier)).ToArray();
    }

    /// <summary>Learning-rate multiplier decay^(layerCount − layer) for layer <paramref name="layer"/> of a
    /// layered encoder (0 = embeddings, <paramref name="layerCount"/> = the top layer and the head get 1).</summary>
    public static double LayerwiseMultiplier(int layer, int layerCount, double decay) => Math.Pow(decay, layerCount - layer);

    /// <summary>Rescales the gradients of <paramref name="parameters"/> so their global L2 norm is at most
    /// <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public static double ClipGradients(IEnumerable<Parameter> parameters, double maxNorm) =>
        torch.nn.utils.clip_grad_norm_(parameters, maxNorm);

    /// <summary>The order of the training examples in epoch <paramref name="epoch"/> (0-based): a Fisher–Yates
    /// shuffle driven by (seed, epoch) alone, so a resumed run replays it.</summary>
    public static int[] Permutation(int count, int seed, int epoch)
    {
        // Not HashCode.Combine: it is salted per process, and a resumed run must replay the shuffle in a new process.
        var random = new Random(unchecked(seed * 1_000_003 + epoch));
        int[] order = Enumerable.Range(0, count).ToArray();
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The batches of one epoch, drawn from (seed, epoch) alone so a resumed run replays them: shuffled
    /// slices, or length-bucketed batches when the split has lengths. Either way ⌈n / batch size⌉ batches.</summary>
    private int[][] EpochBatches(NeuralSplit train, int epoch) => train.Lengths == null
        ? Permutation(train.Count, Seed, epoch).Chunk(Options.BatchSize).ToArray()
        : LengthBucketBatchSampler.Batches(train.Lengths, Options.BatchSize, LengthBucketChunkBatches, unchecked(Seed * 1_000_003 + epoch)).ToArray();

    /// <summary>Batches per length-sorted chunk: tight grouping while batch order stays well shuffled.</summary>
    private const int LengthBucketChunkBatches = 50;

    private static long StepSeed(int seed, int epoch, int batch) => ((long)seed * 1_000_003L + epoch) * 1_000_003L + batch;

    /// <summary>The loss of the problem type, with positive weights (multi-label) or class weights (single-label) from the
    /// training split when <see cref="NeuralTrainingOptions.PosWeight"/> is auto.</summary>
    private ITrainingLoss CreateLoss(NeuralSplit train, ITrainingMonitor monitor)
    {
        bool auto = Options.PosWeight == PosWeightMode.Auto;
        if (SingleLabel)
        {
            double[]? classWeights = auto ? SingleLabelLoss.BalancedClassWeights(train.Labels, Options.PosWeightCap) : null;
            if (classWeights != null)
                monitor.Log($"class weights (balanced, cap {Options.PosWeightCap}): min {classWeights.Min():0.##}, max {classWeights.Max():0.##}");
            return new SingleLabelLoss(Options.Loss, Options.FocalGamma, classWeights);
        }
        double[]? positiveWeights = auto ? MultiLabelLoss.AutoPositiveWeights(train.Labels, Options.PosWeightCap) : null;
        if (positiveWeights != null)
            monitor.Log($"positive weights (auto, cap {Options.PosWeightCap}): min {positiveWeights.Min():0.##}, max {positiveWeights.Max():0.##}");
        return new MultiLabelLoss(Options.Loss, Options.FocalGamma, Options.FocalAlpha, positiveWeights);
    }

    /// <summary>Targets for the loss: [indices] int64 class indices (the true column of each one-hot row) for a single-label
    /// problem, else [indices, labels] float 0/1.</summary>
    private Tensor Targets(bool[,] labels, IReadOnlyList<int> indices)
    {
        if (SingleLabel)
        {
            var classes = new long[indices.Count];
            for (int i = 0; i < indices.Count; i++) classes[i] = TrueClass(labels, indices[i]);
            return torch.tensor(classes);
        }
        int labelCount = labels.GetLength(1);
        var values = new float[indices.Count * labelCount];
        for (int i = 0; i < indices.Count; i++)
            for (int j = 0; j < labelCount; j++)
                values[i * labelCount + j] = labels[indices[i], j] ? 1f : 0f;
        return torch.tensor(values, [indices.Count, labelCount]);
    }

    private static int TrueClass(bool[,] labels, int row)
    {
        for (int c = 0; c < labels.GetLength(1); c++) if (labels[row, c]) return c;
        throw new ArgumentException($"example {row} has no label; a single-label split needs one per example", nameof(labels));
    }

    /// <summary>Mean loss, macro-F1 and subset accuracy on <paramref name="split"/>, in eval mode without gradients. A label
    /// is predicted at logit &gt; 0 (threshold 0.5) for a multi-label problem and as the most probable one for a single-label
    /// problem, where subset accuracy is plain accuracy; a label with no gold and no predicted positives scores F1 0.</summary>
    private (double Loss, double MacroF1, double SubsetAccuracy) Evaluate(nn.Module module, NeuralSplit split, ITrainingLoss loss, MixedPrecision precision, ITrainingMonitor monitor)
    {
        int labelCount = split.Labels.GetLength(1);
        int batches = (split.Count + Options.BatchSize - 1) / Options.BatchSize;
        var truePositives = new long[labelCount];
        var predictedPositives = new long[labelCount];
        var goldPositives = new long[labelCount];
        double lossSum = 0;
        int exactMatches = 0;
        monitor.BeginStage("validation", batches);
        module.eval();
        using (torch.no_grad())
        {
            for (int batch = 0; batch < batches; batch++)
            {
                using var scope = NewDisposeScope();
                int[] indices = Enumerable.Range(batch * Options.BatchSize, Math.Min(Options.BatchSize, split.Count - batch * Options.BatchSize)).ToArray();
                var logits = precision.Forward(split, indices);
                lossSum += loss.Compute(logits, Targets(split.Labels, indices)).item<float>() * indices.Length;
                float[] values = logits.contiguous().data<float>().ToArray();
                for (int i = 0; i < indices.Length; i++)
                {
                    bool exact = true;
                    int top = SingleLabel ? ArgMax(values, i * labelCount, labelCount) : -1;
                    for (int j = 0; j < labelCount; j++)
                    {
                        bool predicted = SingleLabel ? j == top : values[i * labelCount + j] > 0, gold = split.Labels[indices[i], j];
                        if (predicted) predictedPositives[j]++;
                        if (gold) goldPositives[j]++;
                        if (predicted && gold) truePositives[j]++;
                        exact &= predicted == gold;
                    }
                    if (exact) exactMatches++;
                }
                monitor.Advance();
            }
        }
        module.train();
        double f1Sum = 0;
        for (int j = 0; j < labelCount; j++)
        {
            long denominator = predictedPositives[j] + goldPositives[j];
            f1Sum += denominator == 0 ? 0 : 2.0 * truePositives[j] / denominator;
        }
        return (lossSum / split.Count, f1Sum / labelCount, (double)exactMatches / split.Count);
    }

    /// <summary>The index of the largest of values[start .. start + count), relative to start; ties go to the lower index.</summary>
    private static int ArgMax(float[] values, int start, int count)
    {
        int best = 0;
        for (int j = 1; j < count; j++) if (values[start + j] > values[start + best]) best = j;
        return best;
    }

    /// <summary>The forward pass in the configured precision, and fp16's loss scaler.</summary>
    private sealed class MixedPrecision
    {
        private readonly ScalarType? autocastType;
        private readonly DeviceType device;

        public MixedPrecision(TrainingPrecision precision, DeviceType device)
        {
            // A library caller can skip the config's check, so the trainer repeats it where the device is known.
            if (precision == TrainingPrecision.Fp16 && device != DeviceType.CUDA)
                throw new SentioException($"training.precision: fp16 needs CUDA, but the module's parameters are on {device}; use bf16 or fp32");
            this.device = device;
            autocastType = precision switch
            {
                TrainingPrecision.Bf16 => ScalarType.BFloat16,
                TrainingPrecision.Fp16 => ScalarType.Float16,
                _ => null,
            };
            Scaler = precision == TrainingPrecision.Fp16 ? new DynamicLossScaler() : null;
        }

        public DynamicLossScaler? Scaler { get; }

        /// <summary>[batch, labels] float32 logits: the module's forward inside an autocast region, cast back so the
        /// loss and the metrics are float32, as under torch.autocast where BCE-with-logits runs in float32.</summary>
        public Tensor Forward(NeuralSplit split, IReadOnlyList<int> indices)
        {
            if (autocastType is not { } type) return split.Logits(indices);
            Tensor logits;
            using (Autocast.Begin(device, type)) logits = split.Logits(indices);
            return logits.to_type(ScalarType.Float32);
        }
    }

    private string Fingerprint(NeuralSplit train) =>
        JsonSerializer.Serialize(new { train.Count, Labels = train.Labels.GetLength(1), Seed, Options }, AtomicFile.Json);

    private static Dictionary<string, Tensor> CloneWeights(nn.Module module) =>
        module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());

    /// <summary>Folds the module's weights into the running mean of <paramref name="count"/> - 1 earlier ones
    /// (<c>mean += (w - mean) / count</c>, AveragedModel's update); the first starts it. Integer buffers (position ids)
    /// are not averaged: they never change.</summary>
    private static Dictionary<string, Tensor> AddToMean(Dictionary<string, Tensor>? mean, nn.Module module, int count)
    {
        if (count == 1)
        {
            DisposeAll(mean);
            return CloneWeights(module);
        }
        // Epochs 2..k of the window find the mean begun at its first epoch (restored from best.bin on a resume).
        if (mean == null) throw new InvalidOperationException($"weight averaging: no mean of the first {count - 1} epochs to add to");
        using var _ = torch.no_grad();
        foreach (var (name, weight) in module.state_dict())
            if (weight.is_floating_point())
                using (var delta = weight.sub(mean[name])) mean[name].add_(delta, 1.0 / count);
        return mean;
    }

    private static void DisposeAll(Dictionary<string, Tensor>? weights)
    {
        if (weights == null) return;
        foreach (var tensor in weights.Values) tensor.Dispose();
    }

    /// <summary>Loop counters and best-so-far figures, saved as <c>state.json</c> in each checkpoint.</summary>
    private sealed class TrainerState
    {
        public string Fingerprint { get; set; } = "";
        public int Epoch { get; set; }
        public int Batch { get; set; }
        public int OptimizerStep { get; set; }
        public double EpochLossSum { get; set; }
        public int EpochLossCount { get; set; }
        public int? BestEpoch { get; set; }
        public double BestKept { get; set; }
        public double BestMacroF1 { get; set; }
        public double BestValidationLoss { get; set; }
        public double? BestWatched { get; set; }
        public int EpochsWithoutImprovement { get; set; }
        public bool StoppedEarly { get; set; }
        public double LossScale { get; set; }
        public int LossScaleGrowthTracker { get; set; }
        public int SkippedSteps { get; set; }
        public List<EpochSummary> History { get; set; } = [];
    }

    /// <summary>Writes a complete checkpoint into a fresh folder, then points <c>latest.json</c> at it in one
    /// atomic replace, then removes older checkpoint folders: a kill at any moment leaves a usable latest.</summary>
    private static void SaveCheckpoint(string directory, nn.Module module, AdamW optimizer, TrainerState state,
        Dictionary<string, Tensor>? bestWeights, string fingerprint)
    {
        Directory.CreateDirectory(directory);
        string name = $"checkpoint-{state.OptimizerStep:D8}-{Guid.NewGuid():N}";
        string folder = Path.Combine(directory, name);
        Directory.CreateDirectory(folder);
        state.Fingerprint = fingerprint;
        using (var writer = new BinaryWriter(File.Create(Path.Combine(folder, "model.bin")))) module.save(writer);
        using (var writer = new BinaryWriter(File.Create(Path.Combine(folder, "optimizer.bin")))) optimizer.save_state_dict(writer);
        if (bestWeights != null)
            using (var writer = new BinaryWriter(File.Create(Path.Combine(folder, "best.bin")))) nn.Module.save_state_dict(writer, bestWeights);
        File.WriteAllText(Path.Combine(folder, "state.json"), JsonSerializer.Serialize(state, AtomicFile.Json));
        AtomicFile.WriteJson(Path.Combine(directory, LatestFile), new Dictionary<string, string> { ["checkpoint"] = name });
        foreach (string old in Directory.GetDirectories(directory, "checkpoint-*"))
            if (Path.GetFileName(old) != name) Directory.Delete(old, recursive: true);
    }

    private static (TrainerState State, Dictionary<string, Tensor>? BestWeights) LoadCheckpoint(string directory, nn.Module module, AdamW optimizer, string fingerprint)
    {
        try { return ReadCheckpoint(directory, module, optimizer, fingerprint); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new SentioException($"{directory}: damaged checkpoint ({e.Message}); delete the folder to start the run afresh", e);
        }
    }

    private static (TrainerState State, Dictionary<string, Tensor>? BestWeights) ReadCheckpoint(string directory, nn.Module module, AdamW optimizer, string fingerprint)
    {
        string latest = Path.Combine(directory, LatestFile);
        if (!File.Exists(latest)) throw new SentioException($"{latest}: not found; there is no checkpoint to resume from in '{directory}'");
        string name = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(latest))?.GetValueOrDefault("checkpoint")
            ?? throw new SentioException($"{latest}: no 'checkpoint' field");
        string folder = Path.Combine(directory, name);
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(folder, "state.json")), AtomicFile.Json)
            ?? throw new SentioException($"{folder}/state.json: empty");
        if (state.Fingerprint != fingerprint)
            throw new SentioException($"{folder}/state.json: the checkpoint was written for other training options or another training split; resume with the same config and data, or start afresh");

        Dictionary<string, Tensor>? best = null;
        string bestPath = Path.Combine(folder, "best.bin");
        if (File.Exists(bestPath))
        {
            module.load(bestPath);
            best = CloneWeights(module);
        }
        module.load(Path.Combine(folder, "model.bin"));
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(folder, "optimizer.bin")))) optimizer.load_state_dict(reader);
        return (state, best);
    }
}
