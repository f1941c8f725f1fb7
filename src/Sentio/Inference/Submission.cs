using Sentio.Data;
using Sentio.IO;

namespace Sentio.Inference;

/// <summary>A shared-task submission file: an <c>id</c> column and one 0/1 column per label, in the model's label
/// order, e.g. SemEval-2025 Task 11 Track A's <c>id,anger,fear,joy,sadness,surprise</c>.</summary>
public static class Submission
{
    /// <summary>Labels <paramref name="rows"/> with <paramref name="predictor"/> (its tuned thresholds) and writes the
    /// submission to <paramref name="path"/>.</summary>
    /// <exception cref="SentioException">A text has no id, or an id repeats; the message names file:line.</exception>
    public static void Write(string path, Predictor predictor, IReadOnlyList<UnlabeledText> rows)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (string.IsNullOrEmpty(row.Id))
                throw SentioException.At(row.Source, row.Line, "no id; a submission needs an id for every text (give --id-column, or a .csv/.tsv input with an 'id' column)");
            if (!seen.TryAdd(row.Id, row.Line))
                throw SentioException.At(row.Source, row.Line, $"id '{row.Id}' repeats line {seen[row.Id]}; a submission needs unique ids");
        }
        var decisions = predictor.Decide(predictor.PredictProbabilities(rows.Select(r => r.Text).ToArray()));
        Write(path, rows.Select(r => r.Id!).ToArray(), predictor.LabelNames, decisions);
    }

    /// <summary>Writes <c>id,{label}...</c> and one row of 0/1 per id.</summary>
    /// <param name="ids">[texts].</param>
    /// <param name="decisions">[texts, labels].</param>
    /// <exception cref="ArgumentException">Counts differ.</exception>
    public static void Write(string path, IReadOnlyList<string> ids, IReadOnlyList<string> labelNames, bool[,] decisions)
    {
        if (decisions.GetLength(0) != ids.Count || decisions.GetLength(1) != labelNames.Count)
            throw new ArgumentException($"decisions of shape [{decisions.GetLength(0)}, {decisions.GetLength(1)}] for {ids.Count} ids and {labelNames.Count} labels", nameof(decisions));
        var rows = Enumerable.Range(0, ids.Count).Select(i => (IReadOnlyList<string>)
            [ids[i], .. Enumerable.Range(0, labelNames.Count).Select(j => decisions[i, j] ? "1" : "0")]);
        AtomicFile.WriteText(path, CsvText.Write(["id", .. labelNames], rows));
    }
}
