using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Training;

/// <summary>Dynamic loss scaling for float16 training, with torch.cuda.amp.GradScaler's rules and defaults: the loss is
/// multiplied by <see cref="Scale"/> before backward so small float16 gradients do not flush to zero; before clipping the
/// gradients are divided by it again; a step whose gradients hold an inf or NaN is skipped and the scale multiplied by
/// <see cref="BackoffFactor"/>; after <see cref="GrowthInterval"/> clean steps in a row it is multiplied by
/// <see cref="GrowthFactor"/>.</summary>
public sealed class DynamicLossScaler(double initialScale = 65536.0, double growthFactor = 2.0, double backoffFactor = 0.5, int growthInterval = 2000)
{
    /// <summary>The factor the loss is multiplied by now.</summary>
    public double Scale { get; private set; } = initialScale;

    /// <summary>Clean steps since the scale last changed.</summary>
    public int GrowthTracker { get; private set; }

    public double GrowthFactor { get; } = growthFactor;

    public double BackoffFactor { get; } = backoffFactor;

    public int GrowthInterval { get; } = growthInterval;

    /// <summary>The loss times <see cref="Scale"/>, to call backward on.</summary>
    public Tensor ScaleLoss(Tensor loss) => loss * Scale;

    /// <summary>Divides every gradient of <paramref name="parameters"/> by <see cref="Scale"/> in place; true when any of them
    /// holds an inf or NaN (then the optimizer step must be skipped).</summary>
    public bool Unscale(IEnumerable<Parameter> parameters)
    {
        // GradScaler multiplies by the float32 reciprocal; the scale is a power of two, so this is exact either way.
        double inverse = 1.0 / Scale;
        using var scope = NewDisposeScope();
        Tensor? nonFinite = null;
        foreach (var parameter in parameters)
        {
            var grad = parameter.grad;
            if (grad is null) continue;
            grad.mul_(inverse);
            // One sum and one read at the end, not a device sync per tensor.
            var count = grad.isfinite().logical_not().sum();
            nonFinite = nonFinite is null ? count : nonFinite + count;
        }
        return nonFinite is not null && nonFinite.item<long>() > 0;
    }

    /// <summary>Moves the scale after a step: back off and restart the count when <paramref name="foundNonFinite"/>, else count
    /// the clean step and grow once <see cref="GrowthInterval"/> have passed (a growth that would overflow is not taken).</summary>
    public void Update(bool foundNonFinite)
    {
        if (foundNonFinite)
        {
            Scale *= BackoffFactor;
            GrowthTracker = 0;
            return;
        }
        GrowthTracker++;
        if (GrowthTracker < GrowthInterval) return;
        // GradScaler keeps its scale in a float32 tensor, so "overflow" means beyond float32.
        if (double.IsFinite((float)(Scale * GrowthFactor))) Scale *= GrowthFactor;
        GrowthTracker = 0;
    }

    /// <summary>Restores a state saved from <see cref="Scale"/> and <see cref="GrowthTracker"/> (checkpoint resume).</summary>
    public void Restore(double scale, int growthTracker)
    {
        Scale = scale;
        GrowthTracker = growthTracker;
    }
}
