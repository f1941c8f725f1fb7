using System.Globalization;
using ScottPlot;
using Sentio.Data;
using Sentio.Evaluation;
using Sentio.Training;

namespace Sentio.Reporting;

/// <summary>
/// The report's figures as PNG bytes, drawn with ScottPlot 5 (SkiaSharp; renders headless, needs a TrueType font
/// such as Debian's fonts-dejavu-core). Charts only draw: every number comes from <see cref="Curves"/>,
/// <see cref="MetricsReport"/> or <see cref="DatasetAnalysis"/>. Per-label figures are grids of small panels,
/// one per label, in label order.
/// </summary>
public static class Charts
{
    private const int PanelWidth = 300, PanelHeight = 260, GridColumns = 4;

    // Prefer DejaVu Sans (Debian's fonts-dejavu-core) over whatever Skia falls back to for ScottPlot's default.
    private static readonly string FontFamily = SkiaSharp.SKFontManager.Default.GetFontFamilies().Contains("DejaVu Sans") ? "DejaVu Sans" : Fonts.Default;
    private static readonly Color Primary = Color.FromHex("#1f77b4"), Secondary = Color.FromHex("#ff7f0e"), Muted = Color.FromHex("#999999");

    /// <summary>Loss per epoch (train and validation) beside validation macro-F1 and exact match (subset
    /// accuracy) per epoch; values a model did not measure are left out.</summary>
    /// <exception cref="ArgumentException">Fewer than two epochs: there is no curve to draw.</exception>
    public static byte[] TrainingCurves(IReadOnlyList<EpochSummary> epochs)
    {
        if (epochs.Count < 2) throw new ArgumentException($"{epochs.Count} epoch(s): a training curve needs at least two.", nameof(epochs));
        return Grid(2, 2, 480, 340, (plot, panel) =>
        {
            var series = panel == 0
                ? new[] { ("train loss", (Func<EpochSummary, double?>)(e => e.TrainLoss)), ("validation loss", e => e.ValidationLoss) }
                : new[] { ("validation macro-F1", (Func<EpochSummary, double?>)(e => e.ValidationMacroF1)), ("validation exact match", e => e.ValidationSubsetAccuracy) };
            plot.Title(panel == 0 ? "Loss per epoch" : "Validation scores per epoch", 14);
            plot.XLabel("epoch", 12);
            // whole epochs only, about ten ticks at most
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(Math.Max(1, Math.Ceiling(epochs.Count / 10.0)));
            plot.YLabel(panel == 0 ? "loss" : "score", 12);
            int drawn = 0;
            foreach (var ((name, value), color) in series.Zip(new[] { Primary, Secondary }))
            {
                var points = epochs.Where(e => value(e).HasValue).ToArray();
                if (points.Length == 0) continue;
                var line = plot.Add.Scatter(points.Select(e => (double)e.Epoch).ToArray(), points.Select(e => value(e)!.Value).ToArray(), color);
                line.LegendText = name;
                drawn++;
            }
            if (drawn == 0) NoData(plot, "not measured by this model");
            else plot.ShowLegend(Edge.Bottom); // below the axes: a legend inside would hide points
        });
    }

    /// <summary>One ROC panel per label with the chance diagonal; the legend gives the label's ROC-AUC.
    /// <paramref name="curves"/> and <paramref name="rocAuc"/>: [labels].</summary>
    public static byte[] RocCurves(IReadOnlyList<string> labels, IReadOnlyList<RocCurve> curves, IReadOnlyList<double> rocAuc) =>
        LabelGrid(labels.Count, (plot, j) =>
        {
            plot.Title(labels[j], 12);
            plot.XLabel("false positive rate", 10);
            plot.YLabel("true positive rate", 10);
            UnitSquare(plot);
            var diagonal = plot.Add.Line(0, 0, 1, 1);
            diagonal.LineColor = Muted;
            diagonal.LinePattern = LinePattern.Dashed;
            if (!curves[j].IsDefined)
            {
                NoData(plot, "one class only: undefined");
                return;
            }
            var line = plot.Add.ScatterLine(curves[j].FalsePositiveRate, curves[j].TruePositiveRate, Primary);
            line.LineWidth = 2;
            line.LegendText = $"AUC {Number(rocAuc[j])}";
            Legend(plot, Alignment.LowerRight);
        });

    /// <summary>One precision-recall panel per label (step-wise, as average precision integrates it) with the
    /// label's prevalence as the chance level; the legend gives the average precision. All arguments: [labels].</summary>
    public static byte[] PrecisionRecallCurves(IReadOnlyList<string> labels, IReadOnlyList<PrecisionRecallCurve> curves,
        IReadOnlyList<double> averagePrecision, IReadOnlyList<double> prevalence) =>
        LabelGrid(labels.Count, (plot, j) =>
        {
            plot.Title(labels[j], 12);
            plot.XLabel("recall", 10);
            plot.YLabel("precision", 10);
            UnitSquare(plot);
            var chance = plot.Add.HorizontalLine(prevalence[j], 1, Muted, LinePattern.Dashed);
            chance.LegendText = $"prevalence {Number(prevalence[j])}";
            var line = plot.Add.ScatterLine(curves[j].Recall, curves[j].Precision, Primary);
            line.ConnectStyle = ConnectStyle.StepHorizontal; // precision k holds over recall (R[k+1], R[k]]
            line.LineWidth = 2;
            line.LegendText = $"AP {Number(averagePrecision[j])}";
            Legend(plot, Alignment.LowerLeft);
        });

    /// <summary>One 2×2 confusion matrix per label (rows: truth 1, 0; columns: predicted 1, 0), cells shaded by
    /// their share of the samples. <paramref name="perLabel"/>: [labels].</summary>
    public static byte[] ConfusionMatrices(IReadOnlyList<LabelMetrics> perLabel) =>
        LabelGrid(perLabel.Count, (plot, j) =>
        {
            var m = perLabel[j];
            double total = m.Tp + m.Fp + m.Fn + m.Tn;
            plot.Title($"{m.Label} (threshold {Number(m.Threshold)})", 11);
            var cells = new (int Column, int Row, int Count, string Name)[] { (0, 1, m.Tp, "TP"), (1, 1, m.Fn, "FN"), (0, 0, m.Fp, "FP"), (1, 0, m.Tn, "TN") };
            foreach (var (column, row, count, name) in cells)
            {
                double share = total == 0 ? 0 : count / total;
                var cell = plot.Add.Rectangle(column, column + 1, row, row + 1);
                cell.FillColor = Shade(share);
                cell.LineColor = Colors.White;
                var text = plot.Add.Text($"{name}\n{count}", column + 0.5, row + 0.5);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = 13;
                text.LabelFontColor = share > 0.5 ? Colors.White : Colors.Black;
            }
            plot.Axes.SetLimits(0, 2, 0, 2);
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([0.5, 1.5], ["predicted 1", "predicted 0"]);
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([0.5, 1.5], ["true 0", "true 1"]);
            plot.Grid.IsVisible = false;
        });

    /// <summary>Per-label F1 as horizontal bars, best first, each annotated with its F1 and support (true count).
    /// <paramref name="perLabel"/>: [labels].</summary>
    public static byte[] F1Bars(IReadOnlyList<LabelMetrics> perLabel)
    {
        var sorted = perLabel.OrderByDescending(l => l.F1).ThenBy(l => l.Label, StringComparer.Ordinal).ToArray();
        var plot = NewPlot();
        // the best label on top: positions count down
        var bars = sorted.Select((l, k) => new Bar
        {
            Position = sorted.Length - 1 - k,
            Value = l.F1,
            FillColor = Primary,
            Label = $"{Number(l.F1)}  (n={l.Support})",
        }).ToArray();
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        barPlot.ValueLabelStyle.FontSize = 11;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            sorted.Select((_, k) => (double)(sorted.Length - 1 - k)).ToArray(), sorted.Select(l => l.Label).ToArray());
        plot.Axes.SetLimits(0, 1.25, -0.75, sorted.Length - 0.25);
        plot.Title("F1 per label (n = support)", 14);
        plot.XLabel("F1", 12);
        plot.Grid.YAxisStyle.IsVisible = false;
        return Png(plot, 800, 120 + 24 * sorted.Length);
    }

    /// <summary>F1 (blue, thick), recall (orange) and precision (grey) against the decision threshold for each
    /// label; a dashed line and a dot mark the chosen threshold, whose F1 the panel title gives (no legend, so that
    /// no curve hides behind it). <paramref name="curves"/> and <paramref name="chosenThresholds"/>: [labels].</summary>
    public static byte[] ThresholdCurves(IReadOnlyList<string> labels, IReadOnlyList<ThresholdF1Curve> curves, IReadOnlyList<double> chosenThresholds) =>
        LabelGrid(labels.Count, (plot, j) =>
        {
            var curve = curves[j];
            double chosen = chosenThresholds[j];
            plot.Title($"{labels[j]}: threshold {Number(chosen)}, F1 {Number(curve.F1At(chosen))}", 11);
            plot.XLabel("threshold", 10);
            UnitSquare(plot);
            // Each score holds from the threshold up to the next distinct score; above the highest nothing is predicted.
            double[] xs = [0, .. curve.Thresholds, 1];
            void Series(double[] values, Color color, float width)
            {
                // vertical first: the value of threshold k holds from threshold k-1 (exclusive) up to k
                var line = plot.Add.Scatter(xs, [values[0], .. values, 0], color);
                line.ConnectStyle = ConnectStyle.StepVertical;
                line.MarkerSize = 0;
                line.LineWidth = width;
            }
            Series(curve.Precision, Muted, 1);
            Series(curve.Recall, Secondary, 1);
            Series(curve.F1, Primary, 2);
            plot.Add.VerticalLine(chosen, 1, Colors.Black, LinePattern.Dashed);
            plot.Add.Marker(chosen, curve.F1At(chosen), MarkerShape.FilledCircle, 8, Colors.Black);
        });

    /// <summary>Reliability diagram: mean predicted probability against observed frequency per bin, pooled over
    /// labels, with the diagonal of perfect calibration and the ECE in the title.</summary>
    public static byte[] Reliability(CalibrationCurve calibration)
    {
        var plot = NewPlot();
        var filled = calibration.Bins.Where(b => b.Count > 0).ToArray();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Muted;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LegendText = "perfect calibration";
        var line = plot.Add.Scatter(filled.Select(b => b.MeanPredicted).ToArray(), filled.Select(b => b.ObservedFrequency).ToArray(), Primary);
        line.LineWidth = 2;
        line.MarkerSize = 8;
        line.LegendText = "model (bins of width " + Number(calibration.Bins[0].Upper - calibration.Bins[0].Lower) + ")";
        foreach (var b in filled)
        {
            var count = plot.Add.Text($"n={b.Count}", b.MeanPredicted, b.ObservedFrequency);
            count.LabelFontSize = 9;
            count.OffsetY = -8;
            count.Alignment = Alignment.LowerCenter;
        }
        UnitSquare(plot);
        plot.Title($"Reliability, pooled over labels — ECE {Number(calibration.ExpectedCalibrationError)}", 14);
        plot.XLabel("mean predicted probability", 12);
        plot.YLabel("observed frequency", 12);
        plot.ShowLegend(Alignment.UpperLeft);
        return Png(plot, 640, 560);
    }

    /// <summary>Texts per label in each split of an analysis, as grouped horizontal bars.</summary>
    public static byte[] LabelFrequencies(DatasetAnalysis analysis)
    {
        var plot = NewPlot();
        int labels = analysis.LabelNames.Count, splits = analysis.Splits.Count;
        var palette = new ScottPlot.Palettes.Category10();
        double barSize = 0.8 / splits;
        for (int s = 0; s < splits; s++)
        {
            var split = analysis.Splits[s];
            var bars = Enumerable.Range(0, labels).Select(l => new Bar
            {
                Position = labels - 1 - l - 0.4 + barSize * (s + 0.5),
                Value = split.LabelRates[l],
                Size = barSize,
                FillColor = palette.GetColor(s),
            }).ToArray();
            var barPlot = plot.Add.Bars(bars);
            barPlot.Horizontal = true;
            barPlot.LegendText = $"{split.Name} ({split.Count:N0} texts)";
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, labels).Select(l => (double)(labels - 1 - l)).ToArray(), analysis.LabelNames.ToArray());
        plot.Axes.SetLimitsY(-0.6, labels - 0.4);
        plot.Axes.SetLimitsX(0, analysis.Splits.Max(s => s.LabelRates.DefaultIfEmpty(0).Max()) * 1.1 + 1e-9);
        plot.Title("Label frequency (share of texts carrying the label)", 14);
        plot.XLabel("share of texts", 12);
        plot.Grid.YAxisStyle.IsVisible = false;
        plot.ShowLegend(Alignment.LowerRight);
        return Png(plot, 800, 140 + 26 * labels);
    }

    /// <summary>How often two labels occur on the same text in one split, as a heatmap of P(column label | row
    /// label) = co-occurrence[row][column] / count[row]; the diagonal (always 1) is left blank.</summary>
    public static byte[] CoOccurrence(DatasetAnalysis analysis, int splitIndex = 0)
    {
        var split = analysis.Splits[splitIndex];
        int labels = analysis.LabelNames.Count;
        var conditional = new double[labels, labels];
        for (int a = 0; a < labels; a++)
            for (int b = 0; b < labels; b++)
                conditional[a, b] = a == b || split.LabelCounts[a] == 0 ? double.NaN : split.CoOccurrence[a][b] / (double)split.LabelCounts[a];
        var plot = NewPlot();
        var heatmap = plot.Add.Heatmap(conditional);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.NaNCellColor = Colors.White;
        // Heatmap cell [row, column] is drawn with row 0 at the top, centred on x = column, y = labels - 1 - row.
        var ticks = Enumerable.Range(0, labels).Select(l => (double)l).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, analysis.LabelNames.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        // ScottPlot sizes the axis for horizontal labels; make room for the rotated names
        plot.Axes.Bottom.MinimumSize = 20 + 8 * analysis.LabelNames.Max(n => n.Length);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            ticks.Select(t => labels - 1 - t).ToArray(), analysis.LabelNames.ToArray());
        plot.Add.ColorBar(heatmap).Label = "P(column label | row label)";
        plot.Axes.SetLimits(-0.5, labels - 0.5, -0.5, labels - 0.5);
        plot.Title($"Label co-occurrence in {split.Name}", 14);
        plot.Grid.IsVisible = false;
        int side = 260 + 26 * labels;
        return Png(plot, side + 140, side);
    }

    /// <summary>Grouped bars: macro-F1 and micro-F1 of each run. All arguments: [runs].</summary>
    public static byte[] ComparisonBars(IReadOnlyList<string> runs, IReadOnlyList<double> macroF1, IReadOnlyList<double> microF1)
    {
        var plot = NewPlot();
        foreach (var (name, values, offset, color) in new[] { ("macro-F1", macroF1, -0.2, Primary), ("micro-F1", microF1, 0.2, Secondary) })
        {
            var bars = values.Select((v, r) => new Bar { Position = r + offset, Value = v, Size = 0.38, FillColor = color, Label = Number(v) }).ToArray();
            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = name;
            barPlot.ValueLabelStyle.FontSize = 11;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            runs.Select((_, r) => (double)r).ToArray(), runs.ToArray());
        plot.Axes.SetLimits(-0.6, runs.Count - 0.4, 0, 1.1);
        plot.Title("Test F1 per run", 14);
        plot.YLabel("F1", 12);
        plot.Grid.XAxisStyle.IsVisible = false;
        plot.ShowLegend(Edge.Bottom);
        return Png(plot, Math.Max(640, 180 * runs.Count), 480);
    }

    private static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set(FontFamily);
        return plot;
    }

    private static byte[] Png(Plot plot, int width, int height) => plot.GetImageBytes(width, height, ImageFormat.Png);

    private static byte[] LabelGrid(int labels, Action<Plot, int> draw) =>
        Grid(labels, Math.Min(GridColumns, labels), PanelWidth, PanelHeight, draw);

    private static byte[] Grid(int panels, int columns, int panelWidth, int panelHeight, Action<Plot, int> draw)
    {
        int rows = (panels + columns - 1) / columns;
        var multiplot = new Multiplot();
        while (multiplot.Count() < panels) multiplot.AddPlot();
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        for (int i = 0; i < panels; i++)
        {
            var plot = multiplot.GetPlot(i);
            plot.Font.Set(FontFamily);
            draw(plot, i);
        }
        using var image = multiplot.Render(columns * panelWidth, rows * panelHeight);
        return image.GetImageBytes(ImageFormat.Png, 100);
    }

    private static void UnitSquare(Plot plot) => plot.Axes.SetLimits(-0.02, 1.02, -0.02, 1.02);

    private static void Legend(Plot plot, Alignment alignment)
    {
        plot.Legend.FontSize = 9;
        plot.ShowLegend(alignment);
    }

    private static void NoData(Plot plot, string message)
    {
        var text = plot.Add.Text(message, 0.5, 0.5);
        text.Alignment = Alignment.MiddleCenter;
        text.LabelFontSize = 11;
        plot.Axes.SetLimits(0, 1, 0, 1);
    }

    /// <summary>White for 0 to the primary blue for 1.</summary>
    private static Color Shade(double share)
    {
        byte Mix(byte target) => (byte)Math.Round(255 + (target - 255) * Math.Clamp(share, 0, 1));
        return new Color(Mix(Primary.R), Mix(Primary.G), Mix(Primary.B));
    }

    private static string Number(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.000", CultureInfo.InvariantCulture);
}
