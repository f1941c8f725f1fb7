namespace Sentio.Evaluation;

/// <summary>One row of a classification report: a label, or an average over labels.</summary>
/// <param name="Name">The label name, or "micro avg", "macro avg", "weighted avg", "samples avg".</param>
/// <param name="Support">Samples truly having the label; for an average row, the total over labels.</param>
public sealed record ScoreRow(string Name, double Precision, double Recall, double F1, int Support);

/// <summary>scikit-learn's <c>classification_report(output_dict=True)</c> for multi-label data.</summary>
/// <param name="Labels">One row per label, in column order.</param>
public sealed record ClassificationReport(
    IReadOnlyList<ScoreRow> Labels, ScoreRow MicroAvg, ScoreRow MacroAvg, ScoreRow WeightedAvg, ScoreRow SamplesAvg);
