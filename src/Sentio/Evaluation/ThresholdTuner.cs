namespace Sentio.Evaluation;

/// <summary>
/// Chooses decision thresholds on validation data by an exact sweep. The decision rule everywhere is
/// "positive iff probability &gt;= threshold".
/// <para>Candidates are every distinct probability (threshold = that value: it and everything above it are
/// positive) and "predict none". Sorting once and keeping cumulative true/false positive counts scores all
/// candidates of a column in O(n log n). Among candidates with equal F1 the highest threshold wins (fewest
/// positive predictions); per-label and micro F1 are compared exactly as fractions, macro F1 as computed doubles.</para>
/// <para>The reported threshold is not the winning probability itself but the midpoint between it and the next
/// lower distinct probability (half of it when it is the lowest; for "predict none", the midpoint between the
/// highest probability and 1). It makes exactly the same decisions on the validation data, and a test
/// probability a hair away from a validation value is not decided by a coin flip.</para>
/// <para>A label with no positive in validation has F1 0 at every threshold; its per-label threshold falls back
/// to the global one and the label is listed in <see cref="ThresholdSet.FallbackLabels"/>.</para>
/// <para>Example, one label, probabilities (0.9, 0.8, 0.4, 0.3) with truth (1, 0, 1, 0), P = 2: threshold 0.9 →
/// tp 1 fp 0 F1 2/3; 0.8 → tp 1 fp 1 F1 1/2; 0.4 → tp 2 fp 1 F1 4/5; 0.3 → tp 2 fp 2 F1 2/3; best is 0.4,
/// reported as (0.4 + 0.3) / 2 = 0.35.</para>
/// </summary>
public static class ThresholdTuner
{
    /// <summary>Tunes the global threshold for <paramref name="objective"/> and each label's threshold for that
    /// label's F1, measures both on the validation data, and puts the per-label strategy in use if it scores
    /// strictly higher on the objective, else the global one (change it with
    /// <see cref="ThresholdSet.WithStrategy"/>).</summary>
    /// <param name="probabilities">Validation probabilities in [0, 1], [samples, labels].</param>
    /// <param name="truth">Validation truth, [samples, labels].</param>
    /// <param name="labelNames">[labels], in column order.</param>
    /// <exception cref="ArgumentException">Shapes differ, names do not match the columns, or a probability is
    /// NaN or outside [0, 1].</exception>
    public static ThresholdSet Tune(double[,] probabilities, bool[,] truth, IReadOnlyList<string> labelNames,
        ThresholdObjective objective = ThresholdObjective.MicroF1)
    {
        MultiLabelMetrics.CheckShapes(truth, probabilities, nameof(probabilities));
        MultiLabelMetrics.CheckLabelNames(labelNames, truth.GetLength(1));
        for (int i = 0; i < probabilities.GetLength(0); i++)
            for (int j = 0; j < probabilities.GetLength(1); j++)
                if (!(probabilities[i, j] >= 0 && probabilities[i, j] <= 1))
                    throw new ArgumentException($"probabilities[{i}, {j}] = {probabilities[i, j]} is not in [0, 1].", nameof(probabilities));

        double global = objective == ThresholdObjective.MicroF1 ? BestMicroThreshold(probabilities, truth) : BestMacroThreshold(probabilities, truth);
        var sweeps = MultiLabelMetrics.Sweeps(truth, probabilities);
        var perLabel = new double[sweeps.Length];
        var fallback = new List<string>();
        for (int j = 0; j < sweeps.Length; j++)
        {
            if (sweeps[j].Positives == 0)
            {
                perLabel[j] = global;
                fallback.Add(labelNames[j]);
            }
            else
            {
                perLabel[j] = BestF1Threshold(sweeps[j]);
            }
        }

        var average = objective == ThresholdObjective.MicroF1 ? Average.Micro : Average.Macro;
        double globalF1 = MultiLabelMetrics.F1(truth, ThresholdSet.ApplyThresholds(probabilities, perLabel.Select(_ => global).ToArray()), average);
        double perLabelF1 = MultiLabelMetrics.F1(truth, ThresholdSet.ApplyThresholds(probabilities, perLabel), average);
        var strategy = perLabelF1 > globalF1 ? ThresholdStrategy.PerLabel : ThresholdStrategy.Global;
        return new ThresholdSet(strategy, objective, global, labelNames, perLabel, fallback, globalF1, perLabelF1);
    }

    /// <summary>The threshold maximizing one column's F1 = 2·tp / (tp + fp + positives).</summary>
    internal static double BestF1Threshold(ScoreSweep sweep)
    {
        long bestNumerator = 0, bestDenominator = 1; // "predict none": F1 0
        int best = -1;
        for (int k = 0; k < sweep.Values.Length; k++)
        {
            long numerator = 2L * sweep.TruePositives[k];
            long denominator = (long)sweep.TruePositives[k] + sweep.FalsePositives[k] + sweep.Positives;
            if (numerator * bestDenominator > bestNumerator * denominator)
            {
                (bestNumerator, bestDenominator, best) = (numerator, denominator, k);
            }
        }
        return ReportedThreshold(sweep.Values, best);
    }

    /// <summary>Micro F1 pools every cell, so it is one column's F1 over the flattened matrix.</summary>
    private static double BestMicroThreshold(double[,] probabilities, bool[,] truth)
    {
        var scores = new double[probabilities.Length];
        var labels = new bool[probabilities.Length];
        int columns = probabilities.GetLength(1);
        for (int i = 0; i < probabilities.GetLength(0); i++)
            for (int j = 0; j < columns; j++)
            {
                scores[i * columns + j] = probabilities[i, j];
                labels[i * columns + j] = truth[i, j];
            }
        return BestF1Threshold(ScoreSweep.Of(scores, labels));
    }

    /// <summary>Macro F1 at every distinct probability of the matrix: cells are visited highest first while each
    /// label's counts are kept; after each group of tied values the mean of the label F1s is taken afresh, in
    /// label order, so it equals <see cref="MultiLabelMetrics.F1"/> with <see cref="Average.Macro"/> exactly.
    /// O(n·L·log(n·L) + distinct values · L).</summary>
    private static double BestMacroThreshold(double[,] probabilities, bool[,] truth)
    {
        int samples = probabilities.GetLength(0), labels = probabilities.GetLength(1);
        var keys = new double[samples * labels];
        var cells = new int[samples * labels];
        var positives = new int[labels];
        for (int i = 0; i < samples; i++)
            for (int j = 0; j < labels; j++)
            {
                keys[i * labels + j] = probabilities[i, j];
                cells[i * labels + j] = i * labels + j;
                if (truth[i, j]) positives[j]++;
            }
        Array.Sort(keys, cells);
        var truePositives = new int[labels];
        var falsePositives = new int[labels];
        var values = new List<double>();
        double bestF1 = 0; // "predict none"
        int best = -1;
        for (int n = keys.Length - 1; n >= 0; n--)
        {
            int i = cells[n] / labels, j = cells[n] % labels;
            if (truth[i, j]) truePositives[j]++; else falsePositives[j]++;
            if (n > 0 && keys[n - 1] == keys[n]) continue;
            values.Add(keys[n]);
            double sum = 0;
            for (int label = 0; label < labels; label++)
                sum += MultiLabelMetrics.FromCounts(truePositives[label], truePositives[label] + falsePositives[label], positives[label]).F1;
            double macro = sum / labels;
            if (macro > bestF1) (bestF1, best) = (macro, values.Count - 1);
        }
        return ReportedThreshold(values.ToArray(), best);
    }

    /// <summary>The threshold reported for candidate <paramref name="index"/> of the distinct values sorted
    /// descending (-1 = "predict none"); it always lies in (next lower value, chosen value] and in [0, 1].</summary>
    internal static double ReportedThreshold(IReadOnlyList<double> valuesDescending, int index)
    {
        if (index == -1)
        {
            double above = (valuesDescending[0] + 1.0) / 2.0;
            return above > valuesDescending[0] ? above : 1.0; // when the highest is 1, nothing can be excluded
        }
        double chosen = valuesDescending[index];
        if (index == valuesDescending.Count - 1) return chosen / 2.0;
        double midpoint = (chosen + valuesDescending[index + 1]) / 2.0;
        return midpoint > valuesDescending[index + 1] ? midpoint : chosen; // adjacent doubles have no midpoint
    }
}
