namespace Sentio.Training;

/// <summary>Where a model reports progress while it fits. The CLI shows it as progress bars and a log file;
/// library callers can pass <see cref="SilentMonitor.Instance"/>.</summary>
public interface ITrainingMonitor
{
    /// <summary>Starts a stage of <paramref name="total"/> steps (0 when unknown), ending the previous one.</summary>
    void BeginStage(string name, int total);

    /// <summary>Marks <paramref name="steps"/> steps of the current stage done.</summary>
    void Advance(int steps = 1);

    /// <summary>A line for the training log.</summary>
    void Log(string message);

    /// <summary>Metrics measured at the end of an epoch (or of the whole fit, for one-pass models).</summary>
    void EpochEnded(EpochSummary summary);

    /// <summary>A training batch finished (after its <see cref="Advance"/>): what it held and the epoch's mean loss so
    /// far, for progress lines. Monitors that show no rates ignore it.</summary>
    void TrainingStepEnded(TrainingStep step) { }
}

/// <summary>One training batch: its examples, its tokens (null for models that see no tokens) and the mean training
/// loss of the epoch up to and including it.</summary>
public sealed record TrainingStep(int Examples, int? Tokens, double EpochMeanLoss);

/// <summary>What one epoch achieved; fields a model does not measure are null.</summary>
public sealed record EpochSummary(
    int Epoch,
    double? TrainLoss,
    double? ValidationLoss,
    double? ValidationMacroF1,
    double? ValidationSubsetAccuracy,
    double Seconds);

/// <summary>A monitor that discards everything.</summary>
public sealed class SilentMonitor : ITrainingMonitor
{
    public static readonly SilentMonitor Instance = new();
    public void BeginStage(string name, int total) { }
    public void Advance(int steps = 1) { }
    public void Log(string message) { }
    public void EpochEnded(EpochSummary summary) { }
}
