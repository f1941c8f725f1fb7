using System.Globalization;
using System.Text;

namespace Sentio.Serving;

/// <summary>The predictions CSV of <c>sentio predict --input F --output OUT.csv</c>: <c>id</c>, one
/// <c>{label}_probability</c> and one 0/1 <c>{label}</c> column per label; a text without an id gets its 1-based row number.</summary>
public static class PredictionCsv
{
    /// <param name="ids">[texts], null where a text has no id.</param>
    /// <param name="probabilities">[texts, labels].</param>
    /// <param name="decisions">[texts, labels].</param>
    /// <exception cref="ArgumentException">Shapes differ.</exception>
    public static string Format(IReadOnlyList<string?> ids, IReadOnlyList<string> labelNames, double[,] probabilities, bool[,] decisions)
    {
        if (probabilities.GetLength(0) != ids.Count || probabilities.GetLength(1) != labelNames.Count
            || decisions.GetLength(0) != ids.Count || decisions.GetLength(1) != labelNames.Count)
            throw new ArgumentException($"probabilities [{probabilities.GetLength(0)}, {probabilities.GetLength(1)}] and decisions [{decisions.GetLength(0)}, {decisions.GetLength(1)}] for {ids.Count} ids and {labelNames.Count} labels");
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', new[] { "id" }.Concat(labelNames.Select(l => $"{l}_probability")).Concat(labelNames).Select(Quote)));
        for (int i = 0; i < ids.Count; i++)
        {
            text.Append(Quote(ids[i] ?? (i + 1).ToString(CultureInfo.InvariantCulture)));
            for (int j = 0; j < labelNames.Count; j++) text.Append(',').Append(probabilities[i, j].ToString("0.######", CultureInfo.InvariantCulture));
            for (int j = 0; j < labelNames.Count; j++) text.Append(decisions[i, j] ? ",1" : ",0");
            text.AppendLine();
        }
        return text.ToString();
    }

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
