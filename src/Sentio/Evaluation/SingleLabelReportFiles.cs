using System.Globalization;
using System.Text;
using Sentio.IO;

namespace Sentio.Evaluation;

/// <summary>A single-label run's <c>metrics/{split}.json</c> and <c>.txt</c>: the <see cref="SingleLabelReport"/> as
/// snake_case JSON (the averages under the same <c>micro_avg</c> / <c>macro_avg</c> / <c>weighted_avg</c> keys as a
/// multi-label report, so <c>compare</c> reads both) and as a text table in the layout of scikit-learn's
/// <c>classification_report</c> followed by the confusion matrix.</summary>
public static class SingleLabelReportFiles
{
    /// <summary>The problem type a single-label metrics file names, so a reader tells the two kinds apart.</summary>
    public const string ProblemType = "single_label_classification";

    private sealed record Document(
        string ProblemType,
        int Samples,
        double Accuracy,
        ScoreRow MicroAvg,
        ScoreRow MacroAvg,
        ScoreRow WeightedAvg,
        IReadOnlyList<ScoreRow> PerClass,
        IReadOnlyList<string> ConfusionMatrixLabels,
        int[][] ConfusionMatrix,
        IReadOnlyList<string> ClassesNeverPredicted,
        IReadOnlyList<string> ClassesWithoutSupport);

    /// <summary>Writes the report as JSON to <paramref name="path"/>, atomically. The confusion matrix is
    /// <c>confusion_matrix[true][predicted]</c> in <c>confusion_matrix_labels</c> order.</summary>
    public static void Save(SingleLabelReport report, string path) => AtomicFile.WriteJson(path, ToDocument(report));

    /// <summary>The per-class table (precision, recall, F1, support), accuracy and the averages, then the confusion
    /// matrix with true classes as rows, then notes on zero division.</summary>
    public static string ToTable(SingleLabelReport report)
    {
        var names = report.ClassNames;
        int samples = report.Support.Sum();
        int width = Math.Max(12, names.Max(n => n.Length));
        var text = new StringBuilder();
        text.AppendLine($"{"".PadRight(width)}  {"precision",9}  {"recall",9}  {"f1-score",9}  {"support",9}");
        text.AppendLine();
        for (int c = 0; c < names.Count; c++)
            text.AppendLine($"{names[c].PadLeft(width)}  {F(report.PerClass[c].Precision),9}  {F(report.PerClass[c].Recall),9}  {F(report.PerClass[c].F1),9}  {report.Support[c],9}");
        text.AppendLine();
        text.AppendLine($"{"accuracy".PadLeft(width)}  {"",9}  {"",9}  {F(report.Accuracy),9}  {samples,9}");
        foreach (var (name, row) in new[] { ("macro avg", report.Macro), ("weighted avg", report.Weighted), ("micro avg", report.Micro) })
            text.AppendLine($"{name.PadLeft(width)}  {F(row.Precision),9}  {F(row.Recall),9}  {F(row.F1),9}  {samples,9}");
        text.AppendLine();
        text.AppendLine("confusion matrix (rows: true class, columns: predicted class)");
        int cell = Math.Max(6, names.Max(n => n.Length));
        text.AppendLine("".PadRight(width) + string.Concat(names.Select(n => "  " + n.PadLeft(cell))));
        for (int t = 0; t < names.Count; t++)
            text.AppendLine(names[t].PadLeft(width) + string.Concat(Enumerable.Range(0, names.Count).Select(p => "  " + report.ConfusionMatrix[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(cell))));
        var document = ToDocument(report);
        if (document.ClassesNeverPredicted.Count > 0)
            text.AppendLine().AppendLine($"never predicted (precision set to 0): {string.Join(", ", document.ClassesNeverPredicted)}");
        if (document.ClassesWithoutSupport.Count > 0)
            text.AppendLine($"no true samples (recall set to 0): {string.Join(", ", document.ClassesWithoutSupport)}");
        return text.ToString();
    }

    private static Document ToDocument(SingleLabelReport report)
    {
        var names = report.ClassNames;
        int samples = report.Support.Sum();
        int classes = names.Count;
        int Predicted(int c) => Enumerable.Range(0, classes).Sum(t => report.ConfusionMatrix[t, c]);
        ScoreRow Row(string name, PrecisionRecallF1 s, int support) => new(name, s.Precision, s.Recall, s.F1, support);
        return new Document(
            ProblemType, samples, report.Accuracy,
            Row("micro avg", report.Micro, samples), Row("macro avg", report.Macro, samples), Row("weighted avg", report.Weighted, samples),
            names.Select((n, c) => Row(n, report.PerClass[c], report.Support[c])).ToArray(),
            names,
            Enumerable.Range(0, classes).Select(t => Enumerable.Range(0, classes).Select(p => report.ConfusionMatrix[t, p]).ToArray()).ToArray(),
            names.Where((_, c) => Predicted(c) == 0).ToArray(),
            names.Where((_, c) => report.Support[c] == 0).ToArray());
    }

    private static string F(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
