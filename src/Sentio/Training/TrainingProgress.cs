namespace Sentio.Training;

/// <summary>Where the current stage stands — steps done of the total, the epoch's mean loss, tokens (or examples) per
/// second and the time left — for monitors that print a line now and then instead of redrawing a bar: an epoch of a
/// pretrained encoder lasts tens of minutes on a CPU, and a log without a terminal must still say it is moving.</summary>
/// <param name="lineInterval">Time between two <see cref="TakeLine"/> lines.</param>
/// <param name="clock">The time source; tests pass a manual one.</param>
public sealed class TrainingProgress(TimeSpan lineInterval, TimeProvider? clock = null)
{
    private readonly TimeProvider time = clock ?? TimeProvider.System;
    private int total;
    private int done;
    private int stepsThisRun;
    private long tokensThisRun;
    private bool countsTokens;
    private double? meanLoss;
    private long stageStart;
    private long lastLine;

    /// <summary>Starts counting a new stage of <paramref name="totalSteps"/> steps (0 when unknown).</summary>
    public void BeginStage(string name, int totalSteps)
    {
        Stage = name;
        total = totalSteps;
        done = stepsThisRun = 0;
        tokensThisRun = 0;
        countsTokens = false;
        meanLoss = null;
        stageStart = lastLine = time.GetTimestamp();
    }

    /// <summary>The current stage's name, e.g. <c>epoch 2/3</c>.</summary>
    public string Stage { get; private set; } = "";

    /// <summary>Steps done; steps skipped on resume count as done but not towards the rate.</summary>
    public void Advance(int steps) => done += steps;

    /// <summary>Adds a training step's work to the rate.</summary>
    public void StepEnded(TrainingStep step)
    {
        stepsThisRun++;
        countsTokens = step.Tokens != null;
        tokensThisRun += step.Tokens ?? step.Examples;
        meanLoss = step.EpochMeanLoss;
    }

    /// <summary>The status text (without the stage name): <c>step 420/1357, loss 0.1234, 2,345 tokens/s, ETA 0:12:34</c>.</summary>
    public string Status
    {
        get
        {
            double seconds = time.GetElapsedTime(stageStart).TotalSeconds;
            var parts = new List<string> { total > 0 ? $"step {done:N0}/{total:N0}" : $"step {done:N0}" };
            if (meanLoss is { } loss) parts.Add($"loss {loss:F4}");
            if (stepsThisRun > 0 && seconds > 0)
            {
                double rate = tokensThisRun / seconds;
                parts.Add($"{(rate >= 10 ? rate.ToString("N0") : rate.ToString("F1"))} {(countsTokens ? "tokens" : "examples")}/s");
            }
            if (stepsThisRun > 0 && total > done)
                parts.Add($"ETA {TimeSpan.FromSeconds(Math.Round(seconds / stepsThisRun * (total - done))):g}");
            return string.Join(", ", parts);
        }
    }

    /// <summary>The line to print now — stage name and <see cref="Status"/> — when the line interval has
    /// passed since the stage began or since the last line; otherwise null.</summary>
    public string? TakeLine()
    {
        if (time.GetElapsedTime(lastLine) < lineInterval) return null;
        lastLine = time.GetTimestamp();
        return $"{Stage}: {Status}";
    }
}
