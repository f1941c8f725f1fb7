using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sentio.IO;
using Sentio.Models;
using Sentio.Training;
using Sentio.Catalog;
using Sentio.Runs;

namespace Sentio.Reporting;

/// <summary>One run's line in a comparison: the split's metrics (from <c>metrics/{split}.json</c>) at the run's
/// tuned thresholds, and its size and fit time (from <c>run.json</c>).</summary>
/// <param name="Parameters">The model's learned numbers as training recorded them in run.json; null (shown as n/a) when unknown.</param>
/// <param name="FitSeconds">Model fitting time; null when the run has no run.json.</param>
public sealed record ComparisonRow(
    string Run, string Architecture, long? Parameters, double? FitSeconds,
    double MicroF1, double MacroF1, double MicroPrecision, double MicroRecall, double HammingLoss, double SubsetAccuracy);

/// <summary>Several runs side by side (<c>sentio compare</c>), as Markdown, CSV and a grouped bar chart of
/// macro- and micro-F1.</summary>
public sealed record RunComparison(string Split, IReadOnlyList<ComparisonRow> Rows)
{
    private static readonly string[] Header =
        ["model", "architecture", "parameters", "training time (s)", "micro-F1", "macro-F1", "micro precision", "micro recall", "hamming loss", "subset accuracy"];

    /// <summary>Reads the runs, in the order given.</summary>
    /// <param name="split">The metrics file each run is read from: <c>metrics/{split}.json</c>.</param>
    /// <exception cref="SentioException">A path is not a run directory, or a file it needs is missing or lacks a
    /// key; the message names the file and key.</exception>
    public static RunComparison Of(IReadOnlyList<string> runPaths, string split = "test")
    {
        if (runPaths.Count == 0) throw new SentioException("compare: give at least one run directory");
        return new RunComparison(split, runPaths.Select(path => Read(path, split)).ToArray());
    }

    /// <summary>A Markdown table, one row per run.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("| " + string.Join(" | ", Header) + " |");
        md.AppendLine("|" + string.Join("|", Header.Select((_, k) => k < 2 ? " --- " : " ---: ")) + "|");
        foreach (var cells in Cells()) md.AppendLine("| " + string.Join(" | ", cells.Select(c => c.Replace("|", "\\|"))) + " |");
        return md.ToString();
    }

    /// <summary>The same table as CSV (RFC 4180 quoting, full-precision numbers, empty cells for n/a).</summary>
    public string ToCsv()
    {
        static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);
        var rows = Rows.Select(r => (IReadOnlyList<string>)
            [r.Run, r.Architecture, r.Parameters?.ToString(CultureInfo.InvariantCulture) ?? "",
                r.FitSeconds is { } s ? R(s) : "", R(r.MicroF1), R(r.MacroF1), R(r.MicroPrecision), R(r.MicroRecall), R(r.HammingLoss), R(r.SubsetAccuracy)]);
        return CsvText.Write(Header.Select(h => h.Replace(' ', '_').Replace("(s)", "seconds").Replace("-", "_")).ToArray(), rows);
    }

    /// <summary>Grouped bars of macro- and micro-F1 per run, as PNG bytes.</summary>
    public byte[] Chart() =>
        Charts.ComparisonBars(Rows.Select(r => r.Run).ToArray(), Rows.Select(r => r.MacroF1).ToArray(), Rows.Select(r => r.MicroF1).ToArray());

    /// <summary>Writes compare.md, compare.csv and compare.png into <paramref name="directory"/>; returns their paths.</summary>
    public IReadOnlyList<string> Write(string directory)
    {
        string md = Path.Combine(directory, "compare.md"), csv = Path.Combine(directory, "compare.csv"), png = Path.Combine(directory, "compare.png");
        AtomicFile.WriteText(md, ToMarkdown());
        AtomicFile.WriteText(csv, ToCsv());
        byte[] chart = Chart();
        AtomicFile.Write(png, stream => stream.Write(chart));
        return [md, csv, png];
    }

    private IEnumerable<string[]> Cells()
    {
        static string F(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.0000", CultureInfo.InvariantCulture);
        return Rows.Select(r => new[]
        {
            r.Run, r.Architecture, r.Parameters?.ToString("N0", CultureInfo.InvariantCulture) ?? "n/a",
            r.FitSeconds?.ToString("0.0", CultureInfo.InvariantCulture) ?? "n/a",
            F(r.MicroF1), F(r.MacroF1), F(r.MicroPrecision), F(r.MicroRecall), F(r.HammingLoss), F(r.SubsetAccuracy),
        });
    }

    private static ComparisonRow Read(string path, string split)
    {
        var run = RunDirectory.Open(path);
        string metricsFile = run.MetricsFile(split, "json");
        var metrics = ReadJson(metricsFile);
        double Number(params string[] keys)
        {
            JsonNode? node = metrics;
            foreach (string key in keys) node = node?[key];
            if (node is not JsonValue value) throw new SentioException($"{metricsFile}: no '{string.Join('.', keys)}'");
            // NaN is written as the string "NaN" (AtomicFile.Json allows named floating-point literals)
            return value.Deserialize<double>(AtomicFile.Json);
        }
        JsonObject? summary = File.Exists(run.Summary) ? ReadJson(run.Summary) : null;
        var manifest = ReadJson(Path.Combine(run.Model, ModelManifest.FileName));
        string architecture = manifest["architecture"]?.GetValue<string>() ?? "n/a";
        return new ComparisonRow(
            Path.GetFileName(run.Path), architecture, summary?["parameters"] is JsonValue parameters && parameters.TryGetValue(out long count) ? count : null,
            summary?["fit_seconds"]?.GetValue<double>(),
            Number("micro_avg", "f1"), Number("macro_avg", "f1"), Number("micro_avg", "precision"), Number("micro_avg", "recall"),
            Number("hamming_loss"), Number("subset_accuracy"));
    }

    private static JsonObject ReadJson(string path)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: not found");
        try { return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new SentioException($"{path}: empty"); }
        catch (JsonException e) { throw new SentioException($"{path}: invalid JSON: {e.Message}", e); }
    }
}
