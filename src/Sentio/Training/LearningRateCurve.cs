namespace Sentio.Training;

/// <summary>The learning-rate multiplier at each optimizer step, as Hugging Face's
/// <c>get_linear_schedule_with_warmup</c> / <c>get_cosine_schedule_with_warmup</c> /
/// <c>get_constant_schedule_with_warmup</c> compute it.</summary>
public static class LearningRateCurve
{
    /// <summary>Warmup steps for <paramref name="totalSteps"/> optimizer steps: ⌈total · ratio⌉.</summary>
    public static int WarmupSteps(int totalSteps, double warmupRatio) => (int)Math.Ceiling(totalSteps * warmupRatio);

    /// <summary>The factor in [0, 1] that multiplies each group's peak learning rate for the optimizer step
    /// with 0-based index <paramref name="step"/>: step / warmup during warmup, then the schedule's decay
    /// reaching 0 at <paramref name="totalSteps"/>.</summary>
    public static double Factor(LearningRateSchedule schedule, int step, int warmupSteps, int totalSteps)
    {
        if (step < warmupSteps) return (double)step / Math.Max(1, warmupSteps);
        double progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        return schedule switch
        {
            LearningRateSchedule.Linear => Math.Max(0.0, 1.0 - progress),
            LearningRateSchedule.Cosine => Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * progress))),
            LearningRateSchedule.Constant => 1.0,
            _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule, null),
        };
    }
}
