using Sentio.Training;

namespace Sentio.Tests.Training;

public class TrainingProgressTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;
        public void AdvanceSeconds(int seconds) => Ticks += seconds * TimeSpan.TicksPerSecond;
    }

    [Fact]
    public void A_line_comes_every_interval_with_step_loss_rate_and_eta()
    {
        var clock = new ManualClock();
        var progress = new TrainingProgress(TimeSpan.FromSeconds(30), clock);
        progress.BeginStage("epoch 1/3", 100);
        var lines = new List<string?>();
        foreach (double loss in new[] { 0.5, 0.4, 0.3, 0.25 })
        {
            clock.AdvanceSeconds(10);
            progress.Advance(1);
            progress.StepEnded(new TrainingStep(32, 640, loss));
            lines.Add(progress.TakeLine());
        }

        // At 30 s: 3 steps of 640 tokens in 30 s = 64 tokens/s; 97 steps left at 10 s each = 970 s.
        Assert.Equal([null, null, "epoch 1/3: step 3/100, loss 0.3000, 64 tokens/s, ETA 0:16:10", null], lines);
    }

    [Fact]
    public void Steps_skipped_on_resume_count_as_done_but_not_towards_the_rate()
    {
        var clock = new ManualClock();
        var progress = new TrainingProgress(TimeSpan.FromSeconds(30), clock);
        progress.BeginStage("epoch 2/2", 60);
        progress.Advance(50);
        clock.AdvanceSeconds(40);
        progress.Advance(1);
        progress.StepEnded(new TrainingStep(8, null, 1.25));

        // One step of 8 examples in 40 s; 9 steps left at 40 s each.
        Assert.Equal("epoch 2/2: step 51/60, loss 1.2500, 0.2 examples/s, ETA 0:06:00", progress.TakeLine());
    }
}
