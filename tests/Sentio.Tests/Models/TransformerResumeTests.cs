using Sentio.Models;
using Sentio.Training;

namespace Sentio.Tests.Models;

[Collection(TorchRandomCollection.Name)]
public class TransformerResumeTests
{
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
        var straightStages = new RecordingMonitor();
        straight.Fit(data, data, new FitContext(straightStages));
        Assert.Equal([1, 2, 3, 4], straightStages.Epochs); // epochs numbered across the two phases

        string checkpoints = TestPaths.NewTempDirectory();
        // "epoch 2/2" begins once per phase: the second time is inside phase 2, after phase 1 finished.
        using (var stopped = new TransformerClassifier(options, FineTuningFixtures.Labels, seed: 5))
        using (var cancel = new CancelAt("epoch 2/2", 2))
            Assert.Throws<OperationCanceledException>(() => stopped.Fit(data, data, new FitContext(cancel, checkpoints, cancel.Token)));
        using var resumed = new TransformerClassifier(options, FineTuningFixtures.Labels, seed: 5);
        var stages = new RecordingMonitor();
        resumed.Fit(data, data, new FitContext(stages, checkpoints));

        // Only phase 2's second epoch ran again: phase 1 and phase 2's first epoch came from checkpoints.
        Assert.Equal(["epoch 2/2"], stages.Begun.Where(s => s.StartsWith("epoch", StringComparison.Ordinal)));
        Assert.Equal(straight.PredictProbabilities(probe), resumed.PredictProbabilities(probe));
    }
}
