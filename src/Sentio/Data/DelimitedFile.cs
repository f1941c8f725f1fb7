using System.Globalization;

namespace Sentio.Data;

/// <summary>How a delimited file is split, as the <c>data:</c> keys give it; null parts are sniffed from the content.</summary>
/// <param name="Delimiter">The field delimiter; null sniffs tab, comma, semicolon or pipe.</param>
/// <param name="Header">Whether the first row names the columns; null sniffs it.</param>
/// <param name="Columns">Column names for a file without a header.</param>
public sealed record DelimitedLayout(char? Delimiter = null, bool? Header = null, IReadOnlyList<string>? Columns = null)
{
    public static readonly DelimitedLayout Sniffed = new();
}

/// <summary>A delimited file split into a header (read from its first row or given as <c>columns</c>) and data rows.</summary>
internal sealed record DelimitedTable(CsvHeader Header, IReadOnlyList<DelimitedRow> Rows, char Delimiter, bool HasHeader);

/// <summary>Opens delimited files whatever their extension: the delimiter and the header are taken from the
/// <see cref="DelimitedLayout"/> or sniffed. Tab-separated files are read without quoting (GoEmotions and SemEval
/// ship tweets and comments with bare <c>"</c>); the other delimiters with RFC 4180 quoting.</summary>
internal static class DelimitedFile
{
    private const int SampleRows = 64;

    /// <summary>Rows that header sniffing reads: the first row and the sample below it.</summary>
    public const int HeadRows = SampleRows + 1;

    /// <summary>Column names that mark a first row as a header.</summary>
    private static readonly string[] KnownColumnNames =
        [.. CsvHeader.TextColumnNames, .. LabelListCsvReader.LabelColumnNames, "id"];

    /// <param name="maxRows">Parse only the first rows, as many as telling the header and the layout needs (see
    /// <see cref="HeadRows"/>); null reads the whole file.</param>
    /// <exception cref="SentioException">A missing, empty or malformed file; a headerless file with no column names.</exception>
    public static DelimitedTable Read(string path, DelimitedLayout layout, int? maxRows = null)
    {
        string fileName = Path.GetFileName(path);
        string content = DelimitedText.ReadAllText(path);
        char delimiter = layout.Delimiter ?? DelimitedText.Sniff(content)
            ?? throw new SentioException($"{fileName}: cannot tell the delimiter (no tab, comma, semicolon or pipe splits its lines); set delimiter");
        var rows = DelimitedText.Parse(content, fileName, delimiter, quoted: delimiter != '\t').Take(maxRows ?? int.MaxValue).ToList();
        if (rows.Count == 0) throw new SentioException($"{fileName}: empty file");
        bool hasHeader = layout.Columns == null && (layout.Header ?? SniffHeader(rows));
        if (hasHeader) return new DelimitedTable(new CsvHeader(rows[0], fileName), rows.Skip(1).ToList(), delimiter, true);
        IReadOnlyList<string> columns = layout.Columns ?? DefaultColumns(rows[0], fileName, delimiter);
        var header = new CsvHeader(new DelimitedRow(rows[0].Line, columns.ToArray()), fileName);
        return new DelimitedTable(header, rows, delimiter, false);
    }

    /// <summary>Whether a headerless first row is in the GoEmotions layout: text, comma-separated label ids, id.</summary>
    public static bool LooksLikeGoEmotions(DelimitedRow first) =>
        first.Fields.Length == 3 && first.Fields[1].Length > 0 && first.Fields[1].All(c => char.IsAsciiDigit(c) || c == ',');

    /// <summary>Whether the first row is a header: yes when it holds a known column name (text, tweet, labels, id, ...);
    /// otherwise each column votes: values below that are all numbers under a first-row value that is not says header,
    /// a first-row value that is a number like those below, or that recurs below (a label name), says data. Ties say header.</summary>
    private static bool SniffHeader(List<DelimitedRow> rows)
    {
        string[] first = rows[0].Fields;
        if (LooksLikeGoEmotions(rows[0])) return false;
        if (first.Any(field => KnownColumnNames.Contains(field.Trim(), StringComparer.OrdinalIgnoreCase))) return true;
        var sample = rows.Skip(1).Take(SampleRows).ToList();
        int headerVotes = 0, dataVotes = 0;
        for (int c = 0; c < first.Length; c++)
        {
            var below = sample.Where(row => row.Fields.Length > c).Select(row => row.Fields[c].Trim()).Where(value => value.Length > 0).ToList();
            if (below.Count == 0) continue;
            string top = first[c].Trim();
            if (below.All(IsNumberList))
            {
                if (IsNumberList(top)) dataVotes++;
                else headerVotes++;
            }
            else if (top.Length > 0 && below.Contains(top, StringComparer.Ordinal)) dataVotes++;
        }
        return headerVotes >= dataVotes;
    }

    private static bool IsNumberList(string value) =>
        value.Length > 0 && value.Split(',').All(part => double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out _));

    private static IReadOnlyList<string> DefaultColumns(DelimitedRow first, string fileName, char delimiter)
    {
        if (LooksLikeGoEmotions(first)) return ["text", "labels", "id"];
        if (first.Fields.Length == 2) return ["text", "label"];
        throw SentioException.At(fileName, first.Line,
            $"the file has no header and {first.Fields.Length} {DelimiterName(delimiter)}-separated fields; name them with columns: [...] (or set header: true)");
    }

    public static string DelimiterName(char delimiter) => delimiter switch
    {
        '\t' => "tab",
        ',' => "comma",
        ';' => "semicolon",
        '|' => "pipe",
        _ => $"'{delimiter}'",
    };
}
