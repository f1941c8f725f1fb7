using System.Text.Json;
using Sentio.Evaluation;

namespace Sentio.Tests.Evaluation;

/// <summary>Single-label metrics against scikit-learn 1.2.1 (tools/make_single_label_fixtures.py).</summary>
public class SingleLabelMetricsTests
{
    private const double Tolerance = 1e-12;

    private static readonly JsonElement Cases = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Fixtures, "single_label", "cases.json"))).RootElement.GetProperty("metric_cases");

    public static TheoryData<string> CaseNames() => new(Cases.EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    private static JsonElement Case(string name) => Cases.EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void EqualsScikitLearn(string name)
    {
        JsonElement expected = Case(name);
        int classes = expected.GetProperty("classes").GetInt32();
        int[] truth = expected.GetProperty("truth").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        int[] predicted = expected.GetProperty("predicted").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var report = SingleLabelMetrics.Report(truth, predicted, Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray());

        Assert.Equal(expected.GetProperty("accuracy").GetDouble(), report.Accuracy, Tolerance);
        var perClass = expected.GetProperty("per_class");
        Assert.Equal(Doubles(perClass.GetProperty("precision")), report.PerClass.Select(s => s.Precision), new NearlyEqual(Tolerance));
        Assert.Equal(Doubles(perClass.GetProperty("recall")), report.PerClass.Select(s => s.Recall), new NearlyEqual(Tolerance));
        Assert.Equal(Doubles(perClass.GetProperty("f1")), report.PerClass.Select(s => s.F1), new NearlyEqual(Tolerance));
        Assert.Equal(perClass.GetProperty("support").EnumerateArray().Select(v => (int)v.GetDouble()), report.Support);
        foreach (var (key, actual) in new[] { ("micro", report.Micro), ("macro", report.Macro), ("weighted", report.Weighted) })
        {
            var average = expected.GetProperty(key);
            Assert.Equal(average.GetProperty("precision").GetDouble(), actual.Precision, Tolerance);
            Assert.Equal(average.GetProperty("recall").GetDouble(), actual.Recall, Tolerance);
            Assert.Equal(average.GetProperty("f1").GetDouble(), actual.F1, Tolerance);
        }
        // classification_report's "macro avg" / "weighted avg" rows are the same numbers again.
        Assert.Equal(expected.GetProperty("report").GetProperty("macro avg").GetProperty("f1-score").GetDouble(), report.Macro.F1, Tolerance);
        Assert.Equal(expected.GetProperty("report").GetProperty("weighted avg").GetProperty("f1-score").GetDouble(), report.Weighted.F1, Tolerance);
        var confusion = expected.GetProperty("confusion_matrix").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        for (int t = 0; t < classes; t++)
            for (int p = 0; p < classes; p++) Assert.Equal(confusion[t][p], report.ConfusionMatrix[t, p]);
    }

    [Fact]
    public void WorkedExampleInTheDocs()
    {
        var report = SingleLabelMetrics.Report([0, 0, 1, 2], [0, 1, 1, 1], ["a", "b", "c"]);
        Assert.Equal(0.5, report.Accuracy, Tolerance);
        Assert.Equal(7.0 / 18, report.Macro.F1, Tolerance);
        Assert.Equal(11.0 / 24, report.Weighted.F1, Tolerance);
        Assert.Equal(report.Accuracy, report.Micro.F1, Tolerance);
    }

    [Fact]
    public void ArgMaxBreaksTiesTowardsTheLowerClass()
    {
        Assert.Equal([1, 0, 2], SingleLabelMetrics.ArgMax(new double[,] { { 0.2, 0.5, 0.3 }, { 0.4, 0.4, 0.2 }, { 0.1, 0.1, 0.8 } }));
    }

    [Fact]
    public void BadInputIsAnArgumentError()
    {
        Assert.Throws<ArgumentException>(() => SingleLabelMetrics.Accuracy([0, 1], [0], 2));
        Assert.Throws<ArgumentException>(() => SingleLabelMetrics.Accuracy([0, 2], [0, 1], 2));
        Assert.Throws<ArgumentException>(() => SingleLabelMetrics.Averaged([0], [0], 1, Average.Samples));
    }

    private sealed class NearlyEqual(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double value) => 0;
    }
}
