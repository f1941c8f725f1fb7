namespace Sentio.Models;

/// <summary>A model whose <see cref="IMultiLabelClassifier.Fit"/> trains in steps and can write resumable
/// checkpoints, so <c>sentio train --resume RUN</c> continues a killed run to the same result as an
/// uninterrupted one with the same seed.</summary>
public interface IResumableClassifier : IMultiLabelClassifier
{
    /// <summary>Makes the next <see cref="IMultiLabelClassifier.Fit"/> write checkpoints under
    /// <paramref name="directory"/> and continue from the latest one found there, if any.</summary>
    void UseCheckpoints(string directory);
}
