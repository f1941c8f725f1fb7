namespace Sentio.Tests;

/// <summary>The linear config on SemEval Track A (2.8k texts, 5 labels: seconds to train) that end-to-end tests train.</summary>
internal static class SemEvalLinearConfig
{
    /// <param name="modelKey">One more key of the model section, e.g. <c>char_ngrams: null</c>.</param>
    /// <param name="section">One more top-level line after the model section, e.g. <c>thresholds: { strategy: maybe }</c>.</param>
    public static string Yaml(string modelKey = "", string section = "") => $"""
        seed: 5
        data:
          dataset: semeval2025-track-a
        model:
          architecture: sentio.NGramLinear.v1
          c: 2.0
          {modelKey}
        {section}
        """;

    /// <summary>Writes <see cref="Yaml"/> to <paramref name="folder"/>/<paramref name="name"/> and returns the path.</summary>
    public static string Write(string folder, string name, string modelKey = "", string section = "")
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, Yaml(modelKey, section));
        return path;
    }
}
