using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Sentio.Data;

/// <summary>One row of a delimited file: its fields and the 1-based physical line it starts on.</summary>
internal readonly record struct DelimitedRow(int Line, string[] Fields);

/// <summary>Reads text files strictly (UTF-8, an optional BOM) and splits them into rows: RFC 4180 CSV with
/// quoted fields, or unquoted delimiter-separated lines (GoEmotions TSV, where a <c>"</c> is just a character).
/// Every error names file:line.</summary>
internal static class DelimitedText
{
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

    /// <summary>Lines split on <paramref name="delimiter"/> with no quoting; a final newline ends the last line
    /// rather than starting an empty one, and a trailing <c>\r</c> is dropped.</summary>
    public static IEnumerable<DelimitedRow> SplitUnquoted(string content, char delimiter)
    {
        int start = 0, line = 0;
        while (start < content.Length)
        {
            line++;
            int end = content.IndexOf('\n', start);
            if (end < 0) end = content.Length;
            int lineEnd = end > start && content[end - 1] == '\r' ? end - 1 : end;
            yield return new DelimitedRow(line, content[start..lineEnd].Split(delimiter));
            start = end + 1;
        }
    }

    /// <summary>RFC 4180 records: fields separated by <paramref name="delimiter"/>, optionally quoted, a doubled quote
    /// inside quotes is one quote, newlines inside quotes belong to the field. Each row carries the physical line
    /// it starts on.</summary>
    /// <exception cref="SentioException">A quote is never closed, or text follows a closing quote.</exception>
    public static IEnumerable<DelimitedRow> ParseCsv(string content, string fileName, char delimiter = ',')
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int position = 0, line = 1;
        while (position < content.Length)
        {
            int rowLine = line;
            fields.Clear();
            bool rowEnded = false;
            while (!rowEnded)
            {
                field.Clear();
                if (position < content.Length && content[position] == '"')
                {
                    int quoteLine = line;
                    position++;
                    while (true)
                    {
                        if (position >= content.Length)
                            throw SentioException.At(fileName, quoteLine, "unterminated quoted field (a '\"' is never closed)");
                        char c = content[position++];
                        if (c == '"')
                        {
                            if (position < content.Length && content[position] == '"') { field.Append('"'); position++; }
                            else break;
                        }
                        else
                        {
                            if (c == '\n') line++;
                            field.Append(c);
                        }
                    }
                    if (position < content.Length && content[position] == '\r' && position + 1 < content.Length && content[position + 1] == '\n') position++;
                    if (position < content.Length && content[position] != delimiter && content[position] != '\n')
                        throw SentioException.At(fileName, line, $"unexpected '{content[position]}' after a closing quote in field {fields.Count + 1}");
                }
                else
                {
                    int end = content.AsSpan(position).IndexOfAny(delimiter, '\n');
                    end = end < 0 ? content.Length : position + end;
                    int fieldEnd = end > position && content[end - 1] == '\r' && (end == content.Length || content[end] == '\n') ? end - 1 : end;
                    field.Append(content, position, fieldEnd - position);
                    position = end;
                }
                fields.Add(field.ToString());
                if (position >= content.Length) rowEnded = true;
                else if (content[position] == delimiter) position++;
                else { position++; line++; rowEnded = true; }
            }
            yield return new DelimitedRow(rowLine, fields.ToArray());
        }
    }
}
