using System.Text.Json;
using Sentio.Evaluation;
using static Sentio.Tests.Evaluation.MetricFixtures;

namespace Sentio.Tests.Evaluation;

public class MultiLabelMetricsTests
{
    private static readonly (string Key, Average Average)[] Averages =
        [("micro", Average.Micro), ("macro", Average.Macro), ("weighted", Average.Weighted), ("samples", Average.Samples)];

    [Theory]
    [MemberData(nameof(MetricFixtures.CaseNames), MemberType = typeof(MetricFixtures))]
    public void PrecisionRecallF1MatchSklearnForEveryAverage(string name)
    {
        var c = Case(name);
        var truth = Bools(c.GetProperty("truth"));
        var predicted = Bools(c.GetProperty("predicted"));
        var metrics = new (string Key, Func<PrecisionRecallF1, double> Pick, Func<bool[,], bool[,], double[]> PerLabel)[]
        {
            ("precision", s => s.Precision, MultiLabelMetrics.PrecisionPerLabel),
            ("recall", s => s.Recall, MultiLabelMetrics.RecallPerLabel),
            ("f1", s => s.F1, MultiLabelMetrics.F1PerLabel),
        };
        foreach (var (key, pick, perLabel) in metrics)
        {
            var expected = c.GetProperty(key);
            foreach (var (averageKey, average) in Averages)
                AssertClose(expected.GetProperty(averageKey).GetDouble(), pick(MultiLabelMetrics.Scores(truth, predicted, average)), $"{name} {key} {averageKey}");
            AssertClose(Vector(expected.GetProperty("per_label")), perLabel(truth, predicted), $"{name} {key} per label");
        }
        AssertClose(c.GetProperty("f1").GetProperty("macro").GetDouble(), MultiLabelMetrics.F1(truth, predicted, Average.Macro), $"{name} F1()");
        AssertClose(c.GetProperty("precision").GetProperty("micro").GetDouble(), MultiLabelMetrics.Precision(truth, predicted, Average.Micro), $"{name} Precision()");
        AssertClose(c.GetProperty("recall").GetProperty("weighted").GetDouble(), MultiLabelMetrics.Recall(truth, predicted, Average.Weighted), $"{name} Recall()");
    }

    [Theory]
    [MemberData(nameof(MetricFixtures.CaseNames), MemberType = typeof(MetricFixtures))]
    public void SampleLevelScoresMatchSklearn(string name)
    {
        var c = Case(name);
        var truth = Bools(c.GetProperty("truth"));
        var predicted = Bools(c.GetProperty("predicted"));
        AssertClose(c.GetProperty("hamming_loss").GetDouble(), MultiLabelMetrics.HammingLoss(truth, predicted), $"{name} hamming loss");
        AssertClose(c.GetProperty("hamming_score").GetDouble(), MultiLabelMetrics.HammingScore(truth, predicted), $"{name} hamming score");
        AssertClose(c.GetProperty("subset_accuracy").GetDouble(), MultiLabelMetrics.SubsetAccuracy(truth, predicted), $"{name} subset accuracy");
    }

    [Theory]
    [MemberData(nameof(MetricFixtures.CaseNames), MemberType = typeof(MetricFixtures))]
    public void ConfusionMatricesMatchSklearn(string name)
    {
        var c = Case(name);
        var actual = MultiLabelMetrics.ConfusionMatrices(Bools(c.GetProperty("truth")), Bools(c.GetProperty("predicted")));
        var expected = c.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        Assert.Equal(expected, actual.Select(m => new[] { m.TrueNegatives, m.FalsePositives, m.FalseNegatives, m.TruePositives }).ToArray());
    }

    [Theory]
    [MemberData(nameof(MetricFixtures.CaseNames), MemberType = typeof(MetricFixtures))]
    public void ClassificationReportMatchesSklearnOutputDict(string name)
    {
        var c = Case(name);
        var labels = Strings(c.GetProperty("labels"));
        var report = MultiLabelMetrics.ClassificationReport(Bools(c.GetProperty("truth")), Bools(c.GetProperty("predicted")), labels);
        var expected = c.GetProperty("classification_report");
        var rows = report.Labels.Concat([report.MicroAvg, report.MacroAvg, report.WeightedAvg, report.SamplesAvg]).ToArray();
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name), rows.Select(r => r.Name));
        foreach (var row in rows)
        {
            var e = expected.GetProperty(row.Name);
            AssertClose(e.GetProperty("precision").GetDouble(), row.Precision, $"{name} {row.Name} precision");
            AssertClose(e.GetProperty("recall").GetDouble(), row.Recall, $"{name} {row.Name} recall");
            AssertClose(e.GetProperty("f1-score").GetDouble(), row.F1, $"{name} {row.Name} f1");
            Assert.Equal(e.GetProperty("support").GetInt32(), row.Support);
        }
    }

    [Theory]
    [MemberData(nameof(MetricFixtures.CaseNames), MemberType = typeof(MetricFixtures))]
    public void RankingMetricsMatchSklearnPerColumn(string name)
    {
        var c = Case(name);
        var truth = Bools(c.GetProperty("truth"));
        var scores = Doubles(c.GetProperty("probabilities"));
        var expectedRocAuc = Vector(c.GetProperty("roc_auc"));
        var expectedAp = Vector(c.GetProperty("average_precision"));
        AssertClose(expectedRocAuc, MultiLabelMetrics.RocAucPerLabel(truth, scores), $"{name} roc_auc");
        AssertClose(expectedAp, MultiLabelMetrics.AveragePrecisionPerLabel(truth, scores), $"{name} average precision");
        var defined = expectedRocAuc.Where(v => !double.IsNaN(v)).ToArray();
        AssertClose(defined.Length == 0 ? double.NaN : defined.Average(), MultiLabelMetrics.MacroRocAuc(truth, scores), $"{name} macro roc_auc");
        AssertClose(expectedAp.Average(), MultiLabelMetrics.MacroAveragePrecision(truth, scores), $"{name} macro average precision");
    }

    [Fact]
    public void HandWorkedExampleFromTheDocs()
    {
        // truth [[1,0],[1,1]], predicted [[1,1],[0,1]].
        // label 0: tp 1, fn 1 → P 1, R 1/2, F1 2·1·0.5/1.5 = 2/3; label 1: tp 1, fp 1 → P 1/2, R 1, F1 2/3.
        // micro: tp 2, fp 1, fn 1 → P 2/3, R 2/3, F1 2/3. hamming loss 2/4; subset accuracy 0;
        // hamming score mean(|{0}|/|{0,1}|, |{1}|/|{0,1}|) = 1/2. samples F1: sample 0 P 1/2 R 1 → 2/3,
        // sample 1 P 1 R 1/2 → 2/3, mean 2/3.
        bool[,] truth = { { true, false }, { true, true } };
        bool[,] predicted = { { true, true }, { false, true } };
        Assert.Equal(new[] { 2.0 / 3, 2.0 / 3 }, MultiLabelMetrics.F1PerLabel(truth, predicted), new ToleranceComparer());
        AssertClose(2.0 / 3, MultiLabelMetrics.F1(truth, predicted, Average.Micro), "micro f1");
        AssertClose(2.0 / 3, MultiLabelMetrics.F1(truth, predicted, Average.Samples), "samples f1");
        AssertClose(0.5, MultiLabelMetrics.HammingLoss(truth, predicted), "hamming loss");
        AssertClose(0.5, MultiLabelMetrics.HammingScore(truth, predicted), "hamming score");
        AssertClose(0.0, MultiLabelMetrics.SubsetAccuracy(truth, predicted), "subset accuracy");
    }

    [Fact]
    public void TiedScoresMoveTheRocCurveDiagonally()
    {
        // One column: scores (0.8, 0.5, 0.5, 0.2), truth (1, 1, 0, 0). P = N = 2.
        // ROC points (fp, tp): (0,0) → (0,1) at 0.8 → (1,2) at the tied 0.5s → (2,2) at 0.2.
        // Area in count units: 0 + 1·(1+2)/2 + 1·(2+2)/2 = 3.5, over P·N = 4 → 0.875.
        // AP: thresholds 0.8 (R 1/2, P 1), 0.5 (R 1, P 2/3) → 0.5·1 + 0.5·2/3 = 5/6.
        bool[,] truth = { { true }, { true }, { false }, { false } };
        double[,] scores = { { 0.8 }, { 0.5 }, { 0.5 }, { 0.2 } };
        AssertClose(0.875, MultiLabelMetrics.RocAucPerLabel(truth, scores)[0], "roc_auc");
        AssertClose(5.0 / 6, MultiLabelMetrics.AveragePrecisionPerLabel(truth, scores)[0], "average precision");
    }

    [Fact]
    public void ShapeMismatchIsAClearArgumentException()
    {
        var error = Assert.Throws<ArgumentException>(() => MultiLabelMetrics.F1(new bool[3, 2], new bool[3, 4], Average.Micro));
        Assert.Contains("truth has shape [3, 2] but predicted has shape [3, 4]", error.Message);
        error = Assert.Throws<ArgumentException>(() => MultiLabelMetrics.RocAucPerLabel(new bool[2, 2], new double[1, 2]));
        Assert.Contains("scores has shape [1, 2]", error.Message);
        Assert.Throws<ArgumentException>(() => MultiLabelMetrics.HammingLoss(new bool[0, 2], new bool[0, 2]));
    }

    private sealed class ToleranceComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= Tolerance;
        public int GetHashCode(double value) => 0;
    }
}
