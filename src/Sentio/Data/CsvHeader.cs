namespace Sentio.Data;

/// <summary>The column names of a delimited file (its header row, or the configured <c>columns</c>) and where each one is.</summary>
internal sealed class CsvHeader
{
    /// <summary>Column names tried, in order, when no text column is given.</summary>
    public static readonly string[] TextColumnNames = ["text", "comment_text", "sentence", "content", "review", "tweet"];

    private readonly string _fileName;

    /// <exception cref="SentioException">Two columns share a name (compared case-insensitively) or a name is empty.</exception>
    public CsvHeader(DelimitedRow header, string fileName)
    {
        _fileName = fileName;
        Names = header.Fields.Select(name => name.Trim()).ToArray();
        Line = header.Line;
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < Names.Count; i++)
        {
            if (Names[i].Length == 0)
                throw SentioException.At(fileName, Line, $"column {i + 1} of the header has no name");
            if (!seen.TryAdd(Names[i], i))
                throw SentioException.At(fileName, Line, $"duplicate column name '{Names[i]}' (columns {seen[Names[i]] + 1} and {i + 1})");
        }
    }

    public IReadOnlyList<string> Names { get; }
    public int Line { get; }
    public int Count => Names.Count;

    /// <summary>The index of <paramref name="name"/> (case-insensitive), or -1.</summary>
    public int Find(string name)
    {
        for (int i = 0; i < Names.Count; i++)
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <exception cref="SentioException">The column is absent; the message names the <paramref name="optionKey"/> to set.</exception>
    public int Require(string name, string optionKey)
    {
        int index = Find(name);
        if (index < 0)
            throw SentioException.At(_fileName, Line, $"no column '{name}' ({optionKey}); the header has: {string.Join(", ", Names)}");
        return index;
    }

    /// <summary>The given text column, else the first of <see cref="TextColumnNames"/> present.</summary>
    /// <exception cref="SentioException">Neither is found.</exception>
    public int FindTextColumn(string? textColumn)
    {
        if (textColumn != null) return Require(textColumn, "text_column");
        foreach (string candidate in TextColumnNames)
            if (Find(candidate) is int index and >= 0) return index;
        throw SentioException.At(_fileName, Line,
            $"no text column found (looked for {string.Join(", ", TextColumnNames)}); set text_column; the header has: {string.Join(", ", Names)}");
    }

    /// <summary>The given id column (which must exist), else <c>id</c> when present, else -1.</summary>
    public int FindIdColumn(string? idColumn) => idColumn != null ? Require(idColumn, "id_column") : Find("id");

    /// <exception cref="SentioException">The row's field count differs from the header's.</exception>
    public void CheckFieldCount(DelimitedRow row)
    {
        if (row.Fields.Length != Count)
            throw SentioException.At(_fileName, row.Line,
                $"expected {Count} fields ({string.Join(",", Names)}), got {row.Fields.Length}");
    }
}
