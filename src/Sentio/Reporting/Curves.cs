using Sentio.Evaluation;

namespace Sentio.Reporting;

/// <summary>A receiver operating characteristic curve: point k is (FalsePositiveRate[k], TruePositiveRate[k]),
/// reached by predicting "positive" for scores &gt;= Thresholds[k]. All three arrays have length
/// (distinct scores + 1); thresholds run from high to low.</summary>
/// <param name="FalsePositiveRate">NaN everywhere when the column has no negative (scikit-learn does the same).</param>
/// <param name="TruePositiveRate">NaN everywhere when the column has no positive.</param>
public sealed record RocCurve(double[] FalsePositiveRate, double[] TruePositiveRate, double[] Thresholds)
{
    /// <summary>Whether both classes occur, so that the rates are numbers.</summary>
    public bool IsDefined => !double.IsNaN(FalsePositiveRate[0]) && !double.IsNaN(TruePositiveRate[0]);

    /// <summary>The area under the points joined by straight lines (trapezoids); NaN when undefined.</summary>
    public double Area()
    {
        double area = 0;
        for (int k = 1; k < FalsePositiveRate.Length; k++)
            area += (FalsePositiveRate[k] - FalsePositiveRate[k - 1]) * (TruePositiveRate[k] + TruePositiveRate[k - 1]) / 2;
        return area;
    }
}

/// <summary>A precision-recall curve as scikit-learn 1.2.1's <c>precision_recall_curve</c> returns it: Thresholds
/// are the distinct scores in increasing order (length m); Precision[k] and Recall[k] (length m + 1) hold for
/// predicting "positive" at scores &gt;= Thresholds[k], and the last point is (recall 0, precision 1), which no
/// threshold reaches.</summary>
/// <param name="Recall">1 everywhere but the last point when the column has no positive (scikit-learn's choice).</param>
public sealed record PrecisionRecallCurve(double[] Precision, double[] Recall, double[] Thresholds)
{
    /// <summary>Σ (R[k] − R[k+1]) · P[k], the step-wise area scikit-learn's <c>average_precision_score</c> takes.</summary>
    public double AveragePrecision()
    {
        double sum = 0;
        for (int k = 0; k + 1 < Recall.Length; k++) sum += (Recall[k] - Recall[k + 1]) * Precision[k];
        return sum;
    }
}

/// <summary>Precision, recall and F1 of one label for every threshold that changes the prediction: at
/// Thresholds[k] the label is predicted for scores &gt;= Thresholds[k]. Thresholds are the distinct scores in
/// increasing order; all four arrays have that length. Between two thresholds the scores stay constant (the
/// curve is a step function); above the highest score nothing is predicted and F1 is 0.</summary>
public sealed record ThresholdF1Curve(double[] Thresholds, double[] Precision, double[] Recall, double[] F1)
{
    /// <summary>F1 when predicting scores &gt;= <paramref name="threshold"/>: that of the lowest distinct score not
    /// below it, or 0 when every score is below it.</summary>
    public double F1At(double threshold)
    {
        int index = Array.BinarySearch(Thresholds, threshold);
        if (index < 0) index = ~index;
        return index == Thresholds.Length ? 0 : F1[index];
    }
}

/// <summary>One bin of a reliability diagram: the probabilities p with Lower &lt; p &lt;= Upper (the first bin
/// also holds 0), as scikit-learn's <c>calibration_curve(strategy="uniform")</c> bins them.</summary>
/// <param name="MeanPredicted">Mean probability in the bin; NaN when the bin is empty.</param>
/// <param name="ObservedFrequency">Fraction of the bin's cells that are truly positive; NaN when empty.</param>
public sealed record CalibrationBin(double Lower, double Upper, int Count, double MeanPredicted, double ObservedFrequency);

/// <summary>A reliability diagram's bins and the expected calibration error
/// ECE = Σ (Count / total) · |ObservedFrequency − MeanPredicted| over non-empty bins.</summary>
public sealed record CalibrationCurve(IReadOnlyList<CalibrationBin> Bins, double ExpectedCalibrationError);

/// <summary>
/// The numbers behind the report's plots, computed from probabilities (never from thresholded predictions).
/// <para>Example, truth [1, 0, 1, 0] with scores [0.9, 0.8, 0.8, 0.1]: the distinct scores, highest first, are
/// 0.9 (tp 1, fp 0), 0.8 (tp 2, fp 1), 0.1 (tp 2, fp 2), so the ROC points are (0, 0), (0, 0.5), (0.5, 1),
/// (1, 1) at thresholds 1.9, 0.9, 0.8, 0.1, and the area is 0.875.</para>
/// </summary>
public static class Curves
{
    /// <summary>scikit-learn 1.2.1's <c>roc_curve(truth, scores, drop_intermediate=False)</c>: one point per
    /// distinct score plus the start (0, 0), whose threshold is the highest score + 1 (1.2.1's convention; later
    /// versions use +∞). Tied scores move the curve diagonally. [n] ×2 → [distinct scores + 1] ×3.</summary>
    /// <exception cref="ArgumentException">Lengths differ, the column is empty, or a score is NaN.</exception>
    public static RocCurve Roc(IReadOnlyList<bool> truth, IReadOnlyList<double> scores)
    {
        var sweep = Sweep(truth, scores);
        int points = sweep.Values.Length + 1;
        var fpr = new double[points];
        var tpr = new double[points];
        var thresholds = new double[points];
        thresholds[0] = sweep.Values[0] + 1;
        for (int k = 1; k < points; k++)
        {
            fpr[k] = sweep.FalsePositives[k - 1] / (double)sweep.Negatives;
            tpr[k] = sweep.TruePositives[k - 1] / (double)sweep.Positives;
            thresholds[k] = sweep.Values[k - 1];
        }
        if (sweep.Negatives == 0) Array.Fill(fpr, double.NaN);
        if (sweep.Positives == 0) Array.Fill(tpr, double.NaN);
        return new RocCurve(fpr, tpr, thresholds);
    }

    /// <summary>scikit-learn 1.2.1's <c>precision_recall_curve(truth, scores)</c> (see
    /// <see cref="PrecisionRecallCurve"/> for the layout). [n] ×2 → [m + 1], [m + 1], [m] for m distinct scores.</summary>
    /// <exception cref="ArgumentException">Lengths differ, the column is empty, or a score is NaN.</exception>
    public static PrecisionRecallCurve PrecisionRecall(IReadOnlyList<bool> truth, IReadOnlyList<double> scores)
    {
        var sweep = Sweep(truth, scores);
        int m = sweep.Values.Length;
        var precision = new double[m + 1];
        var recall = new double[m + 1];
        var thresholds = new double[m];
        for (int k = 0; k < m; k++)
        {
            int descending = m - 1 - k; // the sweep runs from the highest score down
            int tp = sweep.TruePositives[descending], fp = sweep.FalsePositives[descending];
            precision[k] = tp / (double)(tp + fp);
            recall[k] = sweep.Positives == 0 ? 1 : tp / (double)sweep.Positives;
            thresholds[k] = sweep.Values[descending];
        }
        precision[m] = 1;
        recall[m] = 0;
        return new PrecisionRecallCurve(precision, recall, thresholds);
    }

    /// <summary>Precision, recall and F1 at every distinct score taken as the threshold, with the zero-division
    /// rule of <see cref="MultiLabelMetrics"/> (a label without positives has recall and F1 0). [n] ×2 → [m] ×4.</summary>
    /// <exception cref="ArgumentException">Lengths differ, the column is empty, or a score is NaN.</exception>
    public static ThresholdF1Curve ThresholdF1(IReadOnlyList<bool> truth, IReadOnlyList<double> scores)
    {
        var sweep = Sweep(truth, scores);
        int m = sweep.Values.Length;
        var thresholds = new double[m];
        var precision = new double[m];
        var recall = new double[m];
        var f1 = new double[m];
        for (int k = 0; k < m; k++)
        {
            int descending = m - 1 - k;
            int tp = sweep.TruePositives[descending], fp = sweep.FalsePositives[descending];
            var s = MultiLabelMetrics.FromCounts(tp, tp + fp, sweep.Positives);
            (thresholds[k], precision[k], recall[k], f1[k]) = (sweep.Values[descending], s.Precision, s.Recall, s.F1);
        }
        return new ThresholdF1Curve(thresholds, precision, recall, f1);
    }

    /// <summary>Reliability bins of one column: scikit-learn's <c>calibration_curve(truth, probabilities,
    /// n_bins=bins, strategy="uniform")</c> returns the ObservedFrequency and MeanPredicted of the non-empty bins.
    /// Bin edges are k · (1 / bins), as numpy's <c>linspace</c> computes them.</summary>
    /// <exception cref="ArgumentException">Lengths differ, the column is empty, bins &lt; 1, or a probability outside [0, 1].</exception>
    public static CalibrationCurve Calibration(IReadOnlyList<bool> truth, IReadOnlyList<double> probabilities, int bins = 10)
    {
        CheckColumn(truth, probabilities);
        return Calibration(Enumerable.Range(0, truth.Count).Select(i => (truth[i], probabilities[i])), bins);
    }

    /// <summary>Reliability bins pooled over every (sample, label) cell of a multi-label matrix, so that each
    /// cell counts once. [samples, labels] ×2.</summary>
    /// <exception cref="ArgumentException">Shapes differ, a dimension is 0, bins &lt; 1, or a probability outside [0, 1].</exception>
    public static CalibrationCurve Calibration(bool[,] truth, double[,] probabilities, int bins = 10)
    {
        MultiLabelMetrics.CheckShapes(truth, probabilities, nameof(probabilities));
        return Calibration(truth.Cast<bool>().Zip(probabilities.Cast<double>()), bins);
    }

    /// <summary>Column <paramref name="label"/> of a [samples, labels] matrix. → [samples].</summary>
    public static T[] Column<T>(T[,] matrix, int label) =>
        Enumerable.Range(0, matrix.GetLength(0)).Select(i => matrix[i, label]).ToArray();

    private static CalibrationCurve Calibration(IEnumerable<(bool Truth, double Probability)> cells, int bins)
    {
        if (bins < 1) throw new ArgumentException($"bins must be at least 1, got {bins}.", nameof(bins));
        double width = 1.0 / bins;
        var edges = Enumerable.Range(0, bins + 1).Select(k => k * width).ToArray();
        edges[bins] = 1; // linspace ends exactly at the stop value
        var counts = new int[bins];
        var sums = new double[bins];
        var positives = new int[bins];
        foreach (var (truth, probability) in cells)
        {
            if (!(probability >= 0 && probability <= 1))
                throw new ArgumentException($"probability {probability} is outside [0, 1].", "probabilities");
            // searchsorted(edges[1:-1], p, side="left"): the inner edges strictly below p
            int bin = 0;
            while (bin < bins - 1 && edges[bin + 1] < probability) bin++;
            counts[bin]++;
            sums[bin] += probability;
            if (truth) positives[bin]++;
        }
        int total = counts.Sum(); // at least 1: callers reject empty input
        var result = new CalibrationBin[bins];
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            double meanPredicted = counts[b] == 0 ? double.NaN : sums[b] / counts[b];
            double observed = counts[b] == 0 ? double.NaN : positives[b] / (double)counts[b];
            if (counts[b] > 0) ece += counts[b] / (double)total * Math.Abs(observed - meanPredicted);
            result[b] = new CalibrationBin(edges[b], edges[b + 1], counts[b], meanPredicted, observed);
        }
        return new CalibrationCurve(result, ece);
    }

    private static ScoreSweep Sweep(IReadOnlyList<bool> truth, IReadOnlyList<double> scores)
    {
        CheckColumn(truth, scores);
        for (int i = 0; i < scores.Count; i++)
            if (double.IsNaN(scores[i])) throw new ArgumentException($"scores[{i}] is NaN.", nameof(scores));
        return ScoreSweep.Of(scores.ToArray(), truth.ToArray());
    }

    private static void CheckColumn(IReadOnlyList<bool> truth, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(scores);
        if (truth.Count != scores.Count) throw new ArgumentException($"{truth.Count} truth values but {scores.Count} scores.", nameof(scores));
        if (truth.Count == 0) throw new ArgumentException("The column is empty.", nameof(truth));
    }
}
