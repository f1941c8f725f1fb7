namespace Sentio.Evaluation;

/// <summary>How per-label scores are combined into one number (scikit-learn's <c>average=</c>).</summary>
public enum Average
{
    /// <summary>Pool the counts of every label, then divide once.</summary>
    Micro,

    /// <summary>Plain mean of the per-label scores; every label counts, including labels with no true and no
    /// predicted samples, whose score is 0 (scikit-learn 1.2 does the same).</summary>
    Macro,

    /// <summary>Mean of the per-label scores weighted by support (true count); 0 when no label has support.</summary>
    Weighted,

    /// <summary>Score each sample over its labels, then take the mean over samples.</summary>
    Samples,
}

/// <summary>A label's binary confusion counts: scikit-learn's <c>multilabel_confusion_matrix</c> row
/// <c>[[tn, fp], [fn, tp]]</c>.</summary>
public readonly record struct LabelConfusion(int TrueNegatives, int FalsePositives, int FalseNegatives, int TruePositives)
{
    /// <summary>Samples that truly have the label.</summary>
    public int Support => TruePositives + FalseNegatives;

    /// <summary>Samples predicted to have the label.</summary>
    public int Predicted => TruePositives + FalsePositives;
}

/// <summary>Precision, recall and F1 of one label or one average.</summary>
public readonly record struct PrecisionRecallF1(double Precision, double Recall, double F1);

/// <summary>
/// Multi-label metrics equal to scikit-learn 1.2.1's (tests compare with it to 1e-9). Inputs are matrices of
/// shape [samples, labels]: <c>truth</c> and <c>predicted</c> as bool, <c>scores</c> as probabilities (any
/// finite number works; only their order matters).
/// <para>Zero division follows scikit-learn's <c>zero_division=0</c>: precision of a label never predicted,
/// recall of a label never true, and F1 when precision + recall = 0 are 0, and those zeros are averaged like any
/// other score (<see cref="MetricsReport.LabelsNeverPredicted"/> and <see cref="MetricsReport.LabelsWithoutSupport"/>
/// name the labels affected). F1 = 2·P·R / (P + R).</para>
/// <para>Example, 2 samples × 2 labels, truth [[1,0],[1,1]], predicted [[1,1],[0,1]]: label 0 has tp 1, fn 1
/// (P 1, R 0.5, F1 2/3); label 1 has tp 1, fp 1 (P 0.5, R 1, F1 2/3); micro pools tp 2, fp 1, fn 1 → F1 2/3;
/// hamming loss = 2 wrong cells / 4 = 0.5; subset accuracy 0; hamming score = mean(1/2, 1/2) = 0.5.</para>
/// </summary>
public static class MultiLabelMetrics
{
    /// <summary>The one place shapes are checked: both matrices [samples, labels] with the same shape and at
    /// least one sample and one label.</summary>
    /// <exception cref="ArgumentException">The shapes differ or a dimension is 0.</exception>
    internal static void CheckShapes<T>(bool[,] truth, T[,] other, string otherName)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(other, otherName);
        if (truth.GetLength(0) == 0 || truth.GetLength(1) == 0)
            throw new ArgumentException($"truth has shape [{truth.GetLength(0)}, {truth.GetLength(1)}]; metrics need at least one sample and one label.", nameof(truth));
        if (truth.GetLength(0) != other.GetLength(0) || truth.GetLength(1) != other.GetLength(1))
            throw new ArgumentException(
                $"truth has shape [{truth.GetLength(0)}, {truth.GetLength(1)}] but {otherName} has shape [{other.GetLength(0)}, {other.GetLength(1)}]; both must be [samples, labels].",
                otherName);
    }

    /// <summary>Per-label confusion counts. [samples, labels] ×2 → [labels].</summary>
    /// <exception cref="ArgumentException">Shapes differ.</exception>
    public static LabelConfusion[] ConfusionMatrices(bool[,] truth, bool[,] predicted)
    {
        CheckShapes(truth, predicted, nameof(predicted));
        int samples = truth.GetLength(0), labels = truth.GetLength(1);
        var result = new LabelConfusion[labels];
        for (int j = 0; j < labels; j++)
        {
            int tn = 0, fp = 0, fn = 0, tp = 0;
            for (int i = 0; i < samples; i++)
            {
                if (truth[i, j]) { if (predicted[i, j]) tp++; else fn++; }
                else if (predicted[i, j]) fp++;
                else tn++;
            }
            result[j] = new LabelConfusion(tn, fp, fn, tp);
        }
        return result;
    }

    /// <summary>Precision, recall and F1 of each label (scikit-learn <c>average=None</c>). → [labels].</summary>
    public static PrecisionRecallF1[] ScoresPerLabel(bool[,] truth, bool[,] predicted) =>
        ConfusionMatrices(truth, predicted).Select(c => FromCounts(c.TruePositives, c.Predicted, c.Support)).ToArray();

    /// <summary>Precision, recall and F1 combined by <paramref name="average"/>.</summary>
    /// <exception cref="ArgumentException">Shapes differ.</exception>
    public static PrecisionRecallF1 Scores(bool[,] truth, bool[,] predicted, Average average)
    {
        if (average == Average.Samples) return SampleScores(truth, predicted);
        var confusions = ConfusionMatrices(truth, predicted);
        switch (average)
        {
            case Average.Micro:
                return FromCounts(confusions.Sum(c => c.TruePositives), confusions.Sum(c => c.Predicted), confusions.Sum(c => c.Support));
            case Average.Macro:
            case Average.Weighted:
                var perLabel = confusions.Select(c => FromCounts(c.TruePositives, c.Predicted, c.Support)).ToArray();
                double[] weights = average == Average.Macro
                    ? perLabel.Select(_ => 1.0).ToArray()
                    : confusions.Select(c => (double)c.Support).ToArray();
                double totalWeight = weights.Sum();
                if (totalWeight == 0) return new PrecisionRecallF1(0, 0, 0); // no label has support (zero_division=0)
                double WeightedMean(Func<PrecisionRecallF1, double> score) =>
                    perLabel.Select((s, j) => score(s) * weights[j]).Sum() / totalWeight;
                return new PrecisionRecallF1(WeightedMean(s => s.Precision), WeightedMean(s => s.Recall), WeightedMean(s => s.F1));
            default:
                throw new ArgumentOutOfRangeException(nameof(average), average, null);
        }
    }

    public static double Precision(bool[,] truth, bool[,] predicted, Average average) => Scores(truth, predicted, average).Precision;
    public static double Recall(bool[,] truth, bool[,] predicted, Average average) => Scores(truth, predicted, average).Recall;
    public static double F1(bool[,] truth, bool[,] predicted, Average average) => Scores(truth, predicted, average).F1;

    /// <summary>Per-label precision. → [labels].</summary>
    public static double[] PrecisionPerLabel(bool[,] truth, bool[,] predicted) => ScoresPerLabel(truth, predicted).Select(s => s.Precision).ToArray();

    /// <summary>Per-label recall. → [labels].</summary>
    public static double[] RecallPerLabel(bool[,] truth, bool[,] predicted) => ScoresPerLabel(truth, predicted).Select(s => s.Recall).ToArray();

    /// <summary>Per-label F1. → [labels].</summary>
    public static double[] F1PerLabel(bool[,] truth, bool[,] predicted) => ScoresPerLabel(truth, predicted).Select(s => s.F1).ToArray();

    /// <summary>Fraction of (sample, label) cells predicted wrongly; lower is better.</summary>
    public static double HammingLoss(bool[,] truth, bool[,] predicted)
    {
        CheckShapes(truth, predicted, nameof(predicted));
        int wrong = 0;
        for (int i = 0; i < truth.GetLength(0); i++)
            for (int j = 0; j < truth.GetLength(1); j++)
                if (truth[i, j] != predicted[i, j]) wrong++;
        return (double)wrong / truth.Length;
    }

    /// <summary>Mean over samples of |T∩P| / |T∪P| (per-sample Jaccard); a sample with no true and no predicted
    /// label scores 1. Equals scikit-learn <c>jaccard_score(average="samples", zero_division=1)</c>.</summary>
    public static double HammingScore(bool[,] truth, bool[,] predicted)
    {
        CheckShapes(truth, predicted, nameof(predicted));
        int samples = truth.GetLength(0), labels = truth.GetLength(1);
        double sum = 0;
        for (int i = 0; i < samples; i++)
        {
            int intersection = 0, union = 0;
            for (int j = 0; j < labels; j++)
            {
                if (truth[i, j] && predicted[i, j]) intersection++;
                if (truth[i, j] || predicted[i, j]) union++;
            }
            sum += union == 0 ? 1.0 : (double)intersection / union;
        }
        return sum / samples;
    }

    /// <summary>Fraction of samples whose predicted label set equals the true one exactly.</summary>
    public static double SubsetAccuracy(bool[,] truth, bool[,] predicted)
    {
        CheckShapes(truth, predicted, nameof(predicted));
        int samples = truth.GetLength(0), labels = truth.GetLength(1), exact = 0;
        for (int i = 0; i < samples; i++)
        {
            bool same = true;
            for (int j = 0; j < labels && same; j++) same = truth[i, j] == predicted[i, j];
            if (same) exact++;
        }
        return (double)exact / samples;
    }

    /// <summary>scikit-learn's <c>classification_report(output_dict=True, zero_division=0)</c>: one row per
    /// label and the micro, macro, weighted and samples averages; an average row's support is the total
    /// support.</summary>
    /// <param name="labelNames">One name per column of <paramref name="truth"/>.</param>
    public static ClassificationReport ClassificationReport(bool[,] truth, bool[,] predicted, IReadOnlyList<string> labelNames)
    {
        var confusions = ConfusionMatrices(truth, predicted);
        CheckLabelNames(labelNames, confusions.Length);
        var rows = confusions.Select((c, j) =>
        {
            var s = FromCounts(c.TruePositives, c.Predicted, c.Support);
            return new ScoreRow(labelNames[j], s.Precision, s.Recall, s.F1, c.Support);
        }).ToArray();
        int totalSupport = confusions.Sum(c => c.Support);
        ScoreRow Row(string name, Average average)
        {
            var s = Scores(truth, predicted, average);
            return new ScoreRow(name, s.Precision, s.Recall, s.F1, totalSupport);
        }
        return new ClassificationReport(rows, Row("micro avg", Average.Micro), Row("macro avg", Average.Macro),
            Row("weighted avg", Average.Weighted), Row("samples avg", Average.Samples));
    }

    /// <summary>Area under the ROC curve of each label: the ROC points are taken at each distinct score (tied
    /// scores move the curve diagonally) and joined by trapezoids, as scikit-learn's <c>roc_auc_score</c> on one
    /// column. A label whose column holds one class only has no ROC curve: its value is NaN (scikit-learn
    /// raises). [samples, labels] → [labels].</summary>
    /// <exception cref="ArgumentException">Shapes differ or a score is NaN.</exception>
    public static double[] RocAucPerLabel(bool[,] truth, double[,] scores) =>
        Sweeps(truth, scores).Select(RocAuc).ToArray();

    /// <summary>Mean ROC-AUC over the labels where it is defined (both classes present); NaN if none is.
    /// scikit-learn's macro <c>roc_auc_score</c> raises instead when any label is undefined.</summary>
    public static double MacroRocAuc(bool[,] truth, double[,] scores) => MeanOfDefined(RocAucPerLabel(truth, scores));

    /// <summary>Average precision of each label, scikit-learn's <c>average_precision_score</c>: Σ (Rₖ − Rₖ₋₁)·Pₖ
    /// over the distinct scores taken as thresholds, highest first (step-wise, no interpolation). A label with no
    /// positive sample gets 0, which is what scikit-learn 1.2.1 returns there (it sets recall to 1 everywhere and
    /// warns). [samples, labels] → [labels].</summary>
    /// <exception cref="ArgumentException">Shapes differ or a score is NaN.</exception>
    public static double[] AveragePrecisionPerLabel(bool[,] truth, double[,] scores) =>
        Sweeps(truth, scores).Select(AveragePrecision).ToArray();

    /// <summary>Plain mean of <see cref="AveragePrecisionPerLabel"/> over all labels (labels without positives
    /// count as 0, as in scikit-learn 1.2.1's macro average).</summary>
    public static double MacroAveragePrecision(bool[,] truth, double[,] scores) => AveragePrecisionPerLabel(truth, scores).Average();

    /// <summary>Precision, recall and F1 from counts with the zero_division=0 rule, computed as scikit-learn does
    /// (F1 from P and R) so that averages match it bit for bit as far as possible.</summary>
    internal static PrecisionRecallF1 FromCounts(int truePositives, int predicted, int support)
    {
        double precision = predicted == 0 ? 0 : (double)truePositives / predicted;
        double recall = support == 0 ? 0 : (double)truePositives / support;
        double denominator = precision + recall;
        double f1 = denominator == 0 ? 0 : 2 * precision * recall / denominator;
        return new PrecisionRecallF1(precision, recall, f1);
    }

    internal static void CheckLabelNames(IReadOnlyList<string> labelNames, int labels)
    {
        ArgumentNullException.ThrowIfNull(labelNames);
        if (labelNames.Count != labels)
            throw new ArgumentException($"{labelNames.Count} label names given for {labels} label columns.", nameof(labelNames));
    }

    internal static double MeanOfDefined(IEnumerable<double> values)
    {
        var defined = values.Where(v => !double.IsNaN(v)).ToArray();
        return defined.Length == 0 ? double.NaN : defined.Average();
    }

    internal static double RocAuc(ScoreSweep sweep)
    {
        if (sweep.Positives == 0 || sweep.Negatives == 0) return double.NaN;
        // Twice the area in count units: Σ Δfp · (tpₖ + tpₖ₋₁), exact in integers, divided once at the end.
        long twiceArea = 0;
        int previousTp = 0, previousFp = 0;
        for (int k = 0; k < sweep.Values.Length; k++)
        {
            twiceArea += (long)(sweep.FalsePositives[k] - previousFp) * (sweep.TruePositives[k] + previousTp);
            previousTp = sweep.TruePositives[k];
            previousFp = sweep.FalsePositives[k];
        }
        return twiceArea / (2.0 * sweep.Positives * sweep.Negatives);
    }

    internal static double AveragePrecision(ScoreSweep sweep)
    {
        if (sweep.Positives == 0) return 0;
        double sum = 0, previousRecall = 0;
        for (int k = 0; k < sweep.Values.Length; k++)
        {
            double recall = (double)sweep.TruePositives[k] / sweep.Positives;
            double precision = (double)sweep.TruePositives[k] / (sweep.TruePositives[k] + sweep.FalsePositives[k]);
            sum += (recall - previousRecall) * precision;
            previousRecall = recall;
        }
        return sum;
    }

    /// <summary>One sorted sweep per label column. [samples, labels] → [labels].</summary>
    internal static ScoreSweep[] Sweeps(bool[,] truth, double[,] scores)
    {
        CheckShapes(truth, scores, nameof(scores));
        int samples = truth.GetLength(0), labels = truth.GetLength(1);
        var sweeps = new ScoreSweep[labels];
        for (int j = 0; j < labels; j++)
        {
            var column = new double[samples];
            var columnTruth = new bool[samples];
            for (int i = 0; i < samples; i++)
            {
                if (double.IsNaN(scores[i, j])) throw new ArgumentException($"scores[{i}, {j}] is NaN.", nameof(scores));
                column[i] = scores[i, j];
                columnTruth[i] = truth[i, j];
            }
            sweeps[j] = ScoreSweep.Of(column, columnTruth);
        }
        return sweeps;
    }

    private static PrecisionRecallF1 SampleScores(bool[,] truth, bool[,] predicted)
    {
        CheckShapes(truth, predicted, nameof(predicted));
        int samples = truth.GetLength(0), labels = truth.GetLength(1);
        double precision = 0, recall = 0, f1 = 0;
        for (int i = 0; i < samples; i++)
        {
            int tp = 0, predictedCount = 0, support = 0;
            for (int j = 0; j < labels; j++)
            {
                if (truth[i, j]) support++;
                if (predicted[i, j]) predictedCount++;
                if (truth[i, j] && predicted[i, j]) tp++;
            }
            var s = FromCounts(tp, predictedCount, support);
            precision += s.Precision;
            recall += s.Recall;
            f1 += s.F1;
        }
        return new PrecisionRecallF1(precision / samples, recall / samples, f1 / samples);
    }
}
