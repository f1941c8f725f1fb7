using System.Globalization;
using System.Text;
using System.Text.Json;
using Sentio.IO;

namespace Sentio.Inference;

/// <summary>Predictions as files and JSON: what <c>sentio predict --output</c> writes and <c>--json</c> prints.</summary>
public static class PredictionFiles
{
    /// <summary>Writes <paramref name="predictions"/> atomically: <c>.jsonl</c> one JSON object per line (id, text, labels,
    /// probabilities by label), anything else CSV with <c>id</c>, one <c>{label}_probability</c> and one 0/1 <c>{label}</c>
    /// column per label (a text without an id gets its 1-based row number).</summary>
    public static void Write(string path, IReadOnlyList<Prediction> predictions, IReadOnlyList<string> labels)
    {
        var text = new StringBuilder();
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var p in predictions) text.AppendLine(JsonSerializer.Serialize(ToJson(p, labels), AtomicFile.JsonLine));
        }
        else
        {
            text.AppendLine(string.Join(',', new[] { "id" }.Concat(labels.Select(l => $"{l}_probability")).Concat(labels).Select(CsvField.Quote)));
            for (int i = 0; i < predictions.Count; i++)
            {
                var p = predictions[i];
                var fields = new List<string> { CsvField.Quote(p.Id ?? (i + 1).ToString(CultureInfo.InvariantCulture)) };
                fields.AddRange(p.Probabilities.Select(x => x.ToString("0.######", CultureInfo.InvariantCulture)));
                fields.AddRange(labels.Select(l => p.Labels.Contains(l) ? "1" : "0"));
                text.AppendLine(string.Join(',', fields));
            }
        }
        AtomicFile.WriteText(path, text.ToString());
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
