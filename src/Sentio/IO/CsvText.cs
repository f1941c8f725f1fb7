using nietras.SeparatedValues;

namespace Sentio.IO;

/// <summary>Writes CSV text with Sep: comma-separated, a field quoted (quotes doubled) when it holds a comma, a
/// quote or a line break, one row per line.</summary>
public static class CsvText
{
    /// <summary>The header row, then <paramref name="rows"/>, each as many fields as the header.</summary>
    /// <exception cref="ArgumentException">A row whose field count differs from the header's.</exception>
    public static string Write(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        using var writer = Sep.Writer(options => options with { Sep = new Sep(','), Escape = true, WriteHeader = false }).ToText();
        WriteRow(writer, header);
        int index = 0;
        foreach (IReadOnlyList<string> fields in rows)
        {
            index++;
            if (fields.Count != header.Count) throw new ArgumentException($"row {index} has {fields.Count} fields, the header {header.Count}.", nameof(rows));
            WriteRow(writer, fields);
        }
        return writer.ToString();
    }

    private static void WriteRow(SepWriter writer, IReadOnlyList<string> fields)
    {
        using var row = writer.NewRow();
        for (int i = 0; i < fields.Count; i++) row[i].Set(fields[i]);
    }
}
