using Sentio.Data;
using Sentio.IO;

namespace Sentio.Reporting;

/// <summary>The figures of a dataset analysis (<c>sentio analyze --plots DIR</c>).</summary>
public static class DatasetPlots
{
    /// <summary>Writes label_frequencies.png (every split) and co_occurrence.png (the first split, normally
    /// train) into <paramref name="directory"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(DatasetAnalysis analysis, string directory)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var files = new List<string>();
        foreach (var (name, png) in new[] { ("label_frequencies.png", Charts.LabelFrequencies(analysis)), ("co_occurrence.png", Charts.CoOccurrence(analysis)) })
        {
            string path = Path.Combine(directory, name);
            AtomicFile.Write(path, stream => stream.Write(png));
            files.Add(path);
        }
        return files;
    }
}
