namespace Sentio.Training;

/// <summary>What a fit needs besides its data: where it reports progress, where it keeps resumable checkpoints, and a
/// token that stops it.</summary>
/// <param name="CheckpointDirectory">Where a step-wise model writes checkpoints and resumes from the latest one found
/// there; null = no checkpoints.</param>
/// <param name="Cancellation">Checked at least once per training step; cancelling ends the fit with an
/// <see cref="OperationCanceledException"/>.</param>
public sealed record FitContext(ITrainingMonitor Monitor, string? CheckpointDirectory = null, CancellationToken Cancellation = default)
{
    /// <summary>No progress output, no checkpoints, no cancellation.</summary>
    public static readonly FitContext Silent = new(SilentMonitor.Instance);
}
