using System.Text.Json;
using Sentio.Reporting;

namespace Sentio.Tests.Reporting;

/// <summary>Curves against scikit-learn 1.2.1 on seeded columns (Fixtures/reporting/curves.json, written by
/// tools/make_reporting_fixtures.py): continuous scores, scores with many ties, scores on the bin edges.</summary>
public class SklearnCurveFixtureTests
{
    public static TheoryData<string> Columns => new() { "continuous", "ties", "bin_edges" };

    private static JsonElement Column(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "reporting", "curves.json")));
        return document.RootElement.GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name).Clone();
    }

    private static double[] Array(JsonElement element, string name) =>
        element.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static double[] Doubles(JsonElement element, string curve, string name) => Array(element.GetProperty(curve), name);

    private static void Equal(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 12);
    }

    [Theory]
    [MemberData(nameof(Columns))]
    public void Roc_precision_recall_and_calibration_equal_sklearn(string name)
    {
        var column = Column(name);
        bool[] truth = column.GetProperty("truth").EnumerateArray().Select(x => x.GetBoolean()).ToArray();
        double[] scores = column.GetProperty("scores").EnumerateArray().Select(x => x.GetDouble()).ToArray();

        var roc = Curves.Roc(truth, scores);
        Equal(Doubles(column, "roc", "fpr"), roc.FalsePositiveRate);
        Equal(Doubles(column, "roc", "tpr"), roc.TruePositiveRate);
        Equal(Doubles(column, "roc", "thresholds"), roc.Thresholds);

        var pr = Curves.PrecisionRecall(truth, scores);
        Equal(Doubles(column, "pr", "precision"), pr.Precision);
        Equal(Doubles(column, "pr", "recall"), pr.Recall);
        Equal(Doubles(column, "pr", "thresholds"), pr.Thresholds);

        foreach (int bins in new[] { 10, 7 })
        {
            var calibration = column.GetProperty("calibration").GetProperty(bins.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var filled = Curves.Calibration(truth, scores, bins).Bins.Where(b => b.Count > 0).ToArray();
            Equal(Array(calibration, "prob_true"), filled.Select(b => b.ObservedFrequency).ToArray());
            Equal(Array(calibration, "prob_pred"), filled.Select(b => b.MeanPredicted).ToArray());
        }
    }
}
