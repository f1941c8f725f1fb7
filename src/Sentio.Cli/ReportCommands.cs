using System.CommandLine;
using Sentio.Reporting;
using Sentio.Runs;

namespace Sentio.Cli;

/// <summary>The <c>report</c> and <c>compare</c> commands: thin shells over <see cref="RunReport"/> and
/// <see cref="RunComparison"/>.</summary>
public static class ReportCommands
{
    /// <summary><c>sentio report --model-path RUN [--split test] [--output-dir DIR]</c>: the HTML and Markdown
    /// report of a split the run saved at training time.</summary>
    public static Command Report(Option<string> modelPath, TextWriter output)
    {
        var split = new Option<string>("--split") { Description = "Which saved split to report (predictions/{split}.csv)", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("validation", "test");
        var outputDir = new Option<string?>("--output-dir") { Description = "Where report.html, report.md and the PNG figures go (default: <model-path>/report)" };
        var command = new Command("report", "Write an evaluation report of a run: report.html (self-contained) and report.md with plots — ROC, precision-recall, confusion matrices, F1 per label, F1 against threshold, calibration, training curves. A single-label run gets accuracy, the per-class report and its n × n confusion matrix.")
        {
            modelPath, split, outputDir,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(modelPath)!;
            var files = RunReport.Write(RunDirectory.Open(path), parse.GetValue(split)!, parse.GetValue(outputDir) ?? Path.Combine(path, "report"));
            foreach (string note in files.Notes) output.WriteLine($"note: {note}");
            output.WriteLine($"Wrote {files.Html}, {files.Markdown} and {files.Images.Count} figures");
            return 0;
        });
        return command;
    }

    /// <summary><c>sentio compare RUN... [--split test] [--output DIR]</c>: the runs' metrics side by side.</summary>
    public static Command Compare(TextWriter output)
    {
        var runs = new Argument<string[]>("runs") { Description = "Run directories written by 'sentio train'", Arity = ArgumentArity.OneOrMore };
        var split = new Option<string>("--split") { Description = "Whose metrics to compare (metrics/{split}.json)", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("validation", "test");
        var outputDir = new Option<string?>("--output") { Description = "Also write compare.md, compare.csv and compare.png (macro/micro-F1 bars) into this folder" };
        var command = new Command("compare", "Compare runs: parameters, training time, micro/macro-F1, precision, recall, hamming loss and subset accuracy, as a Markdown table (and CSV and a bar chart with --output). Single-label runs are compared on accuracy and macro/weighted/micro-F1; the two kinds do not mix.")
        {
            runs, split, outputDir,
        };
        command.SetAction(parse =>
        {
            var comparison = RunComparison.Of(parse.GetValue(runs)!, parse.GetValue(split)!);
            output.Write(comparison.ToMarkdown());
            if (parse.GetValue(outputDir) is { } folder)
                output.WriteLine($"Wrote {string.Join(", ", comparison.Write(folder))}");
            return 0;
        });
        return command;
    }
}
