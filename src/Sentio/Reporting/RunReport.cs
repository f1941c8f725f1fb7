using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sentio.Evaluation;
using Sentio.IO;
using Sentio.Models;
using Sentio.Training;
using Sentio.Runs;
using Sentio.Catalog;

namespace Sentio.Reporting;

/// <summary>What <see cref="RunReport.Write(RunDirectory, string, string)"/> wrote.</summary>
/// <param name="Html">report.html: one self-contained file, figures embedded as data URIs.</param>
/// <param name="Markdown">report.md, which links the PNG files beside it.</param>
/// <param name="Images">The PNG files, in the order the report shows them.</param>
/// <param name="Notes">What the report could not show and why (e.g. no training curve for a one-epoch model).</param>
public sealed record ReportFiles(string Html, string Markdown, IReadOnlyList<string> Images, IReadOnlyList<string> Notes);

/// <summary>
/// The evaluation report of one model on one labelled split, for people: summary metrics, the per-label table,
/// every figure of <see cref="Charts"/>, and the config the run was trained with. Writes into one folder:
/// <code>
/// report.html   self-contained (figures as base64 data URIs, config HTML-escaped)
/// report.md     the same content, figures as the PNG files beside it
/// training_curves.png  roc_curves.png  precision_recall_curves.png  confusion_matrices.png
/// f1_per_label.png  threshold_f1.png  reliability.png
/// </code>
/// Curves come from the probabilities, never from thresholded predictions; the confusion matrices and the table
/// use the thresholds given.
/// </summary>
public static class RunReport
{
    /// <summary>Bins of the reliability diagram (width 0.1).</summary>
    public const int CalibrationBins = 10;

    /// <summary>Reports a split a run saved at training time: <c>predictions/{split}.csv</c> with the run's
    /// <c>thresholds.json</c> (what <c>sentio report</c> does).</summary>
    /// <param name="split">validation or test.</param>
    /// <exception cref="SentioException">A file of the run is missing or malformed; the message names it.</exception>
    public static ReportFiles Write(RunDirectory run, string split, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(run);
        string predictionsFile = run.Predictions(split);
        if (!File.Exists(predictionsFile))
            throw new SentioException($"{predictionsFile}: not found; the run has no saved {split} predictions (run 'sentio eval --model-path {run.Path}' to report from the model)");
        var predictions = SplitPredictions.Load(predictionsFile);
        if (IsSingleLabelMetrics(run.MetricsFile(split, "json")))
            return WriteSingleLabel(run.Path, predictions, $"{split} split", outputDirectory);
        var thresholds = ThresholdSet.Load(run.Thresholds, predictions.LabelNames);
        return Write(run.Path, predictions, thresholds, $"{split} split", outputDirectory);
    }

    /// <summary>Reports predictions the caller computed (what <c>sentio eval</c> does).</summary>
    /// <param name="modelPath">A run directory (its config.yaml, run.json and training_log.jsonl are shown when
    /// present) or a bare model folder.</param>
    /// <param name="predictions">Truth and probabilities, [samples, labels].</param>
    /// <param name="thresholds">Decision thresholds for every label of <paramref name="predictions"/>.</param>
    /// <param name="evaluatedOn">What the predictions are of, e.g. "test split" or a file name.</param>
    /// <exception cref="SentioException">A run file is malformed, or a label has no threshold.</exception>
    public static ReportFiles Write(string modelPath, SplitPredictions predictions, ThresholdSet thresholds, string evaluatedOn, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(thresholds);
        var labels = predictions.LabelNames;
        var chosen = thresholds.ThresholdsFor(labels);
        var metrics = MetricsReport.Compute(predictions.Truth, predictions.Probabilities, chosen, labels);
        var run = RunDirectory.IsRunDirectory(modelPath) ? new RunDirectory(modelPath) : null;
        var notes = new List<string>();

        var columns = Enumerable.Range(0, labels.Count)
            .Select(j => (Truth: Curves.Column(predictions.Truth, j), Scores: Curves.Column(predictions.Probabilities, j))).ToArray();
        var calibration = Curves.Calibration(predictions.Truth, predictions.Probabilities, CalibrationBins);
        var figures = new List<Figure>();
        var epochs = run != null && File.Exists(run.EpochLog) ? ReadEpochs(run.EpochLog) : [];
        if (epochs.Count >= 2)
            figures.Add(new Figure("training_curves.png", "Training curves", "Loss, validation macro-F1 and validation exact match per epoch (training_log.jsonl).", Charts.TrainingCurves(epochs)));
        else
            notes.Add(epochs.Count == 1
                ? "Training curves: the model was fitted in one pass (one entry in training_log.jsonl), so there is no curve to draw."
                : "Training curves: no training_log.jsonl beside the model.");
        figures.Add(new Figure("roc_curves.png", "ROC curves", "Per label, from the probabilities; the legend gives the ROC-AUC.",
            Charts.RocCurves(labels, columns.Select(c => Curves.Roc(c.Truth, c.Scores)).ToArray(), metrics.PerLabel.Select(l => l.RocAuc).ToArray())));
        figures.Add(new Figure("precision_recall_curves.png", "Precision-recall curves", "Per label, from the probabilities; the legend gives the average precision, the dashed line the label's prevalence.",
            Charts.PrecisionRecallCurves(labels, columns.Select(c => Curves.PrecisionRecall(c.Truth, c.Scores)).ToArray(),
                metrics.PerLabel.Select(l => l.AveragePrecision).ToArray(), metrics.PerLabel.Select(l => l.Support / (double)metrics.Samples).ToArray())));
        figures.Add(new Figure("confusion_matrices.png", "Confusion matrices", "Per label at its decision threshold; shade = share of the samples.", Charts.ConfusionMatrices(metrics.PerLabel)));
        figures.Add(new Figure("f1_per_label.png", "F1 per label", "Sorted, with support (true count).", Charts.F1Bars(metrics.PerLabel)));
        figures.Add(new Figure("threshold_f1.png", "F1 against the threshold", "Per label: F1 (blue), recall (orange) and precision (grey) when predicting the label for probabilities at or above the threshold; the dashed line and dot mark the threshold in use.",
            Charts.ThresholdCurves(labels, columns.Select(c => Curves.ThresholdF1(c.Truth, c.Scores)).ToArray(), chosen)));
        figures.Add(new Figure("reliability.png", "Reliability diagram", $"Probabilities of every (text, label) pair in {CalibrationBins} bins of equal width; ECE {F(calibration.ExpectedCalibrationError)}.",
            Charts.Reliability(calibration)));

        if (metrics.RocAucUndefinedLabels.Count > 0) notes.Add($"ROC-AUC undefined (one class only): {string.Join(", ", metrics.RocAucUndefinedLabels)}.");
        if (metrics.LabelsNeverPredicted.Count > 0) notes.Add($"Never predicted (precision set to 0): {string.Join(", ", metrics.LabelsNeverPredicted)}.");
        if (metrics.LabelsWithoutSupport.Count > 0) notes.Add($"No true samples (recall set to 0): {string.Join(", ", metrics.LabelsWithoutSupport)}.");

        var content = new ReportContent(
            Title: TitleOf(modelPath),
            Facts:
            [
                ("model", Path.GetFullPath(modelPath)),
                ("architecture", Architecture(modelPath, run)),
                ("evaluated on", $"{evaluatedOn} ({metrics.Samples:N0} texts, {labels.Count} labels)"),
                ("thresholds", $"{(thresholds.Strategy == ThresholdStrategy.Global ? "global" : "per label")}, tuned for {(thresholds.Objective == ThresholdObjective.MacroF1 ? "macro-F1" : "micro-F1")}"),
            ],
            Sections:
            [
                new("Summary", [new(["average", "precision", "recall", "F1"], SummaryRows(metrics).ToArray()),
                    new(["score", "value"], Scalars(metrics, calibration.ExpectedCalibrationError).Select(x => new[] { x.Name, x.Value }).ToArray())]),
                new("Per label", [new(LabelHeader, LabelRows(metrics).ToArray())]),
            ],
            Figures: figures,
            Notes: notes,
            Config: ConfigOf(run));

        return WriteFiles(content, figures, notes, outputDirectory);
    }

    /// <summary>Reports a single-label model's predictions (what <c>sentio eval</c> and <c>sentio report</c> do for a
    /// single_label_classification run): accuracy and the macro / micro / weighted averages, the per-class report and the
    /// n × n confusion matrix of the most probable label, shaded by each true class's share, plus the training curves when
    /// there are two epochs or more. No thresholds and no per-label curves: the decision is the argmax.</summary>
    /// <param name="predictions">One-hot truth and softmax probabilities, [samples, classes].</param>
    /// <exception cref="ArgumentException">A truth row without exactly one true class.</exception>
    public static ReportFiles WriteSingleLabel(string modelPath, SplitPredictions predictions, string evaluatedOn, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var report = SingleLabelMetrics.Report(predictions);
        var names = report.ClassNames;
        var run = RunDirectory.IsRunDirectory(modelPath) ? new RunDirectory(modelPath) : null;
        var notes = new List<string>();
        var figures = new List<Figure>();
        var epochs = run != null && File.Exists(run.EpochLog) ? ReadEpochs(run.EpochLog) : [];
        if (epochs.Count >= 2)
            figures.Add(new Figure("training_curves.png", "Training curves", "Loss, validation macro-F1 and validation accuracy per epoch (training_log.jsonl).", Charts.TrainingCurves(epochs)));
        else notes.Add("Training curves: fewer than two epochs in training_log.jsonl, so there is no curve to draw.");
        var neverPredicted = names.Where((_, c) => Enumerable.Range(0, names.Count).All(t => report.ConfusionMatrix[t, c] == 0)).ToArray();
        if (neverPredicted.Length > 0) notes.Add($"Never predicted (precision set to 0): {string.Join(", ", neverPredicted)}.");
        var unsupported = names.Where((_, c) => report.Support[c] == 0).ToArray();
        if (unsupported.Length > 0) notes.Add($"No true samples (recall set to 0): {string.Join(", ", unsupported)}.");

        int samples = report.Support.Sum();
        var confusionRows = names.Select((name, t) => (string[])[name, .. Enumerable.Range(0, names.Count).Select(p => I(report.ConfusionMatrix[t, p]))]).ToArray();
        // Shade = the cell's share of its true class, so each row reads as where that class's texts went.
        var shades = names.Select((_, t) => (double[])[0, .. Enumerable.Range(0, names.Count)
            .Select(p => report.Support[t] == 0 ? 0 : report.ConfusionMatrix[t, p] / (double)report.Support[t])]).ToArray();
        var content = new ReportContent(
            Title: TitleOf(modelPath),
            Facts:
            [
                ("model", Path.GetFullPath(modelPath)),
                ("architecture", Architecture(modelPath, run)),
                ("evaluated on", $"{evaluatedOn} ({samples:N0} texts, {names.Count} classes)"),
                ("problem type", "single_label_classification: the prediction is the most probable class (no thresholds)"),
            ],
            Sections:
            [
                new("Summary", [new(["average", "precision", "recall", "F1"],
                    [["macro avg", F(report.Macro.Precision), F(report.Macro.Recall), F(report.Macro.F1)],
                     ["weighted avg", F(report.Weighted.Precision), F(report.Weighted.Recall), F(report.Weighted.F1)],
                     ["micro avg", F(report.Micro.Precision), F(report.Micro.Recall), F(report.Micro.F1)]]),
                    new(["score", "value"], [["accuracy", F(report.Accuracy)]])]),
                new("Per class", [new(["class", "precision", "recall", "F1", "support"],
                    names.Select((n, c) => new[] { n, F(report.PerClass[c].Precision), F(report.PerClass[c].Recall), F(report.PerClass[c].F1), I(report.Support[c]) }).ToArray())]),
                new("Confusion matrix (rows: true class, columns: predicted class)", [new(["true \\ predicted", .. names], confusionRows, shades)]),
            ],
            Figures: figures,
            Notes: notes,
            Config: ConfigOf(run));
        return WriteFiles(content, figures, notes, outputDirectory);
    }

    /// <summary>Whether the metrics file training wrote beside the predictions is a single-label one (it names its
    /// problem type); a run without one is reported as multi-label.</summary>
    private static bool IsSingleLabelMetrics(string metricsFile)
    {
        if (!File.Exists(metricsFile)) return false;
        try { return JsonNode.Parse(File.ReadAllText(metricsFile))?["problem_type"]?.GetValue<string>() == SingleLabelReportFiles.ProblemType; }
        catch (JsonException e) { throw new SentioException($"{metricsFile}: invalid JSON: {e.Message}", e); }
    }

    private static string TitleOf(string modelPath) => $"Sentio report: {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath)))}";

    private static string? ConfigOf(RunDirectory? run) => run != null && File.Exists(run.Config) ? File.ReadAllText(run.Config) : null;

    private static ReportFiles WriteFiles(ReportContent content, IReadOnlyList<Figure> figures, IReadOnlyList<string> notes, string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        var images = new List<string>();
        foreach (var figure in figures)
        {
            string path = Path.Combine(outputDirectory, figure.FileName);
            AtomicFile.Write(path, stream => stream.Write(figure.Png));
            images.Add(path);
        }
        string html = Path.Combine(outputDirectory, "report.html"), markdown = Path.Combine(outputDirectory, "report.md");
        AtomicFile.WriteText(markdown, ToMarkdown(content));
        AtomicFile.WriteText(html, ToHtml(content));
        return new ReportFiles(html, markdown, images, notes);
    }

    private sealed record Figure(string FileName, string Title, string Caption, byte[] Png);

    /// <param name="Shades">Per cell, a share in [0, 1] that the HTML shades the cell by (a heatmap); null: no shading.</param>
    private sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows, IReadOnlyList<double[]>? Shades = null);

    private sealed record Section(string Title, IReadOnlyList<Table> Tables);

    private sealed record ReportContent(
        string Title, IReadOnlyList<(string Name, string Value)> Facts, IReadOnlyList<Section> Sections,
        IReadOnlyList<Figure> Figures, IReadOnlyList<string> Notes, string? Config);

    /// <summary>The epochs of a <c>training_log.jsonl</c>, one <see cref="EpochSummary"/> per line.</summary>
    /// <exception cref="SentioException">A line is not an epoch summary; the message names file:line.</exception>
    public static IReadOnlyList<EpochSummary> ReadEpochs(string path)
    {
        var epochs = new List<EpochSummary>();
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            if (text.Trim().Length == 0) continue;
            try
            {
                epochs.Add(JsonSerializer.Deserialize<EpochSummary>(text, AtomicFile.JsonLine)
                    ?? throw SentioException.At(path, line, "null instead of an epoch summary"));
            }
            catch (JsonException e)
            {
                throw SentioException.At(path, line, $"not an epoch summary: {e.Message}");
            }
        }
        return epochs;
    }

    private static string Architecture(string modelPath, RunDirectory? run)
    {
        string manifest = Path.Combine(run?.Model ?? modelPath, ModelManifest.FileName);
        if (!File.Exists(manifest)) return "n/a";
        try { return JsonNode.Parse(File.ReadAllText(manifest))?["architecture"]?.GetValue<string>() ?? "n/a"; }
        catch (JsonException e) { throw new SentioException($"{manifest}: invalid JSON: {e.Message}", e); }
    }

    private static IEnumerable<string[]> SummaryRows(MetricsReport m)
    {
        foreach (var row in new[] { m.MicroAvg, m.MacroAvg, m.WeightedAvg, m.SamplesAvg })
            yield return [row.Name, F(row.Precision), F(row.Recall), F(row.F1)];
    }

    private static IEnumerable<(string Name, string Value)> Scalars(MetricsReport m, double expectedCalibrationError) =>
    [
        ("subset accuracy (exact match)", F(m.SubsetAccuracy)),
        ("hamming loss", F(m.HammingLoss)),
        ("hamming score", F(m.HammingScore)),
        ("macro ROC-AUC", F(m.MacroRocAuc)),
        ("macro average precision", F(m.MacroAveragePrecision)),
        ($"expected calibration error ({CalibrationBins} bins)", F(expectedCalibrationError)),
    ];

    private static readonly string[] LabelHeader = ["label", "threshold", "precision", "recall", "F1", "ROC-AUC", "avg precision", "support", "TP", "FP", "FN", "TN"];

    private static IEnumerable<string[]> LabelRows(MetricsReport m) => m.PerLabel.Select(l => new[]
    {
        l.Label, F(l.Threshold), F(l.Precision), F(l.Recall), F(l.F1), F(l.RocAuc), F(l.AveragePrecision),
        I(l.Support), I(l.Tp), I(l.Fp), I(l.Fn), I(l.Tn),
    });

    private static string ToMarkdown(ReportContent c)
    {
        var md = new StringBuilder();
        md.AppendLine($"# {c.Title}").AppendLine();
        foreach (var (name, value) in c.Facts) md.AppendLine($"- **{name}**: {value}");
        foreach (var section in c.Sections)
        {
            md.AppendLine().AppendLine($"## {section.Title}");
            foreach (var table in section.Tables)
            {
                md.AppendLine();
                MarkdownTable(md, table.Header, table.Rows);
            }
        }
        if (c.Notes.Count > 0)
        {
            md.AppendLine().AppendLine("## Notes").AppendLine();
            foreach (string note in c.Notes) md.AppendLine($"- {note}");
        }
        foreach (var figure in c.Figures)
            md.AppendLine().AppendLine($"## {figure.Title}").AppendLine().AppendLine(figure.Caption).AppendLine().AppendLine($"![{figure.Title}]({figure.FileName})");
        if (c.Config != null)
            md.AppendLine().AppendLine("## Config").AppendLine().AppendLine("````yaml").Append(c.Config.TrimEnd()).AppendLine().AppendLine("````");
        return md.ToString();
    }

    private static void MarkdownTable(StringBuilder md, IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        static string Cell(string text) => text.Replace("|", "\\|");
        md.AppendLine("| " + string.Join(" | ", header.Select(Cell)) + " |");
        md.AppendLine("|" + string.Join("|", header.Select((_, k) => k == 0 ? " --- " : " ---: ")) + "|");
        foreach (var row in rows) md.AppendLine("| " + string.Join(" | ", row.Select(Cell)) + " |");
    }

    private static string ToHtml(ReportContent c)
    {
        static string E(string text) => WebUtility.HtmlEncode(text);
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine($"<title>{E(c.Title)}</title>");
        html.AppendLine("""
            <style>
            body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1240px; padding: 0 1em; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            th { background: #f2f2f2; }
            figure { margin: 1.5em 0; }
            figure img { max-width: 100%; border: 1px solid #ddd; }
            figcaption { color: #555; margin-top: 0.3em; }
            pre { background: #f7f7f7; padding: 1em; overflow-x: auto; }
            </style>
            </head><body>
            """);
        html.AppendLine($"<h1>{E(c.Title)}</h1>");
        html.AppendLine("<ul>");
        foreach (var (name, value) in c.Facts) html.AppendLine($"<li><b>{E(name)}</b>: {E(value)}</li>");
        html.AppendLine("</ul>");
        foreach (var section in c.Sections)
        {
            html.AppendLine($"<h2>{E(section.Title)}</h2>");
            foreach (var table in section.Tables) HtmlTable(html, table);
        }
        if (c.Notes.Count > 0)
        {
            html.AppendLine("<h2>Notes</h2><ul>");
            foreach (string note in c.Notes) html.AppendLine($"<li>{E(note)}</li>");
            html.AppendLine("</ul>");
        }
        foreach (var figure in c.Figures)
        {
            html.AppendLine($"<h2>{E(figure.Title)}</h2>");
            html.AppendLine($"<figure><img alt=\"{E(figure.Title)}\" src=\"data:image/png;base64,{Convert.ToBase64String(figure.Png)}\">");
            html.AppendLine($"<figcaption>{E(figure.Caption)}</figcaption></figure>");
        }
        if (c.Config != null) html.AppendLine("<h2>Config</h2>").AppendLine($"<pre>{E(c.Config)}</pre>");
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    private static void HtmlTable(StringBuilder html, Table table)
    {
        static string E(string text) => WebUtility.HtmlEncode(text);
        string Shade(int row, int column) => table.Shades?[row][column] is { } share and > 0
            ? $" style=\"background: rgba(31, 119, 180, {share.ToString("0.###", CultureInfo.InvariantCulture)})\"" : "";
        html.AppendLine("<table><thead><tr>" + string.Concat(table.Header.Select(h => $"<th>{E(h)}</th>")) + "</tr></thead><tbody>");
        for (int r = 0; r < table.Rows.Count; r++)
            html.AppendLine("<tr>" + string.Concat(table.Rows[r].Select((cell, k) => k == 0 ? $"<td>{E(cell)}</td>" : $"<td class=\"n\"{Shade(r, k)}>{E(cell)}</td>")) + "</tr>");
        html.AppendLine("</tbody></table>");
    }

    private static string F(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.0000", CultureInfo.InvariantCulture);

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
