using Sentio.Training;

namespace Sentio.Tests;

/// <summary>Cancels <see cref="Token"/> when the named stage begins for the <paramref name="occurrence"/>-th time, as a
/// user pressing Ctrl+C would; the fit stops before its next training step.</summary>
public sealed class CancelAt(string stage, int occurrence = 1) : ITrainingMonitor, IDisposable
{
    private readonly CancellationTokenSource source = new();
    private int seen;

    public CancellationToken Token => source.Token;

    public void BeginStage(string name, int total)
    {
        if (name == stage && ++seen == occurrence) source.Cancel();
    }

    public void Advance(int steps = 1) { }
    public void Log(string message) { }
    public void EpochEnded(EpochSummary summary) { }
    public void Dispose() => source.Dispose();
}
