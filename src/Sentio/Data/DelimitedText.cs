using System.Buffers;
using System.Text.Unicode;
using nietras.SeparatedValues;

namespace Sentio.Data;

/// <summary>One row of a delimited file: its fields and the 1-based physical line it starts on.</summary>
internal readonly record struct DelimitedRow(int Line, string[] Fields);

/// <summary>Reads text files strictly (UTF-8, an optional BOM) and splits them into rows with Sep: RFC 4180 quoting,
/// or none (GoEmotions TSV, where a <c>"</c> is just a character). Every error names file:line.</summary>
internal static class DelimitedText
{
    /// <summary>The delimiters tried when a file's delimiter is not given, in the order that breaks ties.</summary>
    public static readonly char[] Candidates = ['\t', ',', ';', '|'];

    /// <summary>The whole file as text. Invalid UTF-8 is an error naming the line of the first bad byte.</summary>
    /// <exception cref="SentioException">The file is missing or is not valid UTF-8.</exception>
    public static string ReadAllText(string path)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: file not found");
        byte[] bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> content = bytes;
        if (content.StartsWith("\uFEFF"u8)) content = content[3..];
        char[] chars = ArrayPool<char>.Shared.Rent(content.Length);
        try
        {
            // Sep's own decoding replaces invalid bytes silently; decoding here first keeps the error.
            OperationStatus status = Utf8.ToUtf16(content, chars, out int bytesRead, out int charsWritten, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                int line = content[..bytesRead].Count((byte)'\n') + 1;
                throw SentioException.At(Path.GetFileName(path), line,
                    $"invalid UTF-8 (byte 0x{content[bytesRead]:X2}); save the file as UTF-8");
            }
            return new string(chars, 0, charsWritten);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>The lines of <paramref name="content"/>; a final newline ends the last line rather than starting an
    /// empty one, and a trailing <c>\r</c> is dropped. For one-item-per-line files (labels.txt, texts to predict).</summary>
    public static IEnumerable<(int Line, string Text)> Lines(string content)
    {
        int start = 0, line = 0;
        while (start < content.Length)
        {
            line++;
            int end = content.IndexOf('\n', start);
            if (end < 0) end = content.Length;
            int lineEnd = end > start && content[end - 1] == '\r' ? end - 1 : end;
            yield return (line, content[start..lineEnd]);
            start = end + 1;
        }
    }

    /// <summary>Rows of <paramref name="content"/> split on <paramref name="delimiter"/>. With <paramref name="quoted"/>,
    /// RFC 4180: a field may be quoted, a doubled quote inside quotes is one quote, newlines inside quotes belong to the
    /// field; a quote inside an unquoted field is a plain character. Each row carries the physical line it starts on.</summary>
    /// <exception cref="SentioException">A quote is never closed, or text follows a closing quote.</exception>
    public static IEnumerable<DelimitedRow> Parse(string content, string fileName, char delimiter, bool quoted)
    {
        if (content.Length == 0) yield break;
        using SepReader reader = Sep.Reader(options => options with
        {
            Sep = new Sep(delimiter),
            HasHeader = false,
            DisableColCountCheck = true,
            DisableQuotesParsing = !quoted,
            // Sep unescapes leniently (an unclosed quote swallows the rest of the file); fields are checked and
            // unescaped below so that a malformed one is an error naming its line.
            Unescape = false,
        }).FromText(content);
        foreach (SepReader.Row row in reader)
        {
            // Sep 0.17 numbers the first row's lines as if a header preceded it; the first row starts on line 1.
            int line = row.RowIndex == 0 ? 1 : row.LineNumberFrom;
            var fields = new string[row.ColCount];
            for (int i = 0; i < fields.Length; i++)
            {
                ReadOnlySpan<char> raw = row[i].Span;
                fields[i] = quoted && raw.StartsWith('"') ? Unquote(raw, fileName, line, i) : raw.ToString();
            }
            yield return new DelimitedRow(line, fields);
        }
    }

    /// <summary>RFC 4180 CSV (comma, quoted) rows; see <see cref="Parse"/>.</summary>
    public static IEnumerable<DelimitedRow> ParseCsv(string content, string fileName) => Parse(content, fileName, ',', quoted: true);

    private static string Unquote(ReadOnlySpan<char> raw, string fileName, int line, int fieldIndex)
    {
        var value = new System.Text.StringBuilder(raw.Length);
        int position = 1, currentLine = line;
        while (true)
        {
            if (position >= raw.Length)
                throw SentioException.At(fileName, line, "unterminated quoted field (a '\"' is never closed)");
            char c = raw[position++];
            if (c != '"')
            {
                if (c == '\n') currentLine++;
                value.Append(c);
                continue;
            }
            if (position < raw.Length && raw[position] == '"') { value.Append('"'); position++; continue; }
            if (position < raw.Length)
                throw SentioException.At(fileName, currentLine, $"unexpected '{raw[position]}' after a closing quote in field {fieldIndex + 1}");
            return value.ToString();
        }
    }

    /// <summary>The delimiter of <paramref name="content"/>: of <see cref="Candidates"/>, the one that splits the most of
    /// the first records into the same number of fields (at least two), fields quoted as in CSV; ties go to the
    /// earlier candidate. Null when none splits any record.</summary>
    /// <param name="agreement">The share of the first records that must split into the same number of fields.</param>
    public static char? Sniff(string content, double agreement = 0)
    {
        const int sampleRecords = 64;
        char? best = null;
        double bestScore = 0;
        foreach (char candidate in Candidates)
        {
            var counts = new Dictionary<int, int>();
            int records = 0;
            foreach (int count in DelimiterCounts(content, candidate, quoted: candidate != '\t').Take(sampleRecords))
            {
                records++;
                counts[count] = counts.GetValueOrDefault(count) + 1;
            }
            var usable = counts.Where(pair => pair.Key > 0).ToList();
            if (records == 0 || usable.Count == 0) continue;
            double score = (double)usable.Max(pair => pair.Value) / records;
            if (score > bestScore && score >= agreement) (best, bestScore) = (candidate, score);
        }
        return best;
    }

    /// <summary>The number of <paramref name="delimiter"/>s outside quotes in each record.</summary>
    private static IEnumerable<int> DelimiterCounts(string content, char delimiter, bool quoted)
    {
        int position = 0;
        while (position < content.Length)
        {
            int count = 0;
            bool fieldStart = true, inQuotes = false;
            for (; position < content.Length; position++)
            {
                char c = content[position];
                if (inQuotes)
                {
                    if (c == '"') inQuotes = false;
                    continue;
                }
                if (c == '\n') { position++; break; }
                if (c == delimiter) { count++; fieldStart = true; continue; }
                if (quoted && fieldStart && c == '"') inQuotes = true;
                fieldStart = false;
            }
            yield return count;
        }
    }
}
