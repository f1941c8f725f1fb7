namespace Sentio.Data;

/// <summary>Reads the GoEmotions TSV layout: no header, <c>text&lt;TAB&gt;label indices&lt;TAB&gt;id</c> per line,
/// label indices comma-separated (e.g. <c>3,27</c>), no quoting (a <c>"</c> is part of the text).</summary>
public static class GoEmotionsTsvReader
{
    /// <summary>Label names from a file holding one name per line, in index order.</summary>
    /// <exception cref="SentioException">The file is missing, empty, has an empty line or a repeated name.</exception>
    public static IReadOnlyList<string> ReadLabelNames(string path)
    {
        string fileName = Path.GetFileName(path);
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, text) in DelimitedText.Lines(DelimitedText.ReadAllText(path)))
        {
            string name = text.Trim();
            if (name.Length == 0) throw SentioException.At(fileName, line, "empty label name");
            if (!seen.Add(name)) throw SentioException.At(fileName, line, $"label '{name}' is listed twice");
            names.Add(name);
        }
        if (names.Count == 0) throw new SentioException($"{fileName}: no label names");
        return names;
    }

    /// <summary>Every line of <paramref name="path"/> as an example; label indices refer to <paramref name="labelNames"/>.</summary>
    /// <exception cref="SentioException">Missing file, invalid UTF-8, a line without exactly 3 fields, an empty text,
    /// a label index that is not a number in [0, labels) or is repeated.</exception>
    public static MultiLabelDataset Read(string path, IReadOnlyList<string> labelNames)
    {
        string fileName = Path.GetFileName(path);
        var examples = new List<TextExample>();
        foreach (DelimitedRow row in DelimitedText.Parse(DelimitedText.ReadAllText(path), fileName, '\t', quoted: false))
        {
            if (row.Fields.Length != 3)
                throw SentioException.At(fileName, row.Line, $"expected 3 tab-separated fields (text, labels, id), got {row.Fields.Length}");
            string text = row.Fields[0];
            if (string.IsNullOrWhiteSpace(text)) throw SentioException.At(fileName, row.Line, "empty text");
            int[] labels = ParseIndices(row.Fields[1], labelNames.Count, fileName, row.Line);
            string id = row.Fields[2].Trim();
            examples.Add(new TextExample(id.Length == 0 ? null : id, text, labels, fileName, row.Line));
        }
        return new MultiLabelDataset(labelNames, examples);
    }

    private static int[] ParseIndices(string field, int labelCount, string fileName, int line)
    {
        if (field.Trim().Length == 0) return [];
        string[] parts = field.Split(',');
        var labels = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i].Trim();
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, null, out int label) || label >= labelCount)
                throw SentioException.At(fileName, line, $"label index '{part}' is not a number in 0..{labelCount - 1}");
            labels[i] = label;
        }
        Array.Sort(labels);
        for (int i = 1; i < labels.Length; i++)
            if (labels[i] == labels[i - 1]) throw SentioException.At(fileName, line, $"label index {labels[i]} is repeated");
        return labels;
    }
}
