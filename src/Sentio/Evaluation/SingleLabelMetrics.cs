namespace Sentio.Evaluation;

/// <summary>Everything scikit-learn reports for a single-label (multi-class) prediction, for one split.</summary>
/// <param name="Accuracy">Share of texts whose predicted class is the true one.</param>
/// <param name="PerClass">Precision, recall and F1 of each class, in class order.</param>
/// <param name="Support">True count of each class.</param>
/// <param name="ConfusionMatrix">[true class, predicted class] counts, n × n.</param>
public sealed record SingleLabelReport(
    IReadOnlyList<string> ClassNames,
    double Accuracy,
    PrecisionRecallF1 Micro,
    PrecisionRecallF1 Macro,
    PrecisionRecallF1 Weighted,
    IReadOnlyList<PrecisionRecallF1> PerClass,
    IReadOnlyList<int> Support,
    int[,] ConfusionMatrix);

/// <summary>
/// Single-label metrics equal to scikit-learn 1.2.1's <c>accuracy_score</c>, <c>precision_recall_fscore_support</c>
/// (with <c>labels=range(n)</c>, so a class absent from truth and prediction still counts in the macro mean),
/// <c>confusion_matrix</c> and <c>classification_report</c>; tests compare with it to 1e-12. Inputs are class indices
/// of shape [samples], each in [0, classes).
/// <para>Zero division as <c>zero_division=0</c>: precision of a class never predicted, recall of a class never true,
/// and F1 when precision + recall = 0 are 0. Micro precision = micro recall = micro F1 = accuracy, since every text has
/// exactly one true and one predicted class.</para>
/// <para>Example, 3 classes, truth [0, 0, 1, 2], predicted [0, 1, 1, 1]: accuracy 2/4; class 0 P 1, R 1/2, F1 2/3;
/// class 1 P 1/3, R 1, F1 1/2; class 2 P 0 (never predicted), R 0, F1 0; macro F1 = (2/3 + 1/2 + 0) / 3 = 7/18;
/// weighted F1 = (2·2/3 + 1·1/2 + 1·0) / 4 = 11/24; confusion [[1,1,0],[0,1,0],[0,1,0]].</para>
/// </summary>
public static class SingleLabelMetrics
{
    /// <summary>The one place inputs are checked: equal lengths, at least one sample and one class, indices in range.</summary>
    /// <exception cref="ArgumentException">Lengths differ, an input is empty, or an index is outside [0, classes).</exception>
    private static void Check(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (classes < 1) throw new ArgumentException($"classes is {classes}; metrics need at least one class.", nameof(classes));
        if (truth.Count == 0) throw new ArgumentException("truth is empty; metrics need at least one sample.", nameof(truth));
        if (truth.Count != predicted.Count)
            throw new ArgumentException($"truth has {truth.Count} samples but predicted has {predicted.Count}.", nameof(predicted));
        for (int i = 0; i < truth.Count; i++)
            if ((uint)truth[i] >= (uint)classes || (uint)predicted[i] >= (uint)classes)
                throw new ArgumentException($"sample {i}: class {((uint)truth[i] >= (uint)classes ? truth[i] : predicted[i])} is outside 0..{classes - 1}.");
    }

    /// <summary>[true class, predicted class] counts, shape [classes, classes].</summary>
    public static int[,] ConfusionMatrix(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes)
    {
        Check(truth, predicted, classes);
        var matrix = new int[classes, classes];
        for (int i = 0; i < truth.Count; i++) matrix[truth[i], predicted[i]]++;
        return matrix;
    }

    /// <summary>Share of samples predicted correctly.</summary>
    public static double Accuracy(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes)
    {
        Check(truth, predicted, classes);
        int correct = 0;
        for (int i = 0; i < truth.Count; i++) if (truth[i] == predicted[i]) correct++;
        return (double)correct / truth.Count;
    }

    /// <summary>Per-class precision, recall and F1, in class order.</summary>
    public static PrecisionRecallF1[] PerClass(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes) =>
        PerClass(ConfusionMatrix(truth, predicted, classes));

    /// <summary>F1 (and precision, recall) combined by <paramref name="average"/>: micro, macro or weighted.</summary>
    /// <exception cref="ArgumentException"><see cref="Average.Samples"/>, which has no meaning for one label per sample.</exception>
    public static PrecisionRecallF1 Averaged(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes, Average average)
    {
        int[,] confusion = ConfusionMatrix(truth, predicted, classes);
        return Averaged(confusion, PerClass(confusion), average);
    }

    /// <summary>All of it at once: accuracy, micro / macro / weighted scores, the per-class report and the
    /// confusion matrix.</summary>
    public static SingleLabelReport Report(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, IReadOnlyList<string> classNames)
    {
        int[,] confusion = ConfusionMatrix(truth, predicted, classNames.Count);
        PrecisionRecallF1[] perClass = PerClass(confusion);
        return new SingleLabelReport(
            classNames,
            Accuracy(truth, predicted, classNames.Count),
            Averaged(confusion, perClass, Average.Micro),
            Averaged(confusion, perClass, Average.Macro),
            Averaged(confusion, perClass, Average.Weighted),
            perClass,
            Enumerable.Range(0, classNames.Count).Select(c => RowSum(confusion, c)).ToArray(),
            confusion);
    }

    /// <summary>The report of saved or fresh predictions: the true class is each one-hot truth row's 1, the predicted class
    /// the most probable (<see cref="ArgMax"/>).</summary>
    /// <exception cref="ArgumentException">A truth row without exactly one true label.</exception>
    public static SingleLabelReport Report(SplitPredictions predictions)
    {
        var truth = new int[predictions.Count];
        for (int i = 0; i < truth.Length; i++)
        {
            var trueColumns = Enumerable.Range(0, predictions.LabelNames.Count).Where(j => predictions.Truth[i, j]).ToArray();
            if (trueColumns.Length != 1)
                throw new ArgumentException($"text '{predictions.Ids[i]}' has {trueColumns.Length} true labels; single-label metrics need exactly one", nameof(predictions));
            truth[i] = trueColumns[0];
        }
        return Report(truth, ArgMax(predictions.Probabilities), predictions.LabelNames);
    }

    /// <summary>The most probable class of each row of <paramref name="probabilities"/> ([samples, classes] →
    /// [samples]); a tie goes to the lower index, as numpy's <c>argmax</c>.</summary>
    public static int[] ArgMax(double[,] probabilities)
    {
        var classes = new int[probabilities.GetLength(0)];
        for (int i = 0; i < classes.Length; i++)
            for (int c = 1; c < probabilities.GetLength(1); c++)
                if (probabilities[i, c] > probabilities[i, classes[i]]) classes[i] = c;
        return classes;
    }

    private static PrecisionRecallF1[] PerClass(int[,] confusion)
    {
        int classes = confusion.GetLength(0);
        var scores = new PrecisionRecallF1[classes];
        for (int c = 0; c < classes; c++)
        {
            int truePositives = confusion[c, c], support = RowSum(confusion, c), predictedCount = ColumnSum(confusion, c);
            scores[c] = Score(truePositives, predictedCount, support);
        }
        return scores;
    }

    private static PrecisionRecallF1 Averaged(int[,] confusion, PrecisionRecallF1[] perClass, Average average)
    {
        int classes = confusion.GetLength(0);
        switch (average)
        {
            case Average.Micro:
            {
                int truePositives = 0, total = 0;
                for (int c = 0; c < classes; c++) { truePositives += confusion[c, c]; total += RowSum(confusion, c); }
                return Score(truePositives, total, total);
            }
            case Average.Macro:
                return new PrecisionRecallF1(perClass.Average(s => s.Precision), perClass.Average(s => s.Recall), perClass.Average(s => s.F1));
            case Average.Weighted:
            {
                double[] weights = Enumerable.Range(0, classes).Select(c => (double)RowSum(confusion, c)).ToArray();
                double sum = weights.Sum();
                if (sum == 0) return new PrecisionRecallF1(0, 0, 0);
                double Weigh(Func<PrecisionRecallF1, double> part) => perClass.Select((s, c) => part(s) * weights[c]).Sum() / sum;
                return new PrecisionRecallF1(Weigh(s => s.Precision), Weigh(s => s.Recall), Weigh(s => s.F1));
            }
            default:
                throw new ArgumentException($"average {average} is not defined for single-label metrics; use Micro, Macro or Weighted.", nameof(average));
        }
    }

    private static PrecisionRecallF1 Score(int truePositives, int predicted, int support)
    {
        double precision = predicted == 0 ? 0 : (double)truePositives / predicted;
        double recall = support == 0 ? 0 : (double)truePositives / support;
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new PrecisionRecallF1(precision, recall, f1);
    }

    private static int RowSum(int[,] matrix, int row)
    {
        int sum = 0;
        for (int c = 0; c < matrix.GetLength(1); c++) sum += matrix[row, c];
        return sum;
    }

    private static int ColumnSum(int[,] matrix, int column)
    {
        int sum = 0;
        for (int r = 0; r < matrix.GetLength(0); r++) sum += matrix[r, column];
        return sum;
    }
}
