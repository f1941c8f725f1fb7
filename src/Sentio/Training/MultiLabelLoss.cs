using TorchSharp;
using static TorchSharp.torch;

namespace Sentio.Training;

/// <summary>A training loss of <see cref="NeuralTrainer"/>: logits and the split's targets to a scalar.</summary>
public interface ITrainingLoss : IDisposable
{
    /// <summary>Mean loss of <paramref name="logits"/> [batch, labels] against <paramref name="targets"/> in the loss's own
    /// form; a scalar.</summary>
    Tensor Compute(Tensor logits, Tensor targets);
}

/// <summary>The per-label training loss of <see cref="NeuralTrainer"/>: binary cross-entropy or focal loss,
/// with optional per-label positive weights, averaged over every (example, label) cell.</summary>
public sealed class MultiLabelLoss : ITrainingLoss
{
    private readonly NeuralLoss kind;
    private readonly double gamma;
    private readonly double? alpha;
    private readonly Tensor? positiveWeights;

    /// <param name="positiveWeights">[labels] weights of the positive term, or null for 1 everywhere.</param>
    /// <exception cref="ArgumentException"><see cref="NeuralLoss.CrossEntropy"/>, a single-label loss.</exception>
    public MultiLabelLoss(NeuralLoss kind, double focalGamma, double? focalAlpha, IReadOnlyList<double>? positiveWeights)
    {
        if (kind == NeuralLoss.CrossEntropy) throw new ArgumentException("cross_entropy is a single-label loss; a multi-label loss is bce or focal", nameof(kind));
        this.kind = kind;
        gamma = focalGamma;
        alpha = focalAlpha;
        if (positiveWeights != null)
            this.positiveWeights = tensor(positiveWeights.Select(w => (float)w).ToArray()).DetachFromDisposeScope();
    }

    /// <summary>Mean loss of <paramref name="logits"/> [batch, labels] against 0/1 <paramref name="targets"/>
    /// [batch, labels] (float); a scalar.</summary>
    /// <remarks>Focal loss per cell, with p = σ(x): y · w · α · (1 − p)^γ · (−log p) + (1 − y) · (1 − α) · p^γ · (−log(1 − p)),
    /// where w is the label's positive weight and α is 1 (and 1 − α is 1) when unset. With γ = 0 and no α it is BCE.</remarks>
    public Tensor Compute(Tensor logits, Tensor targets)
    {
        if (kind == NeuralLoss.Bce)
            return nn.functional.binary_cross_entropy_with_logits(logits, targets, pos_weights: positiveWeights);

        using var scope = NewDisposeScope();
        var probability = logits.sigmoid();
        var positiveTerm = -nn.functional.logsigmoid(logits) * (1 - probability).pow(gamma);
        var negativeTerm = -nn.functional.logsigmoid(-logits) * probability.pow(gamma);
        if (alpha is { } a)
        {
            positiveTerm = positiveTerm * a;
            negativeTerm = negativeTerm * (1 - a);
        }
        if (positiveWeights is not null) positiveTerm = positiveTerm * positiveWeights;
        var loss = (targets * positiveTerm + (1 - targets) * negativeTerm).mean();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Per-label positive weights negatives / positives over the rows of <paramref name="labels"/>
    /// [examples, labels], capped at <paramref name="cap"/>; a label with no positives gets the cap.</summary>
    public static double[] AutoPositiveWeights(bool[,] labels, double cap)
    {
        int rows = labels.GetLength(0), columns = labels.GetLength(1);
        var weights = new double[columns];
        for (int j = 0; j < columns; j++)
        {
            int positives = 0;
            for (int i = 0; i < rows; i++) if (labels[i, j]) positives++;
            weights[j] = positives == 0 ? cap : Math.Min(cap, (double)(rows - positives) / positives);
        }
        return weights;
    }

    public void Dispose() => positiveWeights?.Dispose();
}
