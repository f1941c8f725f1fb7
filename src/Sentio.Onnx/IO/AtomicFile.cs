using System.Text;
using System.Text.Json;

namespace Sentio.IO;

/// <summary>Writes files so that a reader never sees a half-written one: the content goes to a temporary
/// file in the same folder, which then replaces the target in one rename.</summary>
public static class AtomicFile
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>As <see cref="Json"/>, on one line (for JSON Lines files).</summary>
    public static readonly JsonSerializerOptions JsonLine = new(Json) { WriteIndented = false };

    public static void Write(string path, Action<Stream> write)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/>, which appears whole or not at all.</summary>
    public static void Copy(string source, string target) =>
        Write(target, stream =>
        {
            using var input = File.OpenRead(source);
            input.CopyTo(stream);
        });

    public static void WriteText(string path, string text) =>
        Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(text)));

    public static void WriteJson<T>(string path, T value) =>
        Write(path, stream => JsonSerializer.Serialize(stream, value, Json));
}
