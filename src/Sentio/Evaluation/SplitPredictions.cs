using System.Globalization;
using Sentio.Data;
using Sentio.IO;

namespace Sentio.Evaluation;

/// <summary>A model's probabilities for one labelled split, with the truth beside them: what threshold tuning,
/// plots, ensembles and refiners work from without re-running the model. Saved in a run directory as
/// <c>predictions/{split}.csv</c> with columns <c>id, {label}_true..., {label}_probability...</c>.</summary>
public sealed record SplitPredictions(IReadOnlyList<string> LabelNames, IReadOnlyList<string> Ids, bool[,] Truth, double[,] Probabilities)
{
    /// <summary>Pairs a dataset with the model's probabilities for it ([examples, labels]); examples without an
    /// id get their 1-based position.</summary>
    public static SplitPredictions Of(MultiLabelDataset data, double[,] probabilities) => new(
        data.LabelNames,
        data.Examples.Select((e, i) => e.Id ?? (i + 1).ToString(CultureInfo.InvariantCulture)).ToArray(),
        data.LabelMatrix(),
        probabilities);

    public int Count => Ids.Count;

    /// <summary>The given rows, in the given order.</summary>
    public SplitPredictions Rows(IReadOnlyList<int> rows)
    {
        int labels = LabelNames.Count;
        var truth = new bool[rows.Count, labels];
        var probabilities = new double[rows.Count, labels];
        for (int r = 0; r < rows.Count; r++)
            for (int j = 0; j < labels; j++)
            {
                truth[r, j] = Truth[rows[r], j];
                probabilities[r, j] = Probabilities[rows[r], j];
            }
        return new SplitPredictions(LabelNames, rows.Select(r => Ids[r]).ToArray(), truth, probabilities);
    }

    /// <summary>The truth as a dataset of empty texts (for the splitters, which read only the labels).</summary>
    public MultiLabelDataset TruthAsDataset() => new(LabelNames, Enumerable.Range(0, Count)
        .Select(i => new TextExample(Ids[i], "", Enumerable.Range(0, LabelNames.Count).Where(j => Truth[i, j]).ToArray())).ToArray());

    public void Save(string path)
    {
        string[] header = ["id", .. LabelNames.Select(l => $"{l}_true"), .. LabelNames.Select(l => $"{l}_probability")];
        var rows = Enumerable.Range(0, Count).Select(i => (IReadOnlyList<string>)
            [Ids[i], .. Enumerable.Range(0, LabelNames.Count).Select(j => Truth[i, j] ? "1" : "0"),
                .. Enumerable.Range(0, LabelNames.Count).Select(j => Probabilities[i, j].ToString("R", CultureInfo.InvariantCulture))]);
        AtomicFile.WriteText(path, CsvText.Write(header, rows));
    }

    /// <exception cref="SentioException">The file is missing or malformed; the message names file:line.</exception>
    public static SplitPredictions Load(string path)
    {
        var rows = DelimitedText.ParseCsv(DelimitedText.ReadAllText(path), path).ToList();
        if (rows.Count == 0) throw SentioException.At(path, 1, "empty file; expected a header 'id,{label}_true...,{label}_probability...'");
        var header = rows[0].Fields;
        int labels = (header.Length - 1) / 2;
        if (header.Length < 3 || header.Length % 2 == 0 || header[0] != "id" || !header.Skip(1).Take(labels).All(h => h.EndsWith("_true", StringComparison.Ordinal)))
            throw SentioException.At(path, rows[0].Line, "expected a header 'id,{label}_true...,{label}_probability...'");
        var names = header.Skip(1).Take(labels).Select(h => h[..^"_true".Length]).ToArray();
        var data = rows.Skip(1).ToList();
        var ids = new string[data.Count];
        var truth = new bool[data.Count, labels];
        var probabilities = new double[data.Count, labels];
        for (int i = 0; i < data.Count; i++)
        {
            var (line, fields) = (data[i].Line, data[i].Fields);
            if (fields.Length != header.Length) throw SentioException.At(path, line, $"{fields.Length} fields, expected {header.Length}");
            ids[i] = fields[0];
            for (int j = 0; j < labels; j++)
            {
                truth[i, j] = fields[1 + j] switch
                {
                    "1" => true,
                    "0" => false,
                    var other => throw SentioException.At(path, line, $"'{other}' in column '{header[1 + j]}' is not 0 or 1"),
                };
                if (!double.TryParse(fields[1 + labels + j], NumberStyles.Float, CultureInfo.InvariantCulture, out double p) || !(p >= 0 && p <= 1))
                    throw SentioException.At(path, line, $"'{fields[1 + labels + j]}' in column '{header[1 + labels + j]}' is not a probability");
                probabilities[i, j] = p;
            }
        }
        return new SplitPredictions(names, ids, truth, probabilities);
    }
}
