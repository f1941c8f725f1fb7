using System.Collections;
using System.Globalization;
using System.Text.Json;
using Parquet.Serialization;

namespace Sentio.Data;

/// <summary>One record of a JSON Lines or Parquet file: its 1-based line (JSON Lines) or row (Parquet) and its fields.
/// Values are string, long, double, bool, null, or a list of those.</summary>
internal sealed record FieldRecord(int Line, IReadOnlyDictionary<string, object?> Fields);

/// <summary>Reads the Hugging Face datasets layouts from JSON Lines and Parquet files: a text field and either a
/// label field (a list of class ids or names, or one id or name per text) or one 0/1 field per label. Class names
/// come from the given label names (a trained model's or <c>labels_file</c>), else from the HF <c>dataset_info</c>
/// features metadata (the Parquet <c>huggingface</c> key, or <c>dataset_info.json</c> beside the file), else from
/// the names found.</summary>
public static class RecordFileReader
{
    /// <summary>Reads a JSON Lines file: one JSON object per line.</summary>
    /// <exception cref="SentioException">A missing file, invalid UTF-8 or JSON, a line that is not an object, a missing
    /// field, an empty text, a bad label; the message names file:line.</exception>
    public static MultiLabelDataset ReadJsonLines(string path, DataOptions options, IReadOnlyList<string>? labelNames = null)
    {
        var (records, fields, classNames) = LoadJsonLines(path);
        return ToDataset(records, fields, Path.GetFileName(path), options, labelNames, classNames);
    }

    /// <summary>Reads a Parquet file (Parquet.Net), e.g. a Hugging Face dataset's <c>train-00000-of-00001.parquet</c>.
    /// Errors name the file and the 1-based row.</summary>
    /// <exception cref="SentioException">A missing or unreadable file, a missing field, an empty text, a bad label.</exception>
    public static MultiLabelDataset ReadParquet(string path, DataOptions options, IReadOnlyList<string>? labelNames = null)
    {
        var (records, fields, classNames) = LoadParquet(path);
        return ToDataset(records, fields, Path.GetFileName(path), options, labelNames, classNames);
    }

    /// <summary>The texts and ids of a JSON Lines or Parquet file, for prediction; label fields are ignored.</summary>
    /// <exception cref="SentioException">As the readers, for the text and id fields.</exception>
    internal static IEnumerable<(string? Id, string Text, int Line)> ReadTexts(string path, DataOptions options, bool parquet)
    {
        var (records, fields, _) = parquet ? LoadParquet(path) : LoadJsonLines(path);
        var (textField, idField) = TextAndIdFields(records[0].Line, fields, Path.GetFileName(path), options);
        return records.Select(record => (idField != null ? Id(record, idField, Path.GetFileName(path)) : null, Text(record, textField, Path.GetFileName(path)), record.Line));
    }

    private static (List<FieldRecord> Records, List<string> Fields, Dictionary<string, string[]> ClassNames) LoadJsonLines(string path)
    {
        string fileName = Path.GetFileName(path);
        var records = new List<FieldRecord>();
        foreach (var (line, text) in DelimitedText.Lines(DelimitedText.ReadAllText(path)))
        {
            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(text);
                root = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw SentioException.At(fileName, line, $"not a JSON object ({FirstLine(e.Message)})");
            }
            if (root.ValueKind != JsonValueKind.Object) throw SentioException.At(fileName, line, $"expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}");
            var fields = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (JsonProperty property in root.EnumerateObject())
                if (!fields.TryAdd(property.Name, FromJson(property.Value)))
                    throw SentioException.At(fileName, line, $"field '{property.Name}' appears twice");
            records.Add(new FieldRecord(line, fields));
        }
        if (records.Count == 0) throw new SentioException($"{fileName}: empty file");
        string infoPath = Path.Combine(Path.GetDirectoryName(path)!, "dataset_info.json");
        var classNames = File.Exists(infoPath) ? HfClassNames(DelimitedText.ReadAllText(infoPath), "dataset_info.json", nested: false) : [];
        return (records, records[0].Fields.Keys.ToList(), classNames);
    }

    private static (List<FieldRecord> Records, List<string> Fields, Dictionary<string, string[]> ClassNames) LoadParquet(string path)
    {
        string fileName = Path.GetFileName(path);
        if (!File.Exists(path)) throw new SentioException($"{path}: file not found");
        // Parquet.Net 6.1 reports a damaged file with whatever its decoder trips over, and on some damaged footers it
        // loops without end (found by ReaderFuzzTests) and ignores cancellation; the read gets a time budget so that a
        // damaged file is an error rather than a hang (the abandoned read keeps its thread until the process exits).
        TimeSpan budget = TimeSpan.FromSeconds(10 + new FileInfo(path).Length / 1_000_000.0);
        var read = Task.Run(async () =>
        {
            await using var stream = File.OpenRead(path);
            return await ParquetSerializer.DeserializeUntypedAsync(stream);
        });
        DeserializationResult<Dictionary<string, object>> result;
        try
        {
            if (!read.Wait(budget))
                throw new SentioException($"{fileName}: not a readable Parquet file (Parquet.Net did not finish reading it in {budget.TotalSeconds:0} s)");
            result = read.Result;
        }
        catch (AggregateException e) when (e.InnerException is { } inner and not OutOfMemoryException)
        {
            throw new SentioException($"{fileName}: not a readable Parquet file ({FirstLine(inner.Message)})");
        }
        var records = result.Data
            .Select((row, i) => new FieldRecord(i + 1, new Dictionary<string, object?>(
                row.Select(pair => KeyValuePair.Create(pair.Key, Normalize(pair.Value))), StringComparer.OrdinalIgnoreCase)))
            .ToList();
        if (records.Count == 0) throw new SentioException($"{fileName}: no rows");
        var classNames = result.CustomMetadata.TryGetValue("huggingface", out string? hf) ? HfClassNames(hf, fileName, nested: true) : [];
        return (records, result.Schema.Fields.Select(f => f.Name).ToList(), classNames);
    }

    /// <summary>Class names per feature from HF <c>dataset_info</c> JSON: a <c>ClassLabel</c> feature's <c>names</c>,
    /// or those of a list (<c>Sequence</c> / <c>List</c>) of <c>ClassLabel</c>.</summary>
    private static Dictionary<string, string[]> HfClassNames(string json, string source, bool nested)
    {
        var names = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        try
        {
            using var document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (nested && !(root.TryGetProperty("info", out root))) return names;
            if (!root.TryGetProperty("features", out JsonElement features) || features.ValueKind != JsonValueKind.Object) return names;
            foreach (JsonProperty feature in features.EnumerateObject())
            {
                JsonElement value = feature.Value;
                if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("feature", out JsonElement item)) value = item;
                if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("names", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
                    names[feature.Name] = list.EnumerateArray().Select(n => n.GetString() ?? "").ToArray();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new SentioException($"{source}: the dataset_info features metadata is not valid ({FirstLine(e.Message)})");
        }
        return names;
    }

    private static MultiLabelDataset ToDataset(List<FieldRecord> records, List<string> fieldOrder, string fileName, DataOptions options,
        IReadOnlyList<string>? labelNames, Dictionary<string, string[]> classNames)
    {
        int firstLine = records[0].Line;
        var (textField, idField) = TextAndIdFields(firstLine, fieldOrder, fileName, options);
        string? labelField = options.LabelColumn is { } l ? Require(fieldOrder, l, "label_column", fileName, firstLine)
            : options.LabelColumns == null ? LabelListCsvReader.LabelColumnNames.Select(name => Find(fieldOrder, name)).FirstOrDefault(f => f != null) : null;
        var texts = records.Select(record => Text(record, textField, fileName)).ToArray();
        var ids = records.Select(record => idField != null ? Id(record, idField, fileName) : null).ToArray();

        IReadOnlyList<string> names;
        int[][] labels;
        if (labelField != null)
        {
            var items = records.Select(record => LabelItems(Value(record, labelField, fileName), fileName, record.Line, labelField)).ToArray();
            IReadOnlyList<string>? known = labelNames ?? classNames.GetValueOrDefault(labelField);
            if (known == null && items.Select((list, r) => (list, r)).FirstOrDefault(p => p.list.Any(item => LabelCell.IsClassId(item, out _))) is { list: not null } withIds)
                throw SentioException.At(fileName, records[withIds.r].Line,
                    $"field '{labelField}' holds class ids and the file has no class names (HF dataset_info); name them with labels_file (one name per line, in id order)");
            names = known ?? items.SelectMany(list => list).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            if (names.Count == 0) throw SentioException.At(fileName, firstLine, $"no labels found in field '{labelField}'");
            var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int n = 0; n < names.Count; n++) indexOf[names[n]] = n;
            labels = items.Select((list, r) => LabelCell.Resolve(list, indexOf, names, fileName, records[r].Line)).ToArray();
        }
        else
        {
            string[] labelFields = options.LabelColumns?.Select(name => Require(fieldOrder, name, "label_columns", fileName, firstLine)).ToArray()
                ?? fieldOrder.Where(f => f != textField && f != idField && records.All(record => Binary(record.Fields.GetValueOrDefault(f)) != null)).ToArray();
            if (labelFields.Length == 0)
                throw SentioException.At(fileName, firstLine,
                    $"no label field found: no labels / label / emotions / emotion field and no field of 0/1 values; set label_column or label_columns; the fields are: {string.Join(", ", fieldOrder)}");
            names = labelFields;
            labels = records.Select(record => Enumerable.Range(0, labelFields.Length).Where(n =>
                Binary(Value(record, labelFields[n], fileName)) ?? throw SentioException.At(fileName, record.Line,
                    $"label value '{Scalar(record.Fields[labelFields[n]])}' in field '{labelFields[n]}' is not 0 or 1")).ToArray()).ToArray();
        }

        var examples = new TextExample[records.Count];
        for (int r = 0; r < records.Count; r++) examples[r] = new TextExample(ids[r], texts[r], labels[r], fileName, records[r].Line);
        return new MultiLabelDataset(names, examples);
    }

    private static (string Text, string? Id) TextAndIdFields(int firstLine, List<string> fieldOrder, string fileName, DataOptions options)
    {
        string textField = options.TextColumn is { } t ? Require(fieldOrder, t, "text_column", fileName, firstLine)
            : CsvHeader.TextColumnNames.Select(name => Find(fieldOrder, name)).FirstOrDefault(f => f != null)
              ?? throw SentioException.At(fileName, firstLine,
                  $"no text field found (looked for {string.Join(", ", CsvHeader.TextColumnNames)}); set text_column; the fields are: {string.Join(", ", fieldOrder)}");
        string? idField = options.IdColumn is { } i ? Require(fieldOrder, i, "id_column", fileName, firstLine) : Find(fieldOrder, "id");
        return (textField, idField);
    }

    private static string? Find(List<string> fieldOrder, string name) =>
        fieldOrder.FirstOrDefault(f => string.Equals(f, name, StringComparison.OrdinalIgnoreCase));

    private static string Require(List<string> fieldOrder, string name, string key, string fileName, int line) => Find(fieldOrder, name)
        ?? throw SentioException.At(fileName, line, $"no field '{name}' ({key}); the fields are: {string.Join(", ", fieldOrder)}");

    private static string Text(FieldRecord record, string field, string fileName) =>
        Value(record, field, fileName) is string text && !string.IsNullOrWhiteSpace(text) ? text
            : throw SentioException.At(fileName, record.Line, $"empty or non-string text in field '{field}'");

    private static string? Id(FieldRecord record, string field, string fileName) =>
        Value(record, field, fileName) is { } id && Scalar(id) is { Length: > 0 } text ? text : null;

    private static object? Value(FieldRecord record, string field, string fileName) =>
        record.Fields.TryGetValue(field, out object? value) ? value : throw SentioException.At(fileName, record.Line, $"no field '{field}'");

    /// <summary>The class names or ids in a label field: a list, a single id or name, or a string cell as in a CSV.</summary>
    private static string[] LabelItems(object? value, string fileName, int line, string field) => value switch
    {
        null => [],
        string cell => LabelCell.Parse(cell, fileName, line),
        IReadOnlyList<object?> list => list.Select(item => item is string or long ? Scalar(item)
            : throw SentioException.At(fileName, line, $"field '{field}' lists '{Scalar(item)}', not a class name or id")).ToArray() is var items
            && items.Distinct(StringComparer.Ordinal).Count() == items.Length ? items
            : throw SentioException.At(fileName, line, $"a label is repeated in field '{field}'"),
        long => [Scalar(value)],
        _ => throw SentioException.At(fileName, line, $"field '{field}' holds '{Scalar(value)}', not labels"),
    };

    /// <summary>true / false for a 0/1 value (number, boolean or "0"/"1"); null for anything else.</summary>
    private static bool? Binary(object? value) => value switch
    {
        long n when n is 0 or 1 => n == 1,
        double d when d is 0 or 1 => d == 1,
        bool b => b,
        string s when s.Trim() is "0" or "1" => s.Trim() == "1",
        _ => null,
    };

    private static string Scalar(object? value) => value switch
    {
        null => "",
        string s => s,
        long n => n.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IReadOnlyList<object?> list => "[" + string.Join(", ", list.Select(Scalar)) + "]",
        _ => value.ToString() ?? "",
    };

    private static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out long n) ? (object)n : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.Object => element.GetRawText(),
        _ => null,
    };

    /// <summary>Parquet.Net's values as the same kinds as <see cref="FromJson"/>'s.</summary>
    private static object? Normalize(object? value) => value switch
    {
        null or string or bool => value,
        int or long or short or byte or sbyte or uint or ushort => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        float or double or decimal => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        IDictionary dictionary => dictionary.ToString(),
        IEnumerable items => items.Cast<object?>().Select(Normalize).ToList(),
        _ => value.ToString(),
    };

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
