using TorchSharp;
using static TorchSharp.torch;

namespace Sentio.Training;

/// <summary>The training loss of <see cref="NeuralTrainer"/> for single-label problems: softmax cross-entropy or its
/// multi-class focal form, with optional per-class weights.</summary>
public sealed class SingleLabelLoss : ITrainingLoss
{
    private readonly NeuralLoss kind;
    private readonly double gamma;
    private readonly Tensor? classWeights;

    /// <param name="kind"><see cref="NeuralLoss.CrossEntropy"/> or <see cref="NeuralLoss.Focal"/>.</param>
    /// <param name="classWeights">[classes] weights, or null for 1 everywhere.</param>
    /// <exception cref="ArgumentException"><see cref="NeuralLoss.Bce"/>, a multi-label loss.</exception>
    public SingleLabelLoss(NeuralLoss kind, double focalGamma, IReadOnlyList<double>? classWeights)
    {
        if (kind == NeuralLoss.Bce) throw new ArgumentException("bce is a multi-label loss; a single-label loss is cross_entropy or focal", nameof(kind));
        this.kind = kind;
        gamma = focalGamma;
        if (classWeights != null)
            this.classWeights = tensor(classWeights.Select(w => (float)w).ToArray()).DetachFromDisposeScope();
    }

    /// <summary>Loss of <paramref name="logits"/> [batch, classes] against class indices <paramref name="targets"/> [batch]
    /// (int64); a scalar.</summary>
    /// <remarks>Cross-entropy is torch's <c>F.cross_entropy(logits, targets, weight=w)</c>: Σᵢ w_{yᵢ} · (−log pᵢ,yᵢ) / Σᵢ w_{yᵢ}.
    /// Focal loss (Lin et al. 2017, multi-class form) scales each term by (1 − pᵢ,yᵢ)^γ and keeps that normalisation, so
    /// γ = 0 is cross-entropy exactly.</remarks>
    public Tensor Compute(Tensor logits, Tensor targets)
    {
        var weights = classWeights?.to(logits.device);
        if (kind == NeuralLoss.CrossEntropy) return nn.functional.cross_entropy(logits, targets, weight: weights);

        using var scope = NewDisposeScope();
        var logProbability = nn.functional.log_softmax(logits, 1).gather(1, targets.unsqueeze(1)).squeeze(1);
        var terms = -(1 - logProbability.exp()).pow(gamma) * logProbability;
        var loss = weights is null ? terms.mean() : (terms * weights.index_select(0, targets)).sum() / weights.index_select(0, targets).sum();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>scikit-learn's <c>class_weight='balanced'</c>, n / (classes · count of the class), over the one-hot rows of
    /// <paramref name="labels"/> [examples, classes], capped at <paramref name="cap"/>; a class with no examples gets the cap.</summary>
    public static double[] BalancedClassWeights(bool[,] labels, double cap)
    {
        int rows = labels.GetLength(0), classes = labels.GetLength(1);
        var weights = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            int count = 0;
            for (int i = 0; i < rows; i++) if (labels[i, c]) count++;
            weights[c] = count == 0 ? cap : Math.Min(cap, (double)rows / (classes * count));
        }
        return weights;
    }

    public void Dispose() => classWeights?.Dispose();
}
