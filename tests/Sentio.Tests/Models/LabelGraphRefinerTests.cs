using Sentio.Evaluation;
using Sentio.Models;
using Sentio.Training;

namespace Sentio.Tests.Models;

public class LabelGraphRefinerTests
{
    /// <summary>Labels a, b, c over 7 texts: {a,b,c}, {a,c}, {b}, {b}, {c}, {c}, {c}.</summary>
    private static readonly bool[,] ThreeLabels =
    {
        { true, true, true }, { true, false, true }, { false, true, false }, { false, true, false },
        { false, false, true }, { false, false, true }, { false, false, true },
    };

    [Fact]
    public void Graph_matches_a_hand_computation_on_three_labels()
    {
        // counts: a 2, b 3, c 5; a&b 1, a&c 2, b&c 1.
        // P(j|i): a → (1, 1/2, 2/2); b → (1/3, 1, 1/3); c → (2/5, 1/5, 1).
        var conditional = LabelGraph.ConditionalProbabilities(ThreeLabels);
        AssertMatrix(new[,] { { 1, 0.5, 1 }, { 1.0 / 3, 1, 1.0 / 3 }, { 0.4, 0.2, 1 } }, conditional);

        // τ 0.4 keeps a→b (0.5), a→c (1), c→a (0.4, the boundary counts); b has no neighbour.
        // p 0.2: row a gives 0.2 / 2 to each neighbour, row c 0.2 to a; diagonals 0.8.
        var reweighted = LabelGraph.Reweighted(conditional, 0.4, 0.2);
        AssertMatrix(new[,] { { 0.8, 0.1, 0.1 }, { 0, 0.8, 0 }, { 0.2, 0, 0.8 } }, reweighted);

        // D = row sums = (1, 0.8, 1); Â = D^-1/2 A'ᵀ D^-1/2:
        // A'ᵀ = [[0.8, 0, 0.2], [0.1, 0.8, 0], [0.1, 0, 0.8]]; row b scales by 1/√0.8 and its own column again:
        // Â_ba = 0.1 / √0.8 = 0.1118033988749895, Â_bb = 0.8 / 0.8 = 1.
        AssertMatrix(new[,] { { 0.8, 0, 0.2 }, { 0.1 / Math.Sqrt(0.8), 1, 0 }, { 0.1, 0, 0.8 } }, LabelGraph.Normalised(reweighted));
        Assert.Equal(0.1118033988749895, LabelGraph.Build(ThreeLabels, 0.4, 0.2)[1, 0], 15);
    }

    [Fact]
    public void Alpha_zero_gives_the_base_probabilities()
    {
        var probabilities = new[,] { { 0.9, 0.2, 0.5 }, { 1e-9, 0.999999, 0.3 }, { 0.01, 0.7, 0.45 } };
        var fixedZero = new LabelGraphRefinerOptions { Alpha = 0, LearnAlpha = false, CooccurrenceThreshold = 0.1 };
        using var refiner = new LabelGraphRefiner(fixedZero, ["a", "b", "c"], LabelGraph.ConditionalProbabilities(ThreeLabels), null, seed: 13);
        var refined = refiner.Refine(probabilities);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(probabilities[i, j], refined[i, j], 1e-6); // float32, as every network NeuralTrainer trains

        // the same untrained network with α = 0.5 does move them
        using var moving = new LabelGraphRefiner(fixedZero with { Alpha = 0.5 }, ["a", "b", "c"], LabelGraph.ConditionalProbabilities(ThreeLabels), null, seed: 13);
        Assert.True(Math.Abs(moving.Refine(probabilities)[0, 1] - 0.2) > 1e-4);
    }

    [Fact]
    public void Checkpoint_keys_are_the_module_names()
    {
        using var refiner = new LabelGraphRefiner(new LabelGraphRefinerOptions(), ["a", "b", "c"], LabelGraph.ConditionalProbabilities(ThreeLabels), null, seed: 13);
        Assert.Equal(["adjacency", "alpha", "label_embedding", "layer1.bias", "layer1.weight", "layer2.bias", "layer2.weight"],
            refiner.Network.state_dict().Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>B occurs exactly when A does; the base model knows A (and C) well and B not at all. The graph has the
    /// edges A↔B, so the refiner can carry A's logit to B.</summary>
    [Fact]
    public void Refiner_learns_to_raise_B_when_A_is_high()
    {
        var random = new Random(3);
        (double[,] Probabilities, bool[,] Truth) Sample(int n)
        {
            var probabilities = new double[n, 3];
            var truth = new bool[n, 3];
            for (int i = 0; i < n; i++)
            {
                bool a = random.NextDouble() < 0.3, c = random.NextDouble() < 0.3;
                truth[i, 0] = truth[i, 1] = a;
                truth[i, 2] = c;
                probabilities[i, 0] = Sigmoid((a ? 2 : -2) + random.NextDouble() - 0.5);
                probabilities[i, 1] = Sigmoid(-1 + 0.2 * (random.NextDouble() - 0.5));
                probabilities[i, 2] = Sigmoid((c ? 2 : -2) + random.NextDouble() - 0.5);
            }
            return (probabilities, truth);
        }
        var train = Sample(600);
        var validation = Sample(200);
        var test = Sample(400);

        var options = new LabelGraphRefinerOptions { Epochs = 40, BatchSize = 64, LearningRate = 0.02, Alpha = 0.5, Patience = 5 };
        using var refiner = new LabelGraphRefiner(options, ["A", "B", "C"], LabelGraph.ConditionalProbabilities(train.Truth), null, seed: 1);
        Assert.Equal(2, refiner.EdgeCount);
        refiner.FitOnScores(train.Probabilities, train.Truth, validation.Probabilities, validation.Truth, FitContext.Silent);
        var refined = refiner.Refine(test.Probabilities);

        // base: B's probability is the same (≈ 0.27) whether A is high or low; refined: clearly higher with A
        double MeanB(double[,] p, bool aHigh)
        {
            var values = Enumerable.Range(0, test.Truth.GetLength(0)).Where(i => test.Probabilities[i, 0] > 0.5 == aHigh).Select(i => p[i, 1]).ToArray();
            return values.Average();
        }
        Assert.True(Math.Abs(MeanB(test.Probabilities, true) - MeanB(test.Probabilities, false)) < 0.01);
        Assert.True(MeanB(refined, true) - MeanB(refined, false) > 0.3, $"refined P(B): {MeanB(refined, true):F3} with A high, {MeanB(refined, false):F3} with A low");

        // so B, hopeless for the base (F1 of B at its best threshold = predicting all: 2·P/(P+n)), becomes as good as A
        var bTruth = Column(test.Truth, 1);
        double baseF1 = ThresholdTuner.Tune(Column(test.Probabilities, 1), bTruth, ["B"]).PerLabelValidationF1;
        double refinedF1 = ThresholdTuner.Tune(Column(refined, 1), bTruth, ["B"]).PerLabelValidationF1;
        Assert.True(baseF1 < 0.6 && refinedF1 > 0.95, $"F1 of B: base {baseF1:F3}, refined {refinedF1:F3}");
    }

    [Fact]
    public void Options_file_errors_name_the_key()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "refiner.yaml");
        File.WriteAllText(path, "cooccurrence_threshold: 1.5\nepochs: 0\n");
        var error = Assert.Throws<SentioException>(() => LabelGraphRefinerOptions.Load(path));
        Assert.Contains("refiner.cooccurrence_threshold: expected a number in [0, 1], got 1.5", error.Message);
        Assert.Contains("refiner.epochs: expected an integer >= 1, got 0", error.Message);
    }

    [Fact]
    public void Example_options_file_spells_out_the_defaults()
    {
        Assert.Equal(new LabelGraphRefinerOptions(), LabelGraphRefinerOptions.Load(Path.Combine(TestPaths.RepoRoot, "configs", "refiner", "label-graph.yaml")));
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static T[,] Column<T>(T[,] matrix, int column)
    {
        var result = new T[matrix.GetLength(0), 1];
        for (int i = 0; i < matrix.GetLength(0); i++) result[i, 0] = matrix[i, column];
        return result;
    }

    private static void AssertMatrix(double[,] expected, double[,] actual)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++) Assert.Equal(expected[i, j], actual[i, j], 1e-15);
    }
}
