namespace Sentio.Serving;

/// <summary>The API key file of <c>sentio serve --api-key-file</c>: one line holding the key (surrounding whitespace ignored),
/// so the key never appears in a command line or a process list.</summary>
public static class ApiKeyFile
{
    /// <exception cref="SentioException">The file is missing, empty, or holds more than one line.</exception>
    public static string Read(string path)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: no such API key file");
        string key = File.ReadAllText(path).Trim();
        if (key.Length == 0) throw new SentioException($"{path}: empty; put the API key on its first line");
        if (key.IndexOfAny(['\n', '\r']) >= 0) throw new SentioException($"{path}:2: more than one line; the file holds only the API key");
        return key;
    }
}
