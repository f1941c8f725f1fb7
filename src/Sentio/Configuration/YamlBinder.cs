using System.Globalization;
using System.Reflection;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sentio.Configuration;

/// <summary>Binds YAML to immutable options records: keys are the snake_case forms of property names
/// (<c>LearningRate</c> ← <c>learning_rate</c>), enums bind from snake_case names, missing keys keep the
/// record's defaults, unknown keys are errors. Every problem is collected with its key path, so a config
/// with three mistakes reports all three at once (as spaCy does).</summary>
public static class YamlBinder
{
    /// <summary>Parses YAML text into its root mapping; a syntax error names the file, line and column.</summary>
    public static YamlMappingNode ParseMapping(string yaml, string fileName)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            throw SentioException.At(fileName, (int)e.Start.Line, $"invalid YAML at column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        if (stream.Documents.Count == 0) return new YamlMappingNode();
        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw SentioException.At(fileName, (int)stream.Documents[0].RootNode.Start.Line, "expected a mapping of keys to values at the top level");
    }

    /// <summary>Binds <paramref name="node"/> (null: all defaults) to a new <typeparamref name="T"/>.</summary>
    public static T Bind<T>(YamlNode? node, string path, List<ConfigError> errors) where T : new() =>
        (T)Bind(typeof(T), node, path, errors)!;

    /// <summary>Binds <paramref name="node"/> to <paramref name="type"/>; on a problem, records it in
    /// <paramref name="errors"/> and returns the type's default so binding can go on.</summary>
    /// <param name="current">For a record: the value the parent record already holds (its default), whose
    /// values keys left out of the YAML keep; null starts from the record type's own defaults.</param>
    public static object? Bind(Type type, YamlNode? node, string path, List<ConfigError> errors, object? current = null)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (node is YamlScalarNode { Style: ScalarStyle.Plain } nullScalar && nullScalar.Value is "" or "~" or "null" or "Null" or "NULL")
        {
            if (underlying != null || !type.IsValueType) return null;
            errors.Add(new ConfigError(path, $"expected {Describe(type)}, got null"));
            return Activator.CreateInstance(type);
        }
        type = underlying ?? type;
        if (type == typeof(string) || type.IsPrimitive || type.IsEnum)
            return BindScalar(type, node, path, errors);
        if (type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>)))
            return BindList(type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0], node, path, errors);
        return BindRecord(type, node, path, errors, current);
    }

    /// <summary>The config key a property binds from: its name in snake_case.</summary>
    public static string KeyOf(string propertyName)
    {
        var key = new StringBuilder();
        for (int i = 0; i < propertyName.Length; i++)
        {
            char c = propertyName[i];
            bool boundary = i > 0 && char.IsUpper(c) &&
                (char.IsLower(propertyName[i - 1]) || char.IsDigit(propertyName[i - 1]) ||
                 (i + 1 < propertyName.Length && char.IsLower(propertyName[i + 1])));
            if (boundary) key.Append('_');
            key.Append(char.ToLowerInvariant(c));
        }
        return key.ToString();
    }

    /// <summary>The public init-settable properties a record binds, by key.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> BindableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => KeyOf(p.Name), StringComparer.Ordinal);

    /// <summary>The inverse of binding: a record as a YAML mapping with the same keys and enum spellings,
    /// so a written config binds back to an equal record.</summary>
    public static YamlNode ToYaml(object? value) => value switch
    {
        null => new YamlScalarNode("null"),
        string s => new YamlScalarNode(s) { Style = ScalarStyle.DoubleQuoted },
        bool b => new YamlScalarNode(b ? "true" : "false"),
        Enum e => new YamlScalarNode(KeyOf(e.ToString())),
        double d => new YamlScalarNode(d.ToString("R", CultureInfo.InvariantCulture)),
        float f => new YamlScalarNode(f.ToString("R", CultureInfo.InvariantCulture)),
        IFormattable number when value.GetType().IsPrimitive => new YamlScalarNode(number.ToString(null, CultureInfo.InvariantCulture)),
        System.Collections.IEnumerable items => new YamlSequenceNode(items.Cast<object?>().Select(ToYaml)),
        _ => new YamlMappingNode(BindableProperties(value.GetType())
            .Select(p => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(p.Key), ToYaml(p.Value.GetValue(value))))),
    };

    /// <summary>Writes a YAML node as text.</summary>
    public static string Serialize(YamlNode root)
    {
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        string text = writer.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    private static object? BindRecord(Type type, YamlNode? node, string path, List<ConfigError> errors, object? current)
    {
        // A nested record starts as a copy of the parent's default (records' compiler-made clone), so
        // `training: { epochs: 3 }` keeps the rest of the parent's tuned training defaults.
        object record = (current != null ? type.GetMethod("<Clone>$")?.Invoke(current, null) : null)
            ?? Activator.CreateInstance(type)
            ?? throw new InvalidOperationException($"{type} needs a parameterless constructor to bind from YAML");
        if (node == null) return Validated(record, path, errors);
        if (node is not YamlMappingNode mapping)
        {
            errors.Add(new ConfigError(path, $"expected a mapping of keys to values, got {Show(node)}"));
            return record;
        }
        var properties = BindableProperties(type);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                errors.Add(new ConfigError(path, $"line {keyNode.Start.Line}: keys must be plain names"));
                continue;
            }
            string keyPath = Join(path, key);
            if (!properties.TryGetValue(key, out var property))
            {
                errors.Add(new ConfigError(keyPath, $"unknown key; allowed keys: {string.Join(", ", properties.Keys)}"));
                continue;
            }
            property.SetValue(record, Bind(property.PropertyType, valueNode, keyPath, errors, property.GetValue(record)));
        }
        return Validated(record, path, errors);
    }

    private static object Validated(object record, string path, List<ConfigError> errors)
    {
        // A parent record may validate its nested records again (so records built in code are checked too):
        // report each problem once.
        if (record is IValidatableOptions validatable)
            foreach (var error in validatable.Validate().Select(e => e with { Key = Join(path, e.Key) }))
                if (!errors.Contains(error)) errors.Add(error);
        return record;
    }

    private static object? BindList(Type elementType, YamlNode? node, string path, List<ConfigError> errors)
    {
        var items = new List<object?>();
        if (node is YamlSequenceNode sequence)
        {
            int i = 0;
            foreach (var item in sequence.Children) items.Add(Bind(elementType, item, $"{path}[{i++}]", errors));
        }
        else if (node != null)
        {
            errors.Add(new ConfigError(path, $"expected a list, got {Show(node)}"));
        }
        var array = Array.CreateInstance(elementType, items.Count);
        for (int i = 0; i < items.Count; i++) array.SetValue(items[i], i);
        return array;
    }

    private static object? BindScalar(Type type, YamlNode? node, string path, List<ConfigError> errors)
    {
        if (node is not YamlScalarNode scalar)
        {
            errors.Add(new ConfigError(path, $"expected {Describe(type)}, got {(node == null ? "nothing" : Show(node))}"));
            return type.IsValueType ? Activator.CreateInstance(type) : null;
        }
        string text = scalar.Value ?? "";
        object? value = null;
        if (type == typeof(string)) value = text;
        else if (type == typeof(bool)) value = text switch { "true" or "True" or "yes" => true, "false" or "False" or "no" => false, _ => null };
        else if (type == typeof(int) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)) value = i;
        else if (type == typeof(long) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) value = l;
        else if (type == typeof(double) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) value = d;
        else if (type == typeof(float) && float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && float.IsFinite(f)) value = f;
        else if (type.IsEnum) value = Enum.GetNames(type).FirstOrDefault(n => KeyOf(n) == text) is { } name ? Enum.Parse(type, name) : null;
        if (value != null) return value;
        errors.Add(new ConfigError(path, $"expected {Describe(type)}, got {Show(node)}"));
        return Activator.CreateInstance(type);
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) => "an integer",
        _ when type == typeof(double) || type == typeof(float) => "a number",
        _ when type == typeof(string) => "a string",
        { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type).Select(KeyOf)),
        _ => type.Name,
    };

    private static string Show(YamlNode node) => node switch
    {
        YamlScalarNode s => $"\"{s.Value}\"",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => node.NodeType.ToString(),
    };

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
