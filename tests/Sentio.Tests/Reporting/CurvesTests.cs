using Sentio.Evaluation;
using Sentio.Reporting;

namespace Sentio.Tests.Reporting;

public class CurvesTests
{
    // truth [1, 0, 1, 0], scores [0.9, 0.8, 0.8, 0.1]: distinct scores high to low 0.9 (tp 1, fp 0),
    // 0.8 (tp 2, fp 1: the tie adds one of each), 0.1 (tp 2, fp 2); 2 positives, 2 negatives.
    private static readonly bool[] Truth = [true, false, true, false];
    private static readonly double[] Scores = [0.9, 0.8, 0.8, 0.1];

    [Fact]
    public void Roc_points_are_sklearn_roc_curve_without_dropping_points()
    {
        var roc = Curves.Roc(Truth, Scores);
        // sklearn 1.2.1 roc_curve(drop_intermediate=False): fpr [0, 0, .5, 1], tpr [0, .5, 1, 1],
        // thresholds [1.9, .9, .8, .1] (the first is the highest score + 1)
        Assert.Equal([0, 0, 0.5, 1], roc.FalsePositiveRate);
        Assert.Equal([0, 0.5, 1, 1], roc.TruePositiveRate);
        Assert.Equal([1.9, 0.9, 0.8, 0.1], roc.Thresholds);
        // trapezoids: 0·… + 0.5·(0.5 + 1)/2 + 0.5·(1 + 1)/2 = 0.375 + 0.5
        Assert.Equal(0.875, roc.Area(), 15);
        Assert.True(roc.IsDefined);
    }

    [Fact]
    public void Roc_of_a_column_without_positives_has_NaN_true_positive_rates()
    {
        var roc = Curves.Roc([false, false], [0.2, 0.7]);
        Assert.False(roc.IsDefined);
        Assert.All(roc.TruePositiveRate, r => Assert.True(double.IsNaN(r)));
        Assert.Equal([0, 0.5, 1], roc.FalsePositiveRate);
    }

    [Fact]
    public void Precision_recall_points_are_sklearn_precision_recall_curve()
    {
        var pr = Curves.PrecisionRecall(Truth, Scores);
        // thresholds ascending .1 (P 2/4, R 1), .8 (P 2/3, R 1), .9 (P 1/1, R 1/2), then the end point (R 0, P 1)
        Assert.Equal([0.1, 0.8, 0.9], pr.Thresholds);
        Assert.Equal([0.5, 2.0 / 3, 1, 1], pr.Precision);
        Assert.Equal([1, 1, 0.5, 0], pr.Recall);
        // AP = (1 − 1)·0.5 + (1 − 0.5)·2/3 + (0.5 − 0)·1 = 5/6 (sklearn average_precision_score: 0.8333…)
        Assert.Equal(5.0 / 6, pr.AveragePrecision(), 15);
    }

    [Fact]
    public void Threshold_sweep_gives_precision_recall_and_F1_at_each_distinct_score()
    {
        var sweep = Curves.ThresholdF1(Truth, Scores);
        // >= .1: tp 2 fp 2 → P .5, R 1, F1 2/3; >= .8: tp 2 fp 1 → P 2/3, R 1, F1 0.8; >= .9: tp 1 → P 1, R .5, F1 2/3
        Assert.Equal([0.1, 0.8, 0.9], sweep.Thresholds);
        Assert.Equal([0.5, 2.0 / 3, 1], sweep.Precision);
        Assert.Equal([1, 1, 0.5], sweep.Recall);
        Assert.Equal(2.0 / 3, sweep.F1[0], 15);
        Assert.Equal(0.8, sweep.F1[1], 15);
        Assert.Equal(2.0 / 3, sweep.F1[2], 15);
        // between scores the lowest score not below the threshold decides; above every score nothing is predicted
        Assert.Equal(2.0 / 3, sweep.F1At(0.0), 15);
        Assert.Equal(0.8, sweep.F1At(0.8), 15);
        Assert.Equal(2.0 / 3, sweep.F1At(0.85), 15);
        Assert.Equal(0, sweep.F1At(0.95));
    }

    [Fact]
    public void Calibration_bins_match_sklearn_calibration_curve_and_give_the_ECE()
    {
        // 5 bins of width 0.2; a probability on an edge (0.2) belongs to the lower bin, as in sklearn
        bool[] truth = [false, false, true, true, false, true];
        double[] probabilities = [0.05, 0.2, 0.2, 0.65, 0.7, 1.0];
        var curve = Curves.Calibration(truth, probabilities, bins: 5);
        Assert.Equal([3, 0, 0, 2, 1], curve.Bins.Select(b => b.Count));
        // sklearn calibration_curve(n_bins=5): prob_true [1/3, 1/2, 1], prob_pred [0.15, 0.675, 1]
        var filled = curve.Bins.Where(b => b.Count > 0).ToArray();
        Assert.Equal([1.0 / 3, 0.5, 1], filled.Select(b => b.ObservedFrequency));
        Assert.Equal(0.15, filled[0].MeanPredicted, 15);
        Assert.Equal(0.675, filled[1].MeanPredicted, 15);
        Assert.Equal(1, filled[2].MeanPredicted, 15);
        Assert.True(double.IsNaN(curve.Bins[1].MeanPredicted));
        // ECE = 3/6·|1/3 − 0.15| + 2/6·|0.5 − 0.675| + 1/6·0 = 0.091666… + 0.058333… = 0.15
        Assert.Equal(0.15, curve.ExpectedCalibrationError, 14);
        Assert.Equal(0.2, curve.Bins[0].Upper, 15);
    }

    [Fact]
    public void Calibration_pools_every_cell_of_a_matrix()
    {
        // the six cells of the previous test, as a 3 × 2 matrix read row by row
        var curve = Curves.Calibration(new bool[,] { { false, false }, { true, true }, { false, true } },
            new double[,] { { 0.05, 0.2 }, { 0.2, 0.65 }, { 0.7, 1.0 } }, bins: 5);
        Assert.Equal([3, 0, 0, 2, 1], curve.Bins.Select(b => b.Count));
        Assert.Equal(0.15, curve.ExpectedCalibrationError, 14);
    }

    [Fact]
    public void Calibration_rejects_a_probability_outside_the_unit_interval()
    {
        var error = Assert.Throws<ArgumentException>(() => Curves.Calibration([true], [1.5]));
        Assert.Contains("1.5", error.Message);
    }

    [Fact]
    public void Curves_agree_with_the_metrics_on_a_larger_matrix_with_ties()
    {
        // 300 samples × 4 labels; scores rounded to 2 decimals so that many tie
        var random = new Random(11);
        int samples = 300, labels = 4;
        var truth = new bool[samples, labels];
        var scores = new double[samples, labels];
        for (int i = 0; i < samples; i++)
            for (int j = 0; j < labels; j++)
            {
                truth[i, j] = random.NextDouble() < 0.15 + 0.2 * j;
                scores[i, j] = Math.Round(Math.Clamp((truth[i, j] ? 0.25 : 0) + random.NextDouble() * 0.75, 0, 1), 2);
            }
        double[] thresholds = [0.3, 0.5, 0.55, 0.7];
        var report = MetricsReport.Compute(truth, scores, thresholds, ["a", "b", "c", "d"]);
        var rocAuc = MultiLabelMetrics.RocAucPerLabel(truth, scores);
        var averagePrecision = MultiLabelMetrics.AveragePrecisionPerLabel(truth, scores);
        for (int j = 0; j < labels; j++)
        {
            var column = Curves.Column(truth, j);
            var columnScores = Curves.Column(scores, j);
            Assert.Equal(rocAuc[j], Curves.Roc(column, columnScores).Area(), 12);
            Assert.Equal(averagePrecision[j], Curves.PrecisionRecall(column, columnScores).AveragePrecision(), 12);
            Assert.Equal(report.PerLabel[j].F1, Curves.ThresholdF1(column, columnScores).F1At(thresholds[j]), 12);
        }
    }
}
