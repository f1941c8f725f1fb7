namespace Sentio.Data;

/// <summary>Reads a delimited file with a text column and one column holding each text's labels: a JSON list, a
/// Python list literal, a comma list or one value, of class names or class ids (see <see cref="LabelCell"/>); an
/// empty value means no label. The delimiter and header are sniffed unless <see cref="DelimitedLayout"/> sets them.</summary>
public static class LabelListCsvReader
{
    /// <summary>Column names tried, in order, when no label column is given.</summary>
    public static readonly string[] LabelColumnNames = ["labels", "label", "emotions", "emotion"];

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <param name="labelColumn">The column with the labels; null tries labels, label, emotions, emotion.</param>
    /// <param name="labelNames">The label names in index order; an unlisted label is then an error and class ids index
    /// this list. Null uses the sorted (ordinal) union of the names found in the file (class ids then need names).</param>
    /// <exception cref="SentioException">Missing file or column, duplicate column, malformed row, empty text,
    /// malformed list, an empty or repeated label, a label not in <paramref name="labelNames"/>, class ids without names.</exception>
    public static MultiLabelDataset Read(string path, string? textColumn = null, string? idColumn = null,
        string? labelColumn = null, IReadOnlyList<string>? labelNames = null, DelimitedLayout? layout = null)
    {
        string fileName = Path.GetFileName(path);
        DelimitedTable table = DelimitedFile.Read(path, layout ?? DelimitedLayout.Sniffed);
        CsvHeader header = table.Header;
        int textIndex = header.FindTextColumn(textColumn);
        int idIndex = header.FindIdColumn(idColumn);
        int labelIndex = labelColumn != null ? header.Require(labelColumn, "label_column") : FindLabelColumn(header, fileName);

        var parsed = new List<(DelimitedRow Row, string[] Labels)>(table.Rows.Count);
        foreach (DelimitedRow row in table.Rows)
        {
            header.CheckFieldCount(row);
            if (string.IsNullOrWhiteSpace(row.Fields[textIndex]))
                throw SentioException.At(fileName, row.Line, $"empty text in column '{header.Names[textIndex]}'");
            parsed.Add((row, LabelCell.Parse(row.Fields[labelIndex], fileName, row.Line)));
        }

        if (labelNames == null && parsed.FirstOrDefault(p => p.Labels.Any(l => LabelCell.IsClassId(l, out _))) is { Labels: not null } withIds)
            throw SentioException.At(fileName, withIds.Row.Line,
                $"column '{header.Names[labelIndex]}' holds class ids ('{withIds.Row.Fields[labelIndex].Trim()}'); name the classes with labels_file (one name per line, in id order)");
        IReadOnlyList<string> names = labelNames
            ?? parsed.SelectMany(p => p.Labels).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (names.Count == 0) throw SentioException.At(fileName, header.Line, $"no labels found in column '{header.Names[labelIndex]}'");
        var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++) indexOf[names[i]] = i;

        var examples = new List<TextExample>(parsed.Count);
        foreach (var (row, labels) in parsed)
        {
            int[] indices = LabelCell.Resolve(labels, indexOf, names, fileName, row.Line);
            string? id = idIndex >= 0 && row.Fields[idIndex].Trim() is { Length: > 0 } value ? value : null;
            examples.Add(new TextExample(id, row.Fields[textIndex], indices, fileName, row.Line));
        }
        return new MultiLabelDataset(names, examples);
    }

    /// <summary>The first of <see cref="LabelColumnNames"/> in <paramref name="header"/>, or -1.</summary>
    internal static int FindLabelColumn(CsvHeader header) =>
        LabelColumnNames.Select(header.Find).FirstOrDefault(index => index >= 0, -1);

    private static int FindLabelColumn(CsvHeader header, string fileName) =>
        FindLabelColumn(header) is int index and >= 0 ? index : throw SentioException.At(fileName, header.Line,
            $"no label column found (looked for {string.Join(", ", LabelColumnNames)}); set label_column; the header has: {string.Join(", ", header.Names)}");
}
