using Sentio.Training;
using Spectre.Console;

namespace Sentio.Cli;

/// <summary>Shows training progress: live progress bars on a terminal, plain timestamped lines when output
/// is redirected (CI logs, pipes), so logs stay readable — with a status line (step, loss, tokens/s, ETA) every
/// 30 s during a stage, which on a terminal the bar's caption shows instead.</summary>
internal sealed class ConsoleMonitor(TextWriter output) : ITrainingMonitor
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(30);

    private readonly TrainingProgress status = new(StatusInterval);
    private ProgressContext? progress;
    private ProgressTask? task;

    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/> with progress bars when interactive, else directly.</summary>
    public T Run<T>(Func<ITrainingMonitor, T> work)
    {
        if (!Interactive) return work(this);
        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                progress = context;
                try { return work(this); }
                finally { task?.StopTask(); progress = null; }
            });
    }

    public void BeginStage(string name, int total)
    {
        status.BeginStage(name, total);
        if (progress == null)
        {
            output.WriteLine($"[{DateTime.Now:HH:mm:ss}] {name}");
            return;
        }
        task?.StopTask();
        task = progress.AddTask(Markup.Escape(name), maxValue: Math.Max(total, 1));
        task.IsIndeterminate = total == 0;
    }

    public void Advance(int steps = 1)
    {
        status.Advance(steps);
        task?.Increment(steps);
    }

    public void TrainingStepEnded(TrainingStep step)
    {
        status.StepEnded(step);
        if (task != null) task.Description = Markup.Escape($"{status.Stage} · {status.Status}");
        else if (status.TakeLine() is { } line) output.WriteLine($"[{DateTime.Now:HH:mm:ss}]   {line}");
    }

    public void Log(string message)
    {
        if (progress == null) output.WriteLine($"[{DateTime.Now:HH:mm:ss}]   {message}");
        else AnsiConsole.MarkupLine("  " + Markup.Escape(message));
    }

    public void EpochEnded(EpochSummary summary)
    {
        var parts = new List<string> { $"epoch {summary.Epoch}" };
        if (summary.TrainLoss is { } trainLoss) parts.Add($"train loss {trainLoss:F4}");
        if (summary.ValidationLoss is { } validationLoss) parts.Add($"validation loss {validationLoss:F4}");
        if (summary.ValidationMacroF1 is { } f1) parts.Add($"validation macro-F1 {f1:F4}");
        if (summary.ValidationSubsetAccuracy is { } exact) parts.Add($"exact match {exact:F4}");
        parts.Add($"{summary.Seconds:F1} s");
        Log(string.Join(", ", parts));
    }
}
