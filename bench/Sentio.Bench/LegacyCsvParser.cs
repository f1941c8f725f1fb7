using System.Text;

namespace Sentio.Bench;

/// <summary>The hand-written RFC 4180 reader Sentio used before Sep (src/Sentio/Data/DelimitedText.cs at commit
/// 20283f2), kept unchanged apart from its error type as the baseline of the reading benchmark.</summary>
internal static class LegacyCsvParser
{
    public static IEnumerable<(int Line, string[] Fields)> ParseCsv(string content, string fileName, char delimiter = ',')
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
                            throw new InvalidDataException($"{fileName}:{quoteLine}: " + "unterminated quoted field (a '\"' is never closed)");
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
                        throw new InvalidDataException($"{fileName}:{line}: " + $"unexpected '{content[position]}' after a closing quote in field {fields.Count + 1}");
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
            yield return (rowLine, fields.ToArray());
        }
    }
}
