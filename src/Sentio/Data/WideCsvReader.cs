namespace Sentio.Data;

/// <summary>Reads a delimited file with one text column and one 0/1 column per label, e.g. SemEval-2025 Task 11:
/// <c>id,text,anger,fear,joy,sadness,surprise</c>, or SemEval-2018 E-c's tab-separated <c>ID, Tweet, anger, ...</c>.
/// The delimiter and header are sniffed unless <see cref="DelimitedLayout"/> sets them.</summary>
public static class WideCsvReader
{
    /// <summary>Reads <paramref name="path"/>. Label names are the label column names as written in the header.</summary>
    /// <param name="textColumn">The text column; null tries text, comment_text, sentence, content, review, tweet.</param>
    /// <param name="idColumn">The id column carried into <see cref="TextExample.Id"/>; null uses <c>id</c> when present.</param>
    /// <param name="labelColumns">The label columns, in this order; null infers them: every column other than
    /// the text and id columns whose values are all 0 or 1, in header order. A column with 0/1 in at least 90% of
    /// its rows but other values elsewhere is an error (a label column with a bad value).</param>
    /// <exception cref="SentioException">Missing file or column, duplicate column, a row with the wrong number of
    /// fields or an unterminated quote, empty text, a label value other than 0/1, no label column found.</exception>
    public static MultiLabelDataset Read(string path, string? textColumn = null, string? idColumn = null,
        IReadOnlyList<string>? labelColumns = null, DelimitedLayout? layout = null)
    {
        string fileName = Path.GetFileName(path);
        DelimitedTable table = DelimitedFile.Read(path, layout ?? DelimitedLayout.Sniffed);
        var (header, rows) = (table.Header, table.Rows);
        int textIndex = header.FindTextColumn(textColumn);
        int idIndex = header.FindIdColumn(idColumn);
        foreach (DelimitedRow row in rows) header.CheckFieldCount(row);

        int[] labelIndices = labelColumns != null
            ? labelColumns.Select(name => header.Require(name, "label_columns")).ToArray()
            : InferLabelColumns(header, rows, textIndex, idIndex, fileName);
        if (labelIndices.Length == 0) throw SentioException.At(fileName, header.Line, "label_columns: the list is empty");
        if (labelIndices.Distinct().Count() != labelIndices.Length)
            throw SentioException.At(fileName, header.Line, $"label_columns: a column is listed twice ({string.Join(", ", labelColumns!)})");
        if (labelIndices.Contains(textIndex))
            throw SentioException.At(fileName, header.Line, $"column '{header.Names[textIndex]}' cannot be both the text and a label");

        var examples = new List<TextExample>(rows.Count);
        var labels = new List<int>();
        foreach (DelimitedRow row in rows)
        {
            string text = row.Fields[textIndex];
            if (string.IsNullOrWhiteSpace(text)) throw SentioException.At(fileName, row.Line, $"empty text in column '{header.Names[textIndex]}'");
            labels.Clear();
            for (int l = 0; l < labelIndices.Length; l++)
            {
                string value = row.Fields[labelIndices[l]].Trim();
                if (value == "1") labels.Add(l);
                else if (value != "0")
                    throw SentioException.At(fileName, row.Line, $"label value '{value}' in column '{header.Names[labelIndices[l]]}' is not 0 or 1");
            }
            string? id = idIndex >= 0 && row.Fields[idIndex].Trim() is { Length: > 0 } idValue ? idValue : null;
            examples.Add(new TextExample(id, text, labels.ToArray(), fileName, row.Line));
        }
        return new MultiLabelDataset(labelIndices.Select(i => header.Names[i]).ToArray(), examples);
    }

    private static int[] InferLabelColumns(CsvHeader header, IReadOnlyList<DelimitedRow> rows, int textIndex, int idIndex, string fileName)
    {
        var labelIndices = new List<int>();
        var rejected = new List<string>();
        for (int c = 0; c < header.Count; c++)
        {
            if (c == textIndex || c == idIndex) continue;
            int badRow = FirstNotBinary(rows, c);
            if (badRow < 0)
            {
                labelIndices.Add(c);
                continue;
            }
            // A column that is 0/1 in at least 90% of rows, or holds 0/1 and otherwise only numbers (even in a tiny
            // file), is a label column with bad values, not a text or metadata column: report it rather than silently
            // leaving a label out.
            var bad = rows.Select(row => row.Fields[c].Trim()).Where(value => value is not ("0" or "1")).ToList();
            bool someBinary = bad.Count < rows.Count;
            if (bad.Count * 10 <= rows.Count || (someBinary && bad.All(IsNumber)))
                throw SentioException.At(fileName, rows[badRow].Line,
                    $"label value '{rows[badRow].Fields[c].Trim()}' in column '{header.Names[c]}' is not 0 or 1");
            rejected.Add($"'{header.Names[c]}' has '{rows[badRow].Fields[c]}' at line {rows[badRow].Line}");
        }
        if (labelIndices.Count == 0)
            throw SentioException.At(fileName, header.Line,
                $"no label columns found (a label column holds only 0 and 1): {string.Join("; ", rejected)}; set label_columns or label_column");
        return labelIndices.ToArray();
    }

    private static bool IsNumber(string value) =>
        double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);

    private static int FirstNotBinary(IReadOnlyList<DelimitedRow> rows, int column)
    {
        for (int r = 0; r < rows.Count; r++)
            if (rows[r].Fields[column].Trim() is not ("0" or "1")) return r;
        return -1;
    }
}
