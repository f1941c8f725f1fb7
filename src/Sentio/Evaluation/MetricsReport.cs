using System.Globalization;
using System.Text;
using System.Text.Json;
using Sentio.IO;

namespace Sentio.Evaluation;

/// <summary>Every metric of one label at its decision threshold.</summary>
/// <param name="RocAuc">NaN when the label's truth column holds one class only.</param>
/// <param name="AveragePrecision">0 when the label has no positive sample (scikit-learn 1.2.1's value).</param>
public sealed record LabelMetrics(
    string Label, double Threshold, int Support, int Tp, int Fp, int Fn, int Tn,
    double Precision, double Recall, double F1, double RocAuc, double AveragePrecision);

/// <summary>
/// An evaluation computed in one call: predictions come from the probabilities and thresholds, then every
/// metric of <see cref="MultiLabelMetrics"/> is taken. Serializes (<see cref="ToJson"/>, <see cref="Save"/>)
/// with snake_case names; NaN is written as "NaN".
/// </summary>
public sealed record MetricsReport
{
    public required int Samples { get; init; }
    public required ScoreRow MicroAvg { get; init; }
    public required ScoreRow MacroAvg { get; init; }
    public required ScoreRow WeightedAvg { get; init; }
    public required ScoreRow SamplesAvg { get; init; }
    public required double HammingLoss { get; init; }
    public required double HammingScore { get; init; }
    public required double SubsetAccuracy { get; init; }

    /// <summary>Mean ROC-AUC over labels where it is defined (see <see cref="RocAucUndefinedLabels"/>); NaN if none is.</summary>
    public required double MacroRocAuc { get; init; }

    /// <summary>Mean average precision over all labels.</summary>
    public required double MacroAveragePrecision { get; init; }

    /// <summary>Labels left out of <see cref="MacroRocAuc"/>: their truth column holds one class only.</summary>
    public required IReadOnlyList<string> RocAucUndefinedLabels { get; init; }

    /// <summary>Labels never predicted: their precision is 0 by the zero-division rule.</summary>
    public required IReadOnlyList<string> LabelsNeverPredicted { get; init; }

    /// <summary>Labels never true: their recall is 0 by the zero-division rule.</summary>
    public required IReadOnlyList<string> LabelsWithoutSupport { get; init; }

    /// <summary>[labels], in column order.</summary>
    public required IReadOnlyList<LabelMetrics> PerLabel { get; init; }

    /// <summary>Evaluates with the thresholds <paramref name="thresholds"/> uses for each of
    /// <paramref name="labelNames"/>.</summary>
    /// <param name="truth">[samples, labels].</param>
    /// <param name="probabilities">[samples, labels], columns in <paramref name="labelNames"/> order.</param>
    /// <exception cref="ArgumentException">Shapes or name counts differ, or a probability is NaN.</exception>
    /// <exception cref="SentioException"><paramref name="thresholds"/> has no threshold for a label.</exception>
    public static MetricsReport Compute(bool[,] truth, double[,] probabilities, ThresholdSet thresholds, IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        return Compute(truth, probabilities, thresholds.ThresholdsFor(labelNames), labelNames);
    }

    /// <summary>Evaluates with one threshold per label. <paramref name="thresholds"/>: [labels].</summary>
    public static MetricsReport Compute(bool[,] truth, double[,] probabilities, IReadOnlyList<double> thresholds, IReadOnlyList<string> labelNames)
    {
        MultiLabelMetrics.CheckShapes(truth, probabilities, nameof(probabilities));
        MultiLabelMetrics.CheckLabelNames(labelNames, truth.GetLength(1));
        var predicted = ThresholdSet.ApplyThresholds(probabilities, thresholds);
        var report = MultiLabelMetrics.ClassificationReport(truth, predicted, labelNames);
        var confusions = MultiLabelMetrics.ConfusionMatrices(truth, predicted);
        var sweeps = MultiLabelMetrics.Sweeps(truth, probabilities);
        var rocAuc = sweeps.Select(MultiLabelMetrics.RocAuc).ToArray();
        var averagePrecision = sweeps.Select(MultiLabelMetrics.AveragePrecision).ToArray();
        var perLabel = labelNames.Select((name, j) => new LabelMetrics(
            name, thresholds[j], confusions[j].Support,
            confusions[j].TruePositives, confusions[j].FalsePositives, confusions[j].FalseNegatives, confusions[j].TrueNegatives,
            report.Labels[j].Precision, report.Labels[j].Recall, report.Labels[j].F1, rocAuc[j], averagePrecision[j])).ToArray();
        return new MetricsReport
        {
            Samples = truth.GetLength(0),
            MicroAvg = report.MicroAvg,
            MacroAvg = report.MacroAvg,
            WeightedAvg = report.WeightedAvg,
            SamplesAvg = report.SamplesAvg,
            HammingLoss = MultiLabelMetrics.HammingLoss(truth, predicted),
            HammingScore = MultiLabelMetrics.HammingScore(truth, predicted),
            SubsetAccuracy = MultiLabelMetrics.SubsetAccuracy(truth, predicted),
            MacroRocAuc = MultiLabelMetrics.MeanOfDefined(rocAuc),
            MacroAveragePrecision = averagePrecision.Average(),
            RocAucUndefinedLabels = perLabel.Where(l => double.IsNaN(l.RocAuc)).Select(l => l.Label).ToArray(),
            LabelsNeverPredicted = perLabel.Where(l => l.Tp + l.Fp == 0).Select(l => l.Label).ToArray(),
            LabelsWithoutSupport = perLabel.Where(l => l.Support == 0).Select(l => l.Label).ToArray(),
            PerLabel = perLabel,
        };
    }

    /// <summary>The report as indented JSON with snake_case names.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AtomicFile.Json);

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.WriteJson(path, this);

    /// <summary>A fixed-width text table for the terminal: one row per label, then the averages and the
    /// sample-level scores, then notes on zero-division and undefined ROC-AUC.</summary>
    public string ToTable()
    {
        int nameWidth = Math.Max(12, PerLabel.Max(l => l.Label.Length));
        var text = new StringBuilder();
        string header = $"{"label".PadRight(nameWidth)}  {"thresh",6}  {"prec",6}  {"recall",6}  {"f1",6}  {"roc_auc",7}  {"avg_prec",8}  {"support",7}  {"tp",6}  {"fp",6}  {"fn",6}  {"tn",6}";
        text.AppendLine(header);
        text.AppendLine(new string('-', header.Length));
        foreach (var l in PerLabel)
            text.AppendLine($"{l.Label.PadRight(nameWidth)}  {F(l.Threshold),6}  {F(l.Precision),6}  {F(l.Recall),6}  {F(l.F1),6}  {F(l.RocAuc),7}  {F(l.AveragePrecision),8}  {l.Support,7}  {l.Tp,6}  {l.Fp,6}  {l.Fn,6}  {l.Tn,6}");
        text.AppendLine(new string('-', header.Length));
        foreach (var row in new[] { MicroAvg, MacroAvg, WeightedAvg, SamplesAvg })
            text.AppendLine($"{row.Name.PadRight(nameWidth)}  {"",6}  {F(row.Precision),6}  {F(row.Recall),6}  {F(row.F1),6}  {"",7}  {"",8}  {row.Support,7}");
        text.AppendLine();
        text.AppendLine($"samples {Samples}   hamming loss {F(HammingLoss)}   hamming score {F(HammingScore)}   subset accuracy {F(SubsetAccuracy)}");
        text.AppendLine($"macro roc_auc {F(MacroRocAuc)}   macro average precision {F(MacroAveragePrecision)}");
        if (RocAucUndefinedLabels.Count > 0)
            text.AppendLine($"roc_auc undefined (one class only), left out of the macro mean: {string.Join(", ", RocAucUndefinedLabels)}");
        if (LabelsNeverPredicted.Count > 0)
            text.AppendLine($"never predicted (precision set to 0): {string.Join(", ", LabelsNeverPredicted)}");
        if (LabelsWithoutSupport.Count > 0)
            text.AppendLine($"no true samples (recall set to 0): {string.Join(", ", LabelsWithoutSupport)}");
        return text.ToString();
    }

    private static string F(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.0000", CultureInfo.InvariantCulture);
}
