using System.Text.Json;
using Sentio.Evaluation;
using static Sentio.Tests.Evaluation.MetricFixtures;

namespace Sentio.Tests.Evaluation;

public class MetricsReportTests
{
    [Theory]
    [MemberData(nameof(MetricFixtures.CaseNames), MemberType = typeof(MetricFixtures))]
    public void ComputeFromProbabilitiesAndThresholdsMatchesSklearn(string name)
    {
        var c = Case(name);
        var truth = Bools(c.GetProperty("truth"));
        var probabilities = Doubles(c.GetProperty("probabilities"));
        var thresholds = Vector(c.GetProperty("thresholds"));
        var labels = Strings(c.GetProperty("labels"));
        var set = new ThresholdSet(ThresholdStrategy.PerLabel, ThresholdObjective.MicroF1, 0.5, labels, thresholds);

        var report = MetricsReport.Compute(truth, probabilities, set, labels);

        Assert.Equal(truth.GetLength(0), report.Samples);
        foreach (var (key, row) in new[] { ("micro", report.MicroAvg), ("macro", report.MacroAvg), ("weighted", report.WeightedAvg), ("samples", report.SamplesAvg) })
        {
            AssertClose(c.GetProperty("precision").GetProperty(key).GetDouble(), row.Precision, $"{name} {key} precision");
            AssertClose(c.GetProperty("recall").GetProperty(key).GetDouble(), row.Recall, $"{name} {key} recall");
            AssertClose(c.GetProperty("f1").GetProperty(key).GetDouble(), row.F1, $"{name} {key} f1");
        }
        AssertClose(c.GetProperty("hamming_loss").GetDouble(), report.HammingLoss, $"{name} hamming loss");
        AssertClose(c.GetProperty("hamming_score").GetDouble(), report.HammingScore, $"{name} hamming score");
        AssertClose(c.GetProperty("subset_accuracy").GetDouble(), report.SubsetAccuracy, $"{name} subset accuracy");

        var rocAuc = Vector(c.GetProperty("roc_auc"));
        var averagePrecision = Vector(c.GetProperty("average_precision"));
        var defined = rocAuc.Where(v => !double.IsNaN(v)).ToArray();
        AssertClose(defined.Length == 0 ? double.NaN : defined.Average(), report.MacroRocAuc, $"{name} macro roc_auc");
        AssertClose(averagePrecision.Average(), report.MacroAveragePrecision, $"{name} macro average precision");
        Assert.Equal(labels.Where((_, j) => double.IsNaN(rocAuc[j])), report.RocAucUndefinedLabels);

        var confusion = c.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        var f1 = Vector(c.GetProperty("f1").GetProperty("per_label"));
        var precision = Vector(c.GetProperty("precision").GetProperty("per_label"));
        var recall = Vector(c.GetProperty("recall").GetProperty("per_label"));
        Assert.Equal(labels, report.PerLabel.Select(l => l.Label));
        for (int j = 0; j < labels.Length; j++)
        {
            var row = report.PerLabel[j];
            Assert.Equal(thresholds[j], row.Threshold);
            Assert.Equal(confusion[j], new[] { row.Tn, row.Fp, row.Fn, row.Tp });
            Assert.Equal(confusion[j][2] + confusion[j][3], row.Support);
            AssertClose(precision[j], row.Precision, $"{name} {row.Label} precision");
            AssertClose(recall[j], row.Recall, $"{name} {row.Label} recall");
            AssertClose(f1[j], row.F1, $"{name} {row.Label} f1");
            AssertClose(rocAuc[j], row.RocAuc, $"{name} {row.Label} roc_auc");
            AssertClose(averagePrecision[j], row.AveragePrecision, $"{name} {row.Label} average precision");
        }
        Assert.Equal(labels.Where((_, j) => confusion[j][1] + confusion[j][3] == 0), report.LabelsNeverPredicted);
        Assert.Equal(labels.Where((_, j) => confusion[j][2] + confusion[j][3] == 0), report.LabelsWithoutSupport);
    }

    [Fact]
    public void JsonUsesSnakeCaseAndWritesNaN()
    {
        // Edge case fixture: label_2 is all-zero in truth, so its ROC-AUC is undefined.
        var c = Case("edge_empty_rows_zero_column_never_predicted");
        var labels = Strings(c.GetProperty("labels"));
        var report = MetricsReport.Compute(Bools(c.GetProperty("truth")), Doubles(c.GetProperty("probabilities")),
            Vector(c.GetProperty("thresholds")), labels);
        string path = Path.Combine(TestPaths.NewTempDirectory(), "metrics.json");
        report.Save(path);

        using var json = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions());
        var root = json.RootElement;
        Assert.Equal(c.GetProperty("f1").GetProperty("micro").GetDouble(), root.GetProperty("micro_avg").GetProperty("f1").GetDouble(), Tolerance);
        Assert.Equal("micro avg", root.GetProperty("micro_avg").GetProperty("name").GetString());
        Assert.Equal(6, root.GetProperty("samples").GetInt32());
        Assert.Equal(["label_2"], root.GetProperty("roc_auc_undefined_labels").EnumerateArray().Select(e => e.GetString()));
        var label2 = root.GetProperty("per_label")[2];
        Assert.Equal("NaN", label2.GetProperty("roc_auc").GetString());
        Assert.Equal(0, label2.GetProperty("tp").GetInt32());
        Assert.Equal(1.0, root.GetProperty("per_label")[1].GetProperty("threshold").GetDouble());
        Assert.True(root.TryGetProperty("macro_average_precision", out _));
        Assert.True(root.TryGetProperty("hamming_score", out _));
        Assert.Equal(report.ToJson(), File.ReadAllText(path));
    }

    [Fact]
    public void TableShowsEveryLabelTheAveragesAndTheNotes()
    {
        // truth [[1,0],[1,1]], probabilities [[0.9,0.6],[0.2,0.7]], threshold 0.5 → predicted [[1,1],[0,1]].
        // joy: tp 1 fn 1 → P 1, R 0.5, F1 0.6667; ROC-AUC undefined (joy is true in both samples);
        // AP: 0.9 (tp 1, P 1, R 0.5), 0.2 (tp 2, P 1, R 1) → 0.5 + 0.5 = 1.
        // anger: tp 1 fp 1 tn 0 → P 0.5, R 1, F1 0.6667; ROC-AUC 1 (its positive 0.7 > its negative 0.6); AP 1.
        bool[,] truth = { { true, false }, { true, true } };
        double[,] probabilities = { { 0.9, 0.6 }, { 0.2, 0.7 } };
        var report = MetricsReport.Compute(truth, probabilities, ThresholdSet.Fixed(["joy", "anger"]), ["joy", "anger"]);
        var lines = report.ToTable().Split('\n');

        Assert.Equal("label         thresh    prec  recall      f1  roc_auc  avg_prec  support      tp      fp      fn      tn", lines[0]);
        Assert.Equal("joy           0.5000  1.0000  0.5000  0.6667      n/a    1.0000        2       1       0       1       0", lines[2]);
        Assert.Equal("anger         0.5000  0.5000  1.0000  0.6667   1.0000    1.0000        1       1       1       0       0", lines[3]);
        // micro: tp 2, fp 1, fn 1 → P = R = F1 = 2/3; support 3.
        Assert.Contains("micro avg             0.6667  0.6667  0.6667                           3", lines);
        Assert.Contains("roc_auc undefined (one class only), left out of the macro mean: joy", lines);
        // hamming loss: 2 wrong cells of 4; macro ROC-AUC over anger only = 1.
        Assert.Contains("samples 2   hamming loss 0.5000   hamming score 0.5000   subset accuracy 0.0000", lines);
        Assert.Contains("macro roc_auc 1.0000   macro average precision 1.0000", lines);
    }

    [Fact]
    public void ThresholdsWithoutAReportedLabelAreAnError()
    {
        var error = Assert.Throws<SentioException>(() =>
            MetricsReport.Compute(new bool[1, 2], new double[1, 2], ThresholdSet.Fixed(["joy", "anger"]), ["joy", "fear"]));
        Assert.Contains("no threshold for label(s) 'fear'", error.Message);
    }
}
