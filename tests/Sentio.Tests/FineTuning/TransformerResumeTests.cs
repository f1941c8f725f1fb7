using Sentio.Models;
using Sentio.Tests.Neural;
using Sentio.Training;

namespace Sentio.Tests.FineTuning;

[Collection(TorchRandomCollection.Name)]
public class TransformerResumeTests
{
    /// <summary>Throws when the named stage begins for the <paramref name="occurrence"/>-th time, as a kill would.</summary>
    private sealed class StopAt(string stage, int occurrence) : ITrainingMonitor
    {
        private int seen;
        public void BeginStage(string name, int total)
        {
            if (name == stage && ++seen == occurrence) throw new OperationCanceledException("stopped");
        }
        public void Advance(int steps = 1) { }
        public void Log(string message) { }
        public void EpochEnded(EpochSummary summary) { }
    }

    private sealed class Stages : ITrainingMonitor
    {
        public List<string> Begun { get; } = [];
        public List<int> Epochs { get; } = [];
        public void BeginStage(string name, int total) => Begun.Add(name);
        public void Advance(int steps = 1) { }
        public void Log(string message) { }
        public void EpochEnded(EpochSummary summary) => Epochs.Add(summary.Epoch);
    }

    [Fact]
    public void Fine_tuning_stopped_in_its_second_unfreezing_phase_resumes_to_the_uninterrupted_result()
    {
        string vocabulary = FineTuningFixtures.WriteVocabulary(TestPaths.NewTempDirectory());
        // Two phases of two epochs each: head only, then everything.
        var options = FineTuningFixtures.Scratch(vocabulary) with
        {
            UnfreezeSchedule = [new UnfreezeStep { Epoch = 0, Layers = 0 }, new UnfreezeStep { Epoch = 2 }],
            Training = FineTuningFixtures.Scratch(vocabulary).Training with { Epochs = 4 },
        };
        var data = FineTuningFixtures.Toy();
        string[] probe = ["i am so glad", "tears and grief"];

        using var straight = new TransformerClassifier(options, FineTuningFixtures.Labels, seed: 5);
        var straightStages = new Stages();
        straight.Fit(data, data, straightStages);
        Assert.Equal([1, 2, 3, 4], straightStages.Epochs); // epochs numbered across the two phases

        string checkpoints = TestPaths.NewTempDirectory();
        using (var stopped = new TransformerClassifier(options, FineTuningFixtures.Labels, seed: 5))
        {
            stopped.UseCheckpoints(checkpoints);
            // "epoch 2/2" begins once per phase: the second time is inside phase 2, after phase 1 finished.
            Assert.Throws<OperationCanceledException>(() => stopped.Fit(data, data, new StopAt("epoch 2/2", 2)));
        }
        using var resumed = new TransformerClassifier(options, FineTuningFixtures.Labels, seed: 5);
        resumed.UseCheckpoints(checkpoints);
        var stages = new Stages();
        resumed.Fit(data, data, stages);

        // Only phase 2's second epoch ran again: phase 1 and phase 2's first epoch came from checkpoints.
        Assert.Equal(["epoch 2/2"], stages.Begun.Where(s => s.StartsWith("epoch", StringComparison.Ordinal)));
        Assert.Equal(straight.PredictProbabilities(probe), resumed.PredictProbabilities(probe));
    }
}
