using Sentio.Configuration;
using Sentio.Training;
using Sentio.Runs;

namespace Sentio.Tests.Runs;

/// <summary><c>sentio train --resume</c>: a run stopped mid-training and resumed ends where an uninterrupted run does.</summary>
[Collection(TorchRandomCollection.Name)]
public class ResumeTests
{
    private const string Config = """
        seed: 3
        data: { dataset: semeval2025-track-a }
        model:
          architecture: sentio.BiLstmClassifier.v1
          embedding_dim: 16
          hidden_size: 8
          max_length: 24
          training: { epochs: 3, batch_size: 128, early_stopping_patience: 0, threads: 1 }
        """;


    [Fact]
    public void A_run_stopped_after_an_epoch_and_resumed_equals_an_uninterrupted_run()
    {
        var config = TrainConfig.Parse(Config, "resume.yaml");
        string root = TestPaths.NewTempDirectory();

        var straight = TrainingRun.Execute(config, root, Path.Combine(root, "straight"), TestPaths.SharedData, SilentMonitor.Instance);

        using (var cancel = new CancelAt("epoch 2/3"))
            Assert.Throws<OperationCanceledException>(() =>
                TrainingRun.Execute(config, root, Path.Combine(root, "stopped"), TestPaths.SharedData, cancel, cancel.Token));
        var stopped = new RunDirectory(Directory.GetDirectories(Path.Combine(root, "stopped")).Single());
        Assert.False(File.Exists(stopped.Summary));
        Assert.True(Directory.Exists(stopped.Checkpoints));

        var stages = new RecordingMonitor();
        var resumed = TrainingRun.Resume(stopped, TestPaths.SharedData, stages);

        // Epoch 1 came from its checkpoint; only epochs 2 and 3 ran again.
        Assert.Equal(["epoch 2/3", "epoch 3/3"], stages.Begun.Where(s => s.StartsWith("epoch", StringComparison.Ordinal)));
        Assert.Equal(File.ReadAllText(straight.Run.Predictions("test")), File.ReadAllText(resumed.Run.Predictions("test")));
        Assert.Equal(straight.Test!.MacroAvg.F1, resumed.Test!.MacroAvg.F1);
        var error = Assert.Throws<SentioException>(() => TrainingRun.Resume(stopped, TestPaths.SharedData, SilentMonitor.Instance));
        Assert.Contains("the run is complete", error.Message);
    }

    [Fact]
    public void A_one_pass_model_cannot_be_resumed()
    {
        string root = TestPaths.NewTempDirectory();
        var config = TrainConfig.Parse("seed: 1\ndata: { dataset: semeval2025-track-a }\nmodel: { architecture: sentio.NGramLinear.v1 }", "linear.yaml");
        var run = TrainingRun.Execute(config, root, root, TestPaths.SharedData, SilentMonitor.Instance).Run;
        File.Delete(run.Summary);

        var error = Assert.Throws<SentioException>(() => TrainingRun.Resume(run, TestPaths.SharedData, SilentMonitor.Instance));
        Assert.Contains("sentio.NGramLinear.v1 trains in one pass", error.Message);
    }
}
