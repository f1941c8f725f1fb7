using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sentio.Data;

/// <summary>The labels written in one cell: a JSON list (<c>["joy","love"]</c>, <c>[3, 27]</c>), a Python list literal
/// as pandas writes it (<c>['joy', 'love']</c>), a comma list (<c>joy,love</c>, <c>3,27</c>) or one value; each item a
/// class name or a class id.</summary>
internal static class LabelCell
{
    /// <summary>The items of <paramref name="cell"/>, trimmed; an empty cell or list is no label.</summary>
    /// <exception cref="SentioException">A malformed list, an empty or repeated item; the message names file:line.</exception>
    public static string[] Parse(string cell, string fileName, int line)
    {
        string value = cell.Trim();
        if (value.Length == 0) return [];
        string[] items;
        if (value.StartsWith('['))
            items = TryJsonList(value) ?? TryPythonList(value)
                ?? throw SentioException.At(fileName, line,
                    $"labels '{Shorten(value)}' are not a list (write [\"joy\",\"anger\"], ['joy', 'anger'], [3, 27] or joy,anger)");
        else items = value.Split(',');
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = items[i].Trim();
            if (items[i].Length == 0) throw SentioException.At(fileName, line, $"empty label name in '{Shorten(value)}'");
        }
        if (items.Distinct(StringComparer.Ordinal).Count() != items.Length)
            throw SentioException.At(fileName, line, $"a label is repeated in '{Shorten(value)}'");
        return items;
    }

    /// <summary>Label indices for <paramref name="items"/> against <paramref name="names"/>: an item equal to a name is
    /// that label; otherwise an integer in [0, names) is a class id.</summary>
    /// <exception cref="SentioException">An item that is neither; the message names file:line.</exception>
    public static int[] Resolve(string[] items, IReadOnlyDictionary<string, int> indexOf, IReadOnlyList<string> names, string fileName, int line)
    {
        var indices = new int[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (indexOf.TryGetValue(items[i], out indices[i])) continue;
            if (IsClassId(items[i], out int id) && id < names.Count) { indices[i] = id; continue; }
            throw SentioException.At(fileName, line, IsClassId(items[i], out _)
                ? $"class id {items[i]} is not in 0..{names.Count - 1} ({names.Count} labels)"
                : $"label '{items[i]}' is not one of the labels ({string.Join(", ", names)})");
        }
        Array.Sort(indices);
        for (int i = 1; i < indices.Length; i++)
            if (indices[i] == indices[i - 1]) throw SentioException.At(fileName, line, $"label '{names[indices[i]]}' is given twice");
        return indices;
    }

    /// <summary>Whether <paramref name="item"/> is a non-negative integer (a class id).</summary>
    public static bool IsClassId(string item, out int id) =>
        int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out id);

    private static string[]? TryJsonList(string value)
    {
        try
        {
            using var document = JsonDocument.Parse(value);
            if (document.RootElement.ValueKind != JsonValueKind.Array) return null;
            var items = new List<string>();
            foreach (JsonElement element in document.RootElement.EnumerateArray())
            {
                if (element.ValueKind == JsonValueKind.String) items.Add(element.GetString()!);
                else if (element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out int id) && id >= 0) items.Add(id.ToString(CultureInfo.InvariantCulture));
                else return null;
            }
            return items.ToArray();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A Python list of string literals (single or double quotes, backslash escapes) or non-negative
    /// integers, as <c>str(list)</c> and pandas write them. Hand-written: no .NET library reads Python literals.</summary>
    private static string[]? TryPythonList(string value)
    {
        var items = new List<string>();
        int position = 1;
        SkipSpaces(value, ref position);
        if (position < value.Length && value[position] == ']') return position == value.Length - 1 ? [] : null;
        while (position < value.Length)
        {
            SkipSpaces(value, ref position);
            if (position >= value.Length) return null;
            char c = value[position];
            if (c is '\'' or '"')
            {
                var item = new StringBuilder();
                position++;
                while (position < value.Length && value[position] != c)
                {
                    if (value[position] == '\\' && position + 1 < value.Length) position++;
                    item.Append(value[position++]);
                }
                if (position >= value.Length) return null;
                position++;
                items.Add(item.ToString());
            }
            else if (char.IsAsciiDigit(c))
            {
                int start = position;
                while (position < value.Length && char.IsAsciiDigit(value[position])) position++;
                items.Add(value[start..position]);
            }
            else return null;
            SkipSpaces(value, ref position);
            if (position >= value.Length) return null;
            if (value[position] == ']') return position == value.Length - 1 ? items.ToArray() : null;
            if (value[position] != ',') return null;
            position++;
        }
        return null;
    }

    private static void SkipSpaces(string value, ref int position)
    {
        while (position < value.Length && value[position] == ' ') position++;
    }

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..77] + "...";
}
