using Sentio.Training;

namespace Sentio.Tests;

/// <summary>Keeps what a fit reports: the stages begun, the log lines and the epochs.</summary>
public sealed class RecordingMonitor : ITrainingMonitor
{
    public List<string> Begun { get; } = [];
    public List<string> Lines { get; } = [];
    public List<int> Epochs { get; } = [];
    public List<EpochSummary> Summaries { get; } = [];
    public void BeginStage(string name, int total) => Begun.Add(name);
    public void Advance(int steps = 1) { }
    public void Log(string message) => Lines.Add(message);
    public void EpochEnded(EpochSummary summary)
    {
        Epochs.Add(summary.Epoch);
        Summaries.Add(summary);
    }
}
