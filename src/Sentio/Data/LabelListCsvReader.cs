using System.Text.Json;

namespace Sentio.Data;

/// <summary>Reads a CSV file with a header, a text column and one column holding each text's labels, written
/// either as <c>joy,anger</c> or as a JSON list <c>["joy","anger"]</c>; an empty value means no label.</summary>
public static class LabelListCsvReader
{
    /// <summary>Column names tried, in order, when no label column is given.</summary>
    public static readonly string[] LabelColumnNames = ["labels", "label", "emotions", "emotion"];

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <param name="labelColumn">The column with the labels; null tries labels, label, emotions, emotion.</param>
    /// <param name="labelNames">The label names in index order; an unlisted label is then an error. Null uses the
    /// sorted (ordinal) union of the labels found in the file.</param>
    /// <exception cref="SentioException">Missing file or column, duplicate column, malformed row, empty text,
    /// malformed JSON list, an empty or repeated label, a label not in <paramref name="labelNames"/>.</exception>
    public static MultiLabelDataset Read(string path, string? textColumn = null, string? idColumn = null,
        string? labelColumn = null, IReadOnlyList<string>? labelNames = null)
    {
        string fileName = Path.GetFileName(path);
        var (header, rows) = CsvHeader.ReadFile(path);
        int textIndex = header.FindTextColumn(textColumn);
        int idIndex = header.FindIdColumn(idColumn);
        int labelIndex = labelColumn != null ? header.Require(labelColumn, "label_column") : FindLabelColumn(header, fileName);

        var parsed = new List<(DelimitedRow Row, string[] Labels)>(rows.Count - 1);
        for (int r = 1; r < rows.Count; r++)
        {
            DelimitedRow row = rows[r];
            header.CheckFieldCount(row);
            if (string.IsNullOrWhiteSpace(row.Fields[textIndex]))
                throw SentioException.At(fileName, row.Line, $"empty text in column '{header.Names[textIndex]}'");
            parsed.Add((row, ParseLabels(row.Fields[labelIndex], fileName, row.Line)));
        }

        IReadOnlyList<string> names = labelNames
            ?? parsed.SelectMany(p => p.Labels).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (names.Count == 0) throw SentioException.At(fileName, header.Line, $"no labels found in column '{header.Names[labelIndex]}'");
        var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++) indexOf[names[i]] = i;

        var examples = new List<TextExample>(parsed.Count);
        foreach (var (row, labels) in parsed)
        {
            var indices = new int[labels.Length];
            for (int i = 0; i < labels.Length; i++)
            {
                if (!indexOf.TryGetValue(labels[i], out indices[i]))
                    throw SentioException.At(fileName, row.Line, $"label '{labels[i]}' is not one of the labels ({string.Join(", ", names)})");
            }
            Array.Sort(indices);
            string? id = idIndex >= 0 && row.Fields[idIndex].Trim() is { Length: > 0 } value ? value : null;
            examples.Add(new TextExample(id, row.Fields[textIndex], indices, fileName, row.Line));
        }
        return new MultiLabelDataset(names, examples);
    }

    private static int FindLabelColumn(CsvHeader header, string fileName)
    {
        foreach (string candidate in LabelColumnNames)
            if (header.Find(candidate) is int index and >= 0) return index;
        throw SentioException.At(fileName, header.Line,
            $"no label column found (looked for {string.Join(", ", LabelColumnNames)}); set label_column; the header has: {string.Join(", ", header.Names)}");
    }

    /// <summary>The label names in one cell: a JSON list of strings, or comma-separated names; each trimmed.</summary>
    internal static string[] ParseLabels(string cell, string fileName, int line)
    {
        string value = cell.Trim();
        if (value.Length == 0) return [];
        string[] labels;
        if (value.StartsWith('['))
        {
            try
            {
                labels = JsonSerializer.Deserialize<string[]>(value) ?? [];
            }
            catch (JsonException)
            {
                throw SentioException.At(fileName, line, $"labels '{value}' are not a JSON list of strings (write [\"joy\",\"anger\"] or joy,anger)");
            }
        }
        else labels = value.Split(',');
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = labels[i]?.Trim() ?? "";
            if (labels[i].Length == 0) throw SentioException.At(fileName, line, $"empty label name in '{value}'");
        }
        if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Length)
            throw SentioException.At(fileName, line, $"a label is repeated in '{value}'");
        return labels;
    }
}
