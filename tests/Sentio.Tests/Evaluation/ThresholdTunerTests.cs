using Sentio.Evaluation;
using static Sentio.Tests.Evaluation.MetricFixtures;

namespace Sentio.Tests.Evaluation;

public class ThresholdTunerTests
{
    private static readonly string[] OneLabel = ["joy"];

    [Theory]
    [MemberData(nameof(MetricFixtures.ThresholdCaseNames), MemberType = typeof(MetricFixtures))]
    public void PerLabelThresholdsReproduceTheBruteForceOptimum(string name)
    {
        var c = ThresholdCase(name);
        var truth = Bools(c.GetProperty("truth"));
        var probabilities = Doubles(c.GetProperty("probabilities"));
        var labels = Strings(c.GetProperty("labels"));
        var expectedThresholds = Vector(c.GetProperty("per_label_threshold"));

        var set = ThresholdTuner.Tune(probabilities, truth, labels, ThresholdObjective.MicroF1);

        Assert.Equal(Strings(c.GetProperty("fallback_labels")), set.FallbackLabels);
        var perLabelF1 = MultiLabelMetrics.F1PerLabel(truth, set.WithStrategy(ThresholdStrategy.PerLabel).Apply(probabilities));
        AssertClose(Vector(c.GetProperty("per_label_best_f1")), perLabelF1, $"{name} per-label F1 at the tuned thresholds");
        for (int j = 0; j < labels.Length; j++)
        {
            // Fallback labels (null in the fixture) take the global threshold.
            double expected = double.IsNaN(expectedThresholds[j]) ? set.GlobalThreshold : expectedThresholds[j];
            AssertClose(expected, set.PerLabelThresholds[j], $"{name} threshold of {labels[j]}");
        }
    }

    [Theory]
    [MemberData(nameof(MetricFixtures.ThresholdCaseNames), MemberType = typeof(MetricFixtures))]
    public void GlobalThresholdReproducesTheBruteForceOptimumForEachObjective(string name)
    {
        var c = ThresholdCase(name);
        var truth = Bools(c.GetProperty("truth"));
        var probabilities = Doubles(c.GetProperty("probabilities"));
        var labels = Strings(c.GetProperty("labels"));
        foreach (var (key, objective, average) in new[] { ("micro_f1", ThresholdObjective.MicroF1, Average.Micro), ("macro_f1", ThresholdObjective.MacroF1, Average.Macro) })
        {
            var expected = c.GetProperty("global").GetProperty(key);
            var set = ThresholdTuner.Tune(probabilities, truth, labels, objective);
            AssertClose(expected.GetProperty("threshold").GetDouble(), set.GlobalThreshold, $"{name} {key} threshold");
            double achieved = MultiLabelMetrics.F1(truth, set.WithStrategy(ThresholdStrategy.Global).Apply(probabilities), average);
            AssertClose(expected.GetProperty("f1").GetDouble(), achieved, $"{name} {key} F1 at the global threshold");
            AssertClose(achieved, set.GlobalValidationF1, $"{name} {key} reported global validation F1");
            double perLabelAchieved = MultiLabelMetrics.F1(truth, set.WithStrategy(ThresholdStrategy.PerLabel).Apply(probabilities), average);
            AssertClose(perLabelAchieved, set.PerLabelValidationF1, $"{name} {key} reported per-label validation F1");
            Assert.Equal(perLabelAchieved > achieved ? ThresholdStrategy.PerLabel : ThresholdStrategy.Global, set.Strategy);
            AssertClose(Math.Max(achieved, perLabelAchieved), set.ValidationF1, $"{name} {key} validation F1 in use");
        }
    }

    [Fact]
    public void HandWorkedExampleChoosesTheMidpointBelowTheBestValue()
    {
        // Probabilities (0.9, 0.8, 0.4, 0.3), truth (1, 0, 1, 0), P = 2; F1 = 2tp / (tp + fp + P):
        // t=0.9: tp 1 fp 0 → 2/3; t=0.8: tp 1 fp 1 → 2/4; t=0.4: tp 2 fp 1 → 4/5; t=0.3: tp 2 fp 2 → 4/6.
        // Best 0.4, next lower distinct value 0.3 → reported (0.4 + 0.3) / 2 = 0.35.
        var set = Tune([0.9, 0.8, 0.4, 0.3], [true, false, true, false]);
        AssertClose(0.35, set.PerLabelThresholds[0], "threshold");
        AssertClose(0.8, set.PerLabelValidationF1, "F1");
    }

    [Fact]
    public void EqualF1PrefersTheHighestThreshold()
    {
        // Probabilities (0.9, 0.7, 0.5, 0.2), truth (1, 0, 0, 1), P = 2:
        // t=0.9: tp 1 fp 0 → 2/3; t=0.7: 2/4; t=0.5: 2/5; t=0.2: tp 2 fp 2 → 4/6 = 2/3, a tie with 0.9.
        // The highest (0.9) wins → reported (0.9 + 0.7) / 2 = 0.8.
        var set = Tune([0.9, 0.7, 0.5, 0.2], [true, false, false, true]);
        AssertClose(0.8, set.PerLabelThresholds[0], "threshold");
    }

    [Fact]
    public void LowestValueChosenIsReportedAsItsHalf()
    {
        // Probabilities (0.6, 0.4), truth (1, 1), P = 2: t=0.6: 2/3; t=0.4: tp 2 fp 0 → 4/4 = 1.
        // 0.4 is the lowest value → reported 0.4 / 2 = 0.2.
        var set = Tune([0.6, 0.4], [true, true]);
        AssertClose(0.2, set.PerLabelThresholds[0], "threshold");
    }

    [Fact]
    public void TiedProbabilitiesAreNeverSplit()
    {
        // Probabilities (0.5, 0.5, 0.1), truth (1, 0, 0), P = 1: t=0.5: tp 1 fp 1 → 2/3; t=0.1: tp 1 fp 2 → 2/4.
        // Best 0.5 → reported (0.5 + 0.1) / 2 = 0.3: both tied samples are predicted positive.
        var set = Tune([0.5, 0.5, 0.1], [true, false, false]);
        AssertClose(0.3, set.PerLabelThresholds[0], "threshold");
        var predicted = set.Apply(new double[,] { { 0.5 }, { 0.5 }, { 0.1 } });
        Assert.Equal(new[] { true, true, false }, Enumerable.Range(0, 3).Select(i => predicted[i, 0]));
    }

    [Fact]
    public void LabelWithoutPositivesFallsBackToTheGlobalThreshold()
    {
        // Label "a": probabilities (0.9, 0.2), truth (1, 0); label "b": (0.8, 0.6), no positives.
        // Micro over all cells, P = 1: t=0.9: tp 1 fp 0 → 2/(1+0+1) = 1, the best possible, so 0.9 wins,
        // reported (0.9 + 0.8) / 2 = 0.85. "b" takes 0.85 and is listed as a fallback.
        double[,] probabilities = { { 0.9, 0.8 }, { 0.2, 0.6 } };
        bool[,] truth = { { true, false }, { false, false } };
        var set = ThresholdTuner.Tune(probabilities, truth, ["a", "b"]);
        AssertClose(0.85, set.GlobalThreshold, "global");
        AssertClose(0.85, set.PerLabelThresholds[1], "fallback threshold");
        Assert.Equal(["b"], set.FallbackLabels);
    }

    [Fact]
    public void ApplyPredictsPositiveAtExactlyTheThreshold()
    {
        var set = new ThresholdSet(ThresholdStrategy.PerLabel, ThresholdObjective.MicroF1, 0.5, ["a", "b"], [0.25, 0.75]);
        var predicted = set.Apply(new double[,] { { 0.25, 0.75 }, { 0.2499, 0.7499 } });
        Assert.Equal(new[] { true, true, false, false }, new[] { predicted[0, 0], predicted[0, 1], predicted[1, 0], predicted[1, 1] });
        var global = set.WithStrategy(ThresholdStrategy.Global).Apply(new double[,] { { 0.5, 0.49 } });
        Assert.True(global[0, 0]);
        Assert.False(global[0, 1]);
    }

    [Fact]
    public void SaveLoadRoundTripKeepsEverything()
    {
        var set = new ThresholdSet(ThresholdStrategy.PerLabel, ThresholdObjective.MacroF1, 0.345, ["joy", "anger", "fear"],
            [0.1 + 0.2, 0.42, 0.345], ["fear"], globalValidationF1: 0.61, perLabelValidationF1: 0.63);
        string path = Path.Combine(TestPaths.NewTempDirectory(), "thresholds.json");
        set.Save(path);

        var loaded = ThresholdSet.Load(path);
        Assert.Equal(ThresholdStrategy.PerLabel, loaded.Strategy);
        Assert.Equal(ThresholdObjective.MacroF1, loaded.Objective);
        Assert.Equal(0.345, loaded.GlobalThreshold);
        Assert.Equal(["joy", "anger", "fear"], loaded.LabelNames);
        Assert.Equal([0.1 + 0.2, 0.42, 0.345], loaded.PerLabelThresholds); // bit-exact: JSON keeps round-trip precision
        Assert.Equal(["fear"], loaded.FallbackLabels);
        Assert.Equal(0.61, loaded.GlobalValidationF1);
        Assert.Equal(0.63, loaded.PerLabelValidationF1);

        var reordered = ThresholdSet.Load(path, ["fear", "joy", "anger"]);
        Assert.Equal(["fear", "joy", "anger"], reordered.LabelNames);
        Assert.Equal([0.345, 0.1 + 0.2, 0.42], reordered.PerLabelThresholds);

        string text = File.ReadAllText(path);
        Assert.Contains("\"strategy\": \"per_label\"", text);
        Assert.Contains("\"objective\": \"macro_f1\"", text);
        Assert.Contains("\"global_threshold\": 0.345", text);
    }

    [Fact]
    public void UnknownValidationScoresRoundTripAsNaN()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "thresholds.json");
        ThresholdSet.Fixed(["joy"]).Save(path);
        var loaded = ThresholdSet.Load(path);
        Assert.True(double.IsNaN(loaded.ValidationF1));
        Assert.Equal(0.5, loaded.PerLabelThresholds[0]);
    }

    [Theory]
    [InlineData("{\"strategy\": \"global\", \"objective\": \"micro_f1\", \"global_threshold\": 0.5, \"per_label\": {\"joy\": 1.5}}", "per_label.joy = 1.5 is not a threshold in [0, 1]")]
    [InlineData("{\"strategy\": \"global\", \"objective\": \"micro_f1\", \"global_threshold\": -0.1, \"per_label\": {\"joy\": 0.5}}", "global_threshold = -0.1 is not a threshold in [0, 1]")]
    [InlineData("{\"strategy\": \"best\", \"objective\": \"micro_f1\", \"global_threshold\": 0.5, \"per_label\": {\"joy\": 0.5}}", "strategy 'best' is not one of global, per_label")]
    [InlineData("{\"strategy\": \"global\", \"objective\": \"micro_f1\", \"per_label\": {\"joy\": 0.5}}", "missing key 'global_threshold'")]
    [InlineData("{\"strategy\": \"global\", \"objective\": \"micro_f1\", \"global_threshold\": 0.5, \"per_label\": {\"joy\": \"high\"}}", "per_label.joy = \"high\" is not a threshold in [0, 1]")]
    [InlineData("{\"strategy\": \"global\",\n \"objective\": ", ":2: not valid JSON")]
    public void BadFilesNameTheFileAndTheProblem(string content, string expectedMessage)
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "thresholds.json");
        File.WriteAllText(path, content);
        var error = Assert.Throws<SentioException>(() => ThresholdSet.Load(path));
        Assert.StartsWith(path, error.Message);
        Assert.Contains(expectedMessage, error.Message);
    }

    [Fact]
    public void MissingFileAndMismatchedLabelsAreNamed()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "thresholds.json");
        var missingFile = Assert.Throws<SentioException>(() => ThresholdSet.Load(path));
        Assert.Equal($"{path}: thresholds file not found", missingFile.Message);

        ThresholdSet.Fixed(["joy", "anger"]).Save(path);
        var missingLabels = Assert.Throws<SentioException>(() => ThresholdSet.Load(path, ["joy", "fear", "grief"]));
        Assert.Equal($"{path}: per_label has no threshold for label(s) 'fear', 'grief'", missingLabels.Message);
        var unknownLabels = Assert.Throws<SentioException>(() => ThresholdSet.Load(path, ["joy"]));
        Assert.Equal($"{path}: per_label has threshold(s) for unknown label(s) 'anger'; expected joy", unknownLabels.Message);
    }

    [Fact]
    public void ProbabilitiesOutsideTheUnitIntervalAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => ThresholdTuner.Tune(new double[,] { { 0.5 }, { double.NaN } }, new bool[2, 1], OneLabel));
        Assert.Contains("probabilities[1, 0] = NaN is not in [0, 1]", error.Message);
        Assert.Throws<ArgumentException>(() => ThresholdTuner.Tune(new double[,] { { 1.2 } }, new bool[1, 1], OneLabel));
    }

    [Fact]
    public void ThresholdSetRejectsInconsistentValues()
    {
        var outOfRange = Assert.Throws<ArgumentException>(() =>
            new ThresholdSet(ThresholdStrategy.PerLabel, ThresholdObjective.MicroF1, 0.5, ["joy", "anger"], [0.3, 1.2]));
        Assert.Contains("Threshold 1.2 of label 'anger' is outside [0, 1]", outOfRange.Message);
        Assert.Throws<ArgumentException>(() => new ThresholdSet(ThresholdStrategy.Global, ThresholdObjective.MicroF1, 0.5, ["joy", "anger"], [0.3]));
        Assert.Throws<ArgumentException>(() => new ThresholdSet(ThresholdStrategy.Global, ThresholdObjective.MicroF1, 0.5, ["joy", "joy"], [0.3, 0.3]));
        Assert.Throws<ArgumentException>(() => ThresholdSet.Fixed(["joy"]).Apply(new double[1, 2]));
    }

    private static ThresholdSet Tune(double[] probabilities, bool[] truth)
    {
        var p = new double[probabilities.Length, 1];
        var t = new bool[truth.Length, 1];
        for (int i = 0; i < probabilities.Length; i++) (p[i, 0], t[i, 0]) = (probabilities[i], truth[i]);
        return ThresholdTuner.Tune(p, t, OneLabel);
    }
}
