namespace Sentio.IO;

/// <summary>RFC 4180 quoting of one CSV field, in the one place every CSV writer uses.</summary>
public static class CsvField
{
    /// <summary>The field as written: quoted (inner quotes doubled) when it holds a comma, a quote or a line break.</summary>
    public static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
