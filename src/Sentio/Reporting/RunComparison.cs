using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sentio.Evaluation;
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
/// <param name="SubsetAccuracy">Exact-match accuracy; for a single-label run, plain accuracy.</param>
/// <param name="MicroPrecision">NaN for a single-label run (it equals accuracy there; the table leaves it out), as are
/// <paramref name="MicroRecall"/> and <paramref name="HammingLoss"/>.</param>
/// <param name="WeightedF1">A single-label run's support-weighted F1; NaN for a multi-label run.</param>
public sealed record ComparisonRow(
    string Run, string Architecture, long? Parameters, double? FitSeconds,
    double MicroF1, double MacroF1, double MicroPrecision, double MicroRecall, double HammingLoss, double SubsetAccuracy,
    double WeightedF1 = double.NaN);

/// <summary>Several runs side by side (<c>sentio compare</c>), as Markdown, CSV and a grouped bar chart of
/// macro- and micro-F1. Runs of one problem type only: single-label runs are compared on accuracy, macro-, weighted- and
/// micro-F1 of the most probable label, multi-label runs on their thresholded metrics.</summary>
public sealed record RunComparison(string Split, IReadOnlyList<ComparisonRow> Rows, bool SingleLabel = false)
{
    private static readonly string[] MultiLabelHeader =
        ["model", "architecture", "parameters", "training time (s)", "micro-F1", "macro-F1", "micro precision", "micro recall", "hamming loss", "subset accuracy"];

    private static readonly string[] SingleLabelHeader =
        ["model", "architecture", "parameters", "training time (s)", "accuracy", "macro-F1", "weighted-F1", "micro-F1"];

    private string[] Header => SingleLabel ? SingleLabelHeader : MultiLabelHeader;

    /// <summary>Reads the runs, in the order given.</summary>
    /// <param name="split">The metrics file each run is read from: <c>metrics/{split}.json</c>.</param>
    /// <exception cref="SentioException">A path is not a run directory, a file it needs is missing or lacks a key (the
    /// message names the file and key), or single-label and multi-label runs are mixed.</exception>
    public static RunComparison Of(IReadOnlyList<string> runPaths, string split = "test")
    {
        if (runPaths.Count == 0) throw new SentioException("compare: give at least one run directory");
        var rows = runPaths.Select(path => Read(path, split)).ToArray();
        var single = rows.Where(r => r.SingleLabel).Select(r => r.Row.Run).ToArray();
        if (single.Length > 0 && single.Length < rows.Length)
            throw new SentioException($"compare: {string.Join(", ", single)} {(single.Length == 1 ? "is a single-label run" : "are single-label runs")} " +
                $"(accuracy, argmax F1) and {string.Join(", ", rows.Where(r => !r.SingleLabel).Select(r => r.Row.Run))} multi-label (thresholded F1); their figures do not compare — compare each kind separately");
        return new RunComparison(split, rows.Select(r => r.Row).ToArray(), single.Length > 0);
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
                r.FitSeconds is { } s ? R(s) : "", .. Scores(r).Select(R)]);
        return CsvText.Write(Header.Select(h => h.Replace(' ', '_').Replace("(s)", "seconds").Replace("-", "_")).ToArray(), rows);
    }

    /// <summary>Grouped bars of macro- and micro-F1 per run (for single-label runs micro-F1 is accuracy), as PNG bytes.</summary>
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
        return Rows.Select(r => (string[])
        [
            r.Run, r.Architecture, r.Parameters?.ToString("N0", CultureInfo.InvariantCulture) ?? "n/a",
            r.FitSeconds?.ToString("0.0", CultureInfo.InvariantCulture) ?? "n/a",
            .. Scores(r).Select(F),
        ]);
    }

    /// <summary>The score columns of <see cref="Header"/> after the first four, for one row.</summary>
    private IEnumerable<double> Scores(ComparisonRow r) => SingleLabel
        ? [r.SubsetAccuracy, r.MacroF1, r.WeightedF1, r.MicroF1]
        : [r.MicroF1, r.MacroF1, r.MicroPrecision, r.MicroRecall, r.HammingLoss, r.SubsetAccuracy];

    private static (ComparisonRow Row, bool SingleLabel) Read(string path, string split)
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
        string name = Path.GetFileName(run.Path);
        long? parameterCount = summary?["parameters"] is JsonValue parameters && parameters.TryGetValue(out long count) ? count : null;
        double? fitSeconds = summary?["fit_seconds"]?.GetValue<double>();
        if (metrics["problem_type"]?.GetValue<string>() == SingleLabelReportFiles.ProblemType)
            return (new ComparisonRow(name, architecture, parameterCount, fitSeconds, Number("micro_avg", "f1"), Number("macro_avg", "f1"),
                double.NaN, double.NaN, double.NaN, Number("accuracy"), Number("weighted_avg", "f1")), true);
        return (new ComparisonRow(name, architecture, parameterCount, fitSeconds,
            Number("micro_avg", "f1"), Number("macro_avg", "f1"), Number("micro_avg", "precision"), Number("micro_avg", "recall"),
            Number("hamming_loss"), Number("subset_accuracy")), false);
    }

    private static JsonObject ReadJson(string path)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: not found");
        try { return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new SentioException($"{path}: empty"); }
        catch (JsonException e) { throw new SentioException($"{path}: invalid JSON: {e.Message}", e); }
    }
}
