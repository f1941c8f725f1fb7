using Sentio.Configuration;
using Sentio.Data;
using Sentio.Runs;
using Sentio.Evaluation;
using Sentio.Models;
using Sentio.Training;
using Sentio.Catalog;
using Sentio.Inference;

namespace Sentio.Tests.Runs;

public class EnsembleTests
{
    /// <summary>A model that returns the same probabilities for any texts (one row per text, cycling).</summary>
    private sealed class FixedModel(double[,] rows, params string[] labels) : IMultiLabelClassifier
    {
        public string Architecture => "test.Fixed";
        public IReadOnlyList<string> LabelNames => labels;
        public bool Disposed { get; private set; }
        public long ParameterCount => rows.Length;
        public void Fit(MultiLabelDataset train, MultiLabelDataset? validation, ITrainingMonitor monitor) { }
        public void Save(string directory) { }
        public void Dispose() => Disposed = true;

        public double[,] PredictProbabilities(IReadOnlyList<string> texts)
        {
            var result = new double[texts.Count, labels.Length];
            for (int i = 0; i < texts.Count; i++)
                for (int j = 0; j < labels.Length; j++) result[i, j] = rows[i % rows.GetLength(0), j];
            return result;
        }
    }

    [Fact]
    public void Ensemble_is_the_weighted_average_of_its_members()
    {
        var first = new FixedModel(new[,] { { 0.2, 0.8 } }, "x", "y");
        var second = new FixedModel(new[,] { { 0.6, 0.4 } }, "x", "y");
        using (var ensemble = new EnsembleClassifier([first, second], [1, 3]))
        {
            // weights 1:3 → 0.25, 0.75: x = 0.25·0.2 + 0.75·0.6 = 0.5, y = 0.25·0.8 + 0.75·0.4 = 0.5
            Assert.Equal([0.25, 0.75], ensemble.Weights);
            var p = ensemble.PredictProbabilities(["t"]);
            Assert.Equal(0.5, p[0, 0], 1e-15);
            Assert.Equal(0.5, p[0, 1], 1e-15);
        }
        Assert.True(first.Disposed && second.Disposed);

        Assert.Throws<ArgumentException>(() => new EnsembleClassifier([new FixedModel(new[,] { { 0.1 } }, "x"), new FixedModel(new[,] { { 0.1 } }, "z")], [1, 1]));
        Assert.Throws<ArgumentException>(() => new EnsembleClassifier([first, second], [0, 0]));
        Assert.Throws<ArgumentException>(() => new EnsembleClassifier([first, second], [1, -1]));
    }

    [Fact]
    public void Ensemble_cannot_be_created_from_a_config()
    {
        var error = Assert.Throws<SentioException>(() => ModelCatalog.Create(EnsembleClassifier.ArchitectureName, new EnsembleOptions(), ["x"], 1));
        Assert.Contains("is assembled from fitted models", error.Message);
    }

    private static SplitPredictions Predictions(string[] ids, bool[,] truth, double[,] probabilities) => new(["x", "y"], ids, truth, probabilities);

    [Fact]
    public void Misaligned_runs_are_rejected_with_file_and_line()
    {
        var truth = new bool[,] { { true, false }, { false, true } };
        var probabilities = new double[,] { { 0.9, 0.1 }, { 0.2, 0.7 } };
        var a = Predictions(["1", "2"], truth, probabilities);
        var b = Predictions(["1", "3"], truth, probabilities);
        var error = Assert.Throws<SentioException>(() => RunEnsemble.CheckAligned([a, b], ["a.csv", "b.csv"]));
        Assert.Equal("b.csv:3: id '3' where a.csv has '2'; the runs must predict the same texts in the same order", error.Message);

        var relabelled = new SplitPredictions(["x", "z"], ["1", "2"], truth, probabilities);
        error = Assert.Throws<SentioException>(() => RunEnsemble.CheckAligned([a, relabelled], ["a.csv", "b.csv"]));
        Assert.StartsWith("b.csv:1: labels x,z differ from x,y in a.csv", error.Message);

        var otherTruth = Predictions(["1", "2"], new bool[,] { { true, false }, { true, true } }, probabilities);
        error = Assert.Throws<SentioException>(() => RunEnsemble.CheckAligned([a, otherTruth], ["a.csv", "b.csv"]));
        Assert.StartsWith("b.csv:3: id '2': truth of 'x' differs", error.Message);
    }

    [Fact]
    public void Tuned_weights_find_the_informative_member()
    {
        // member 1 ranks every label perfectly; member 2 ranks them backwards. Equal weights give every text 0.5
        // (ties: the best F1 is "predict all", 2/3 per label); any weighting that favours member 1 separates perfectly.
        var truth = new bool[,] { { true, false }, { false, true }, { true, true }, { false, false } };
        var good = new double[,] { { 0.9, 0.1 }, { 0.2, 0.8 }, { 0.7, 0.9 }, { 0.1, 0.3 } };
        var bad = new double[4, 2];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 2; j++) bad[i, j] = 1 - good[i, j];
        string[] ids = ["1", "2", "3", "4"];
        var members = new[] { Predictions(ids, truth, good), Predictions(ids, truth, bad) };

        var equal = RunEnsemble.Average(members, [1, 1]);
        Assert.Equal(2.0 / 3, ThresholdTuner.Tune(equal.Probabilities, truth, ["x", "y"], ThresholdObjective.MacroF1).PerLabelValidationF1, 12);

        var weights = RunEnsemble.TuneWeights(members, new ThresholdOptions());
        Assert.True(weights[0] > weights[1], string.Join(", ", weights));
        Assert.Equal(1, weights.Sum(), 12);
        var tuned = RunEnsemble.Average(members, weights);
        Assert.Equal(1.0, ThresholdTuner.Tune(tuned.Probabilities, truth, ["x", "y"], ThresholdObjective.MacroF1).PerLabelValidationF1, 12);
    }

    [Fact]
    public void Submission_has_an_id_column_and_one_0_1_column_per_label()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "submission.csv");
        Submission.Write(path, ["eng_1", "a,b"], ["anger", "joy"], new bool[,] { { true, false }, { false, false } });
        Assert.Equal("id,anger,joy\neng_1,1,0\n\"a,b\",0,0\n", File.ReadAllText(path).Replace("\r\n", "\n"));
    }

    [Fact]
    public void Mean_and_sample_standard_deviation()
    {
        // (0.4, 0.5, 0.6): mean 0.5, squared deviations 0.01 + 0 + 0.01 over n - 1 = 2 → √0.01 = 0.1
        var stats = MeanStd.Of([0.4, 0.5, 0.6]);
        Assert.Equal(0.5, stats.Mean, 12);
        Assert.Equal(0.1, stats.Std, 12);
    }
}
