using System.Text.Json.Serialization;
using Sentio.Configuration;
using Sentio.Data;

namespace Sentio.Training;

/// <summary>How the learning rate moves after warmup.</summary>
public enum LearningRateSchedule
{
    /// <summary>Falls linearly from the peak to 0 at the last step (BERT's schedule).</summary>
    Linear,
    /// <summary>Half a cosine from the peak to 0 at the last step.</summary>
    Cosine,
    /// <summary>Stays at the peak.</summary>
    Constant,
}

/// <summary>The training loss.</summary>
public enum NeuralLoss
{
    /// <summary>Multi-label: binary cross-entropy on each label's logit.</summary>
    Bce,
    /// <summary>Focal loss (Lin et al. 2017): multi-label, BCE scaled by (1 − p_t)^γ, optionally balanced by α;
    /// single-label, softmax cross-entropy scaled by (1 − p_true)^γ.</summary>
    Focal,
    /// <summary>Single-label: softmax cross-entropy over the classes.</summary>
    CrossEntropy,
}

/// <summary>How examples are weighted in the loss.</summary>
public enum PosWeightMode
{
    /// <summary>Every example weighs 1.</summary>
    None,
    /// <summary>Multi-label: positives of label j weigh negatives_j / positives_j in the training split; single-label: class
    /// weights n / (classes · count_c), scikit-learn's 'balanced'. Either way at most <see cref="NeuralTrainingOptions.PosWeightCap"/>.</summary>
    Auto,
}

/// <summary>Options of a model trained by <see cref="NeuralTrainer"/>, so a config can check its <c>training:</c>
/// section against the problem type.</summary>
public interface INeuralModelOptions
{
    NeuralTrainingOptions Training { get; }
}

/// <summary>What early stopping and <see cref="NeuralTrainingOptions.EarlyStoppingPatience"/> watch.</summary>
public enum EarlyStoppingMetric
{
    ValidationLoss,
    ValidationMacroF1,
}

/// <summary>Whose weights a training run keeps (<see cref="NeuralTrainingOptions.KeepBest"/>).</summary>
public enum KeptEpoch
{
    /// <summary>The epoch with the best validation macro-F1 at threshold 0.5 (of the most probable label in a
    /// single-label run).</summary>
    ValidationMacroF1,
    /// <summary>The epoch with the lowest validation loss.</summary>
    ValidationLoss,
    /// <summary>The last epoch, as the Hugging Face Trainer without <c>load_best_model_at_end</c>: validation only
    /// reports. With a tiny validation split the best-epoch pick is mostly noise.</summary>
    Last,
}

/// <summary>The number format of the forward pass; weights, gradients, optimizer moments, the loss and checkpoints stay
/// float32 in every mode.</summary>
public enum TrainingPrecision
{
    /// <summary>Everything in float32.</summary>
    Fp32,
    /// <summary>libtorch autocast to bfloat16 around the forward (<see cref="Autocast"/>): matmul-like ops in bfloat16, the
    /// rest in float32. No loss scaling: bfloat16 has float32's exponent range. Runs on CPU and CUDA.</summary>
    Bf16,
    /// <summary>libtorch autocast to float16 around the forward with dynamic loss scaling (<see cref="DynamicLossScaler"/>,
    /// torch.cuda.amp.GradScaler's rules), as Hugging Face's <c>fp16: true</c>. CUDA only.</summary>
    Fp16,
}

/// <summary>The <c>training:</c> section for every model trained by <see cref="NeuralTrainer"/>: AdamW with
/// decoupled weight decay, warmup then a schedule, gradient clipping and accumulation, BCE, cross-entropy or focal loss,
/// early stopping, the best epoch's weights kept, and resumable checkpoints.</summary>
public sealed record NeuralTrainingOptions : IValidatableOptions
{
    /// <summary>Passes over the training split. Default 5.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Examples per forward pass. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Peak AdamW learning rate (reached at the end of warmup). Default 2e-3.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Decoupled AdamW weight decay; never applied to biases, normalisation weights, or (when
    /// <see cref="DecayEmbeddings"/> is false) embedding tables. Default 0.01.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Whether embedding tables get weight decay. Default false: rare words' vectors would otherwise
    /// shrink towards zero between the few steps that see them.</summary>
    public bool DecayEmbeddings { get; init; }

    /// <summary>AdamW β1. Default 0.9.</summary>
    public double AdamBeta1 { get; init; } = 0.9;

    /// <summary>AdamW β2. Default 0.999.</summary>
    public double AdamBeta2 { get; init; } = 0.999;

    /// <summary>AdamW ε. Default 1e-8.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Layer-wise learning-rate decay for layered encoders: layer k of n (embeddings = 0) trains at
    /// lr · decay^(n − k); see <see cref="NeuralTrainer.LayerwiseMultiplier"/>. 1 = off. Default 1.</summary>
    public double LayerwiseLrDecay { get; init; } = 1.0;

    /// <summary>Share of all optimizer steps spent ramping the learning rate linearly up from 0. Default 0.06.</summary>
    public double WarmupRatio { get; init; } = 0.06;

    /// <summary>The learning-rate curve after warmup. Default linear.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Linear;

    /// <summary>Gradients are rescaled so their global L2 norm is at most this; 0 = no clipping. Default 1.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Batches whose gradients are summed (each loss divided by this) before one optimizer step. Default 1.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>The loss: bce or focal for multi-label, cross_entropy or focal for single-label problems. Default bce.</summary>
    public NeuralLoss Loss { get; init; } = NeuralLoss.Bce;

    /// <summary>Focal loss γ: how strongly well-classified examples are down-weighted. Default 2.</summary>
    public double FocalGamma { get; init; } = 2.0;

    /// <summary>Focal loss α: weight of the positive term (1 − α for the negative term); null = unbalanced. Default null.</summary>
    public double? FocalAlpha { get; init; }

    /// <summary>Positive-example (multi-label) or class (single-label) weighting. Default auto.</summary>
    public PosWeightMode PosWeight { get; init; } = PosWeightMode.Auto;

    /// <summary>Upper bound on an automatic positive weight, so that a label with 30 positives does not
    /// dominate the loss. Default 10.</summary>
    public double PosWeightCap { get; init; } = 10.0;

    /// <summary>The validation measure early stopping watches. Default validation_macro_f1.</summary>
    public EarlyStoppingMetric EarlyStoppingMetric { get; init; } = EarlyStoppingMetric.ValidationMacroF1;

    /// <summary>Epochs without an improvement of more than <see cref="EarlyStoppingMinDelta"/> before training
    /// stops; 0 = never stop early. Needs a validation split. Default 2.</summary>
    public int EarlyStoppingPatience { get; init; } = 2;

    /// <summary>The smallest change of the watched metric that counts as an improvement. Default 0.</summary>
    public double EarlyStoppingMinDelta { get; init; }

    /// <summary>A resumable checkpoint is written every this many optimizer steps (and at every epoch end);
    /// 0 = only at epoch ends. Default 0.</summary>
    public int CheckpointEverySteps { get; init; }

    /// <summary>Torch intra-op threads; 0 = leave libtorch's default (one per core). On a machine whose cores are
    /// busy with other work, 1 can be several times faster than the default: idle OpenMP workers spin waiting for
    /// cores (measured 6× on a loaded 2-core machine with the BiLSTM). Default 0.</summary>
    public int Threads { get; init; }

    /// <summary>Which epoch's weights are kept (<see cref="KeptEpoch"/>): the best validation macro-F1 (the default), the
    /// lowest validation loss, or the last epoch. Without a validation split the last epoch's are kept whatever this says.</summary>
    public KeptEpoch KeepBest { get; init; } = KeptEpoch.ValidationMacroF1;

    /// <summary>Keep the mean of the weights at the ends of the last this many epochs (weight averaging over epochs, as
    /// <c>torch.optim.swa_utils.AveragedModel</c> updated once per epoch): a flatter optimum than any one epoch's, where a
    /// small validation split cannot pick the best epoch reliably. 0 or 1 = the weights as they are. Needs
    /// <c>keep_best: last</c> and no early stopping. Left out of the saved options when 0, so files written before the key
    /// existed still match them. Default 0.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int AverageLastEpochs { get; init; }

    /// <summary>fp32, bf16 or fp16 (<see cref="TrainingPrecision"/>). Default fp32, which is left out of the saved options so
    /// that checkpoints and model.json files written before the key existed still match them (a resume compares them).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;

    /// <summary>The error for a <see cref="Precision"/> the device cannot train with; the owner of the options knows the
    /// device, so it calls this beside <see cref="Validate"/>.</summary>
    public IEnumerable<ConfigError> ValidateDevice(bool cuda)
    {
        if (Precision == TrainingPrecision.Fp16 && !cuda)
            yield return new("precision", "fp16 needs CUDA (float16 autocast with loss scaling is a GPU recipe; CPUs lack fast float16 " +
                "matmuls), but this model trains on the CPU; use precision: bf16 or fp32, or, for a transformer, model.device: cuda on a GPU machine");
    }

    public IEnumerable<ConfigError> Validate()
    {
        if (Epochs < 1) yield return new("epochs", $"expected an integer >= 1, got {Epochs}");
        if (BatchSize < 1) yield return new("batch_size", $"expected an integer >= 1, got {BatchSize}");
        if (!(LearningRate > 0)) yield return new("learning_rate", $"expected a number > 0, got {LearningRate}");
        if (!(WeightDecay >= 0)) yield return new("weight_decay", $"expected a number >= 0, got {WeightDecay}");
        if (!(AdamBeta1 >= 0 && AdamBeta1 < 1)) yield return new("adam_beta1", $"expected a number in [0, 1), got {AdamBeta1}");
        if (!(AdamBeta2 >= 0 && AdamBeta2 < 1)) yield return new("adam_beta2", $"expected a number in [0, 1), got {AdamBeta2}");
        if (!(AdamEpsilon > 0)) yield return new("adam_epsilon", $"expected a number > 0, got {AdamEpsilon}");
        if (!(LayerwiseLrDecay > 0 && LayerwiseLrDecay <= 1)) yield return new("layerwise_lr_decay", $"expected a number in (0, 1], got {LayerwiseLrDecay}");
        if (!(WarmupRatio >= 0 && WarmupRatio < 1)) yield return new("warmup_ratio", $"expected a number in [0, 1), got {WarmupRatio}");
        if (!(MaxGradNorm >= 0)) yield return new("max_grad_norm", $"expected a number >= 0 (0 = no clipping), got {MaxGradNorm}");
        if (GradientAccumulationSteps < 1) yield return new("gradient_accumulation_steps", $"expected an integer >= 1, got {GradientAccumulationSteps}");
        if (!(FocalGamma >= 0)) yield return new("focal_gamma", $"expected a number >= 0, got {FocalGamma}");
        if (FocalAlpha is { } alpha && !(alpha > 0 && alpha < 1)) yield return new("focal_alpha", $"expected a number in (0, 1) or null, got {alpha}");
        if (!(PosWeightCap >= 1)) yield return new("pos_weight_cap", $"expected a number >= 1, got {PosWeightCap}");
        if (EarlyStoppingPatience < 0) yield return new("early_stopping_patience", $"expected an integer >= 0 (0 = off), got {EarlyStoppingPatience}");
        if (!(EarlyStoppingMinDelta >= 0)) yield return new("early_stopping_min_delta", $"expected a number >= 0, got {EarlyStoppingMinDelta}");
        if (CheckpointEverySteps < 0) yield return new("checkpoint_every_steps", $"expected an integer >= 0 (0 = epoch ends only), got {CheckpointEverySteps}");
        if (Threads < 0) yield return new("threads", $"expected an integer >= 0 (0 = libtorch default), got {Threads}");
        if (AverageLastEpochs < 0 || AverageLastEpochs > Epochs)
            yield return new("average_last_epochs", $"expected an integer in [0, epochs = {Epochs}], got {AverageLastEpochs}");
        else if (AverageLastEpochs > 1 && KeepBest != KeptEpoch.Last)
            yield return new("average_last_epochs", "averaging the last epochs' weights replaces the best-epoch pick; set keep_best: last");
        else if (AverageLastEpochs > 1 && EarlyStoppingPatience > 0)
            yield return new("average_last_epochs", "early stopping could end the run before the epochs to average; set early_stopping_patience: 0");
    }

    /// <summary>The checks that depend on the config's <c>problem_type</c>: each loss belongs to one problem type
    /// (focal to both), and focal α, a positive-versus-negative balance, has no single-label meaning.</summary>
    public IEnumerable<ConfigError> ValidateFor(ProblemType problemType)
    {
        if (problemType == ProblemType.SingleLabelClassification)
        {
            if (Loss == NeuralLoss.Bce)
                yield return new("loss", "bce is the multi-label loss, but problem_type is single_label_classification; set loss: cross_entropy (or focal)");
            if (FocalAlpha is { } alpha)
                yield return new("focal_alpha", $"{alpha} balances positives against negatives, which a single-label (softmax) loss does not have; remove it (pos_weight: auto gives balanced class weights)");
        }
        else if (Loss == NeuralLoss.CrossEntropy)
            yield return new("loss", "cross_entropy is the single-label (softmax) loss, but problem_type is multi_label_classification; set loss: bce (or focal), or problem_type: single_label_classification");
    }
}
