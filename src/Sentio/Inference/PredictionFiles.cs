using System.Globalization;
using System.Text;
using System.Text.Json;
using Sentio.Data;
using Sentio.IO;

namespace Sentio.Inference;

/// <summary>Predictions as files and JSON: what <c>sentio predict --output</c> writes and <c>--json</c> prints.</summary>
public static class PredictionFiles
{
    /// <summary>Writes <paramref name="predictions"/> atomically: <c>.jsonl</c> one JSON object per line (id, text, labels,
    /// probabilities by label), anything else CSV with <c>id</c>, one <c>{label}_probability</c> and one 0/1 <c>{label}</c>
    /// column per label (a text without an id gets its 1-based row number), then for a single-label model a <c>label</c>
    /// column with the predicted label.</summary>
    public static void Write(string path, IReadOnlyList<Prediction> predictions, IReadOnlyList<string> labels,
        ProblemType problemType = ProblemType.MultiLabelClassification)
    {
        var text = new StringBuilder();
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var p in predictions) text.AppendLine(JsonSerializer.Serialize(ToJson(p, labels), AtomicFile.JsonLine));
        }
        else
        {
            var probabilities = new double[predictions.Count, labels.Count];
            var decisions = new bool[predictions.Count, labels.Count];
            for (int i = 0; i < predictions.Count; i++)
                for (int j = 0; j < labels.Count; j++)
                {
                    probabilities[i, j] = predictions[i].Probabilities[j];
                    decisions[i, j] = predictions[i].Labels.Contains(labels[j]);
                }
            text.Append(ToCsv(predictions.Select(p => p.Id).ToArray(), labels, probabilities, decisions, problemType));
        }
        AtomicFile.WriteText(path, text.ToString());
    }

    /// <summary>The predictions CSV: <c>id</c>, one <c>{label}_probability</c> and one 0/1 <c>{label}</c> column per label; a
    /// text without an id gets its 1-based row number. A single-label model's file ends with a <c>label</c> column naming
    /// the predicted (the one decided) label.</summary>
    /// <param name="ids">[texts], null where a text has no id.</param>
    /// <param name="probabilities">[texts, labels].</param>
    /// <param name="decisions">[texts, labels]; one true per row for a single-label model.</param>
    /// <exception cref="ArgumentException">Shapes differ.</exception>
    public static string ToCsv(IReadOnlyList<string?> ids, IReadOnlyList<string> labelNames, double[,] probabilities, bool[,] decisions,
        ProblemType problemType = ProblemType.MultiLabelClassification)
    {
        if (probabilities.GetLength(0) != ids.Count || probabilities.GetLength(1) != labelNames.Count
            || decisions.GetLength(0) != ids.Count || decisions.GetLength(1) != labelNames.Count)
            throw new ArgumentException($"probabilities [{probabilities.GetLength(0)}, {probabilities.GetLength(1)}] and decisions [{decisions.GetLength(0)}, {decisions.GetLength(1)}] for {ids.Count} ids and {labelNames.Count} labels");
        bool single = problemType == ProblemType.SingleLabelClassification;
        var rows = Enumerable.Range(0, ids.Count).Select(i => (IReadOnlyList<string>)
            [ids[i] ?? (i + 1).ToString(CultureInfo.InvariantCulture),
                .. Enumerable.Range(0, labelNames.Count).Select(j => probabilities[i, j].ToString("0.######", CultureInfo.InvariantCulture)),
                .. Enumerable.Range(0, labelNames.Count).Select(j => decisions[i, j] ? "1" : "0"),
                .. single ? [labelNames[Enumerable.Range(0, labelNames.Count).First(j => decisions[i, j])]] : Array.Empty<string>()]);
        return CsvText.Write(["id", .. labelNames.Select(l => $"{l}_probability"), .. labelNames, .. single ? ["label"] : Array.Empty<string>()], rows);
    }

    /// <summary>One prediction as a JSON-ready object: id, text, labels and each label's probability (6 decimals).</summary>
    public static object ToJson(Prediction p, IReadOnlyList<string> labels) => new
    {
        id = p.Id,
        text = p.Text,
        labels = p.Labels,
        probabilities = labels.Select((l, j) => (l, j)).ToDictionary(x => x.l, x => Math.Round(p.Probabilities[x.j], 6)),
    };
}
