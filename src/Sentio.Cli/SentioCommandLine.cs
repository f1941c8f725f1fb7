using System.CommandLine;
using System.CommandLine.Help;
using System.Text.Json;
using Sentio.Configuration;
using Sentio.Data;
using Sentio.Evaluation;
using Sentio.Inference;
using Sentio.IO;
using Sentio.Reporting;
using Sentio.Runs;

namespace Sentio.Cli;

/// <summary>The <c>sentio</c> command: parses arguments and calls the library; no logic of its own.</summary>
public static class SentioCommandLine
{
    /// <summary>Runs the command line; returns the process exit code (0 success, 1 bad input or failure, 2 usage).</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = Build(output, error);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors) error.WriteLine($"sentio: {problem.Message}");
            error.WriteLine("Run 'sentio --help' for usage.");
            return 2;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (SentioException e)
        {
            error.WriteLine($"sentio: error: {e.Message}");
            return 1;
        }
    }

    private static Command Build(TextWriter output, TextWriter error)
    {
        var dataDir = new Option<string?>("--data-dir")
        {
            Description = "Folder holding the built-in datasets (layout: goemotions/original/train.tsv, ...); default: $SENTIO_DATA_DIR, else downloaded into $SENTIO_HOME",
        };
        var modelPath = new Option<string>("--model-path") { Description = "A run directory written by 'sentio train' (or a model folder: Sentio's, a Hugging Face one, or one exported with 'sentio export --format onnx')", Required = true };
        var runPath = new Option<string>("--model-path") { Description = "A run directory written by 'sentio train'", Required = true };

        // A plain command named "sentio" rather than RootCommand, whose name is the assembly's (Sentio.Cli).
        var root = new Command("sentio", "Sentio: multi-label (and single-label) emotion classification — train, tune, evaluate and use emotion classifiers.")
        {
            new HelpOption(), new VersionOption(),
        };
        root.Add(TrainCommand(dataDir, output));
        root.Add(TuneThresholdsCommand(runPath, dataDir, output));
        root.Add(EvalCommand(modelPath, dataDir, output));
        root.Add(PredictCommand(modelPath, output));
        root.Add(AnalyzeCommand(dataDir, output));
        root.Add(ReportCommands.Report(runPath, output));
        root.Add(ReportCommands.Compare(output));
        root.Add(EnsembleCommands.CrossValidationCommand(dataDir, output));
        root.Add(EnsembleCommands.RefineCommand(output));
        root.Add(EnsembleCommands.EnsembleCommand(output));
        root.Add(ExportCommands.Export(modelPath, output));
        root.Add(ModelCommands.Model(output));
        root.Add(ServeCommands.Serve(modelPath, output));
        return root;
    }

    private static Command TrainCommand(Option<string?> dataDir, TextWriter output)
    {
        var config = new Option<string?>("--config") { Description = "YAML training config (see configs/)" };
        var resume = new Option<string?>("--resume") { Description = "Continue a stopped run directory from its latest checkpoint (neural models), instead of --config" };
        var outputDir = new Option<string>("--output-dir") { Description = "Where the new run directory is created", DefaultValueFactory = _ => "runs" };
        var seed = new Option<int?>("--seed") { Description = "Overrides the config's seed" };
        var command = new Command("train", "Train a model from a config; writes a run directory with the model, thresholds tuned on validation (none for problem_type: single_label_classification, which predicts the most probable label), and validation/test metrics.")
        {
            config, resume, outputDir, seed, dataDir,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(config) != null) == (result.GetValue(resume) != null)) result.AddError("give either --config or --resume");
            if (result.GetValue(resume) != null && result.GetValue(seed) != null) result.AddError("--seed cannot change a resumed run");
            if (result.GetValue(resume) != null && result.GetResult(outputDir) is { Implicit: false }) result.AddError("--output-dir cannot move a resumed run");
        });
        command.SetAction(parse =>
        {
            var monitor = new ConsoleMonitor(output);
            TrainingRunResult result;
            if (parse.GetValue(resume) is { } runPath)
            {
                result = monitor.Run(m => TrainingRun.Resume(RunDirectory.Open(runPath, needsModel: false), parse.GetValue(dataDir), m));
            }
            else
            {
                string path = parse.GetValue(config)!;
                var loaded = TrainConfig.Load(path);
                if (parse.GetValue(seed) is { } overriddenSeed) loaded = loaded with { Seed = overriddenSeed };
                result = monitor.Run(m => TrainingRun.Execute(loaded, Path.GetDirectoryName(Path.GetFullPath(path))!, parse.GetValue(outputDir)!, parse.GetValue(dataDir), m));
            }
            output.WriteLine();
            if (result.SingleLabelTest is { } single)
            {
                output.WriteLine(SingleLabelReportFiles.ToTable(single));
                output.WriteLine($"Run directory: {result.Run.Path}");
                output.WriteLine($"Test accuracy {single.Accuracy:F4}, macro-F1 {single.Macro.F1:F4}, weighted-F1 {single.Weighted.F1:F4} (most probable label); model fit in {result.FitSeconds:F1} s");
                return 0;
            }
            output.WriteLine(result.Test!.ToTable());
            output.WriteLine($"Run directory: {result.Run.Path}");
            output.WriteLine($"Test macro-F1 {result.Test.MacroAvg.F1:F4}, micro-F1 {result.Test.MicroAvg.F1:F4} ({(result.Thresholds!.Strategy == ThresholdStrategy.PerLabel ? "per-label" : "global")} thresholds tuned on validation); model fit in {result.FitSeconds:F1} s");
            return 0;
        });
        return command;
    }

    private static Command TuneThresholdsCommand(Option<string> modelPath, Option<string?> dataDir, TextWriter output)
    {
        var strategy = new Option<ThresholdStrategy?>("--strategy")
        {
            Description = "Per-label thresholds or one global threshold [default: the run config's thresholds.strategy]", HelpName = "per_label|global",
            CustomParser = r => ParseEnum<ThresholdStrategy>(r),
        };
        var objective = new Option<ThresholdObjective?>("--objective")
        {
            Description = "What the global threshold maximises [default: the run config's thresholds.objective]", HelpName = "macro_f1|micro_f1",
            CustomParser = r => ParseEnum<ThresholdObjective>(r),
        };
        var command = new Command("tune-thresholds", "Tune decision thresholds again on the run's validation split (exact sweep); rewrites thresholds.json and metrics. A single-label run has no thresholds (an error).")
        {
            modelPath, strategy, objective, dataDir,
        };
        command.SetAction(parse =>
        {
            var run = RunDirectory.Open(parse.GetValue(modelPath)!);
            var (thresholds, validation, test) = TrainingRun.RetuneThresholds(run, parse.GetValue(strategy), parse.GetValue(objective), parse.GetValue(dataDir));
            output.WriteLine($"global threshold {thresholds.GlobalThreshold:F4}; validation F1: global {thresholds.GlobalValidationF1:F4}, per-label {thresholds.PerLabelValidationF1:F4}; using {(thresholds.Strategy == ThresholdStrategy.PerLabel ? "per-label" : "global")} thresholds");
            if (thresholds.FallbackLabels.Count > 0) output.WriteLine($"labels without validation positives (use the global threshold): {string.Join(", ", thresholds.FallbackLabels)}");
            output.WriteLine($"validation macro-F1 {validation.MacroAvg.F1:F4}; test macro-F1 {test.MacroAvg.F1:F4}, micro-F1 {test.MicroAvg.F1:F4}");
            output.WriteLine($"Wrote {run.Thresholds}");
            return 0;
        });
        return command;
    }

    private static Command EvalCommand(Option<string> modelPath, Option<string?> dataDir, TextWriter output)
    {
        var split = new Option<string>("--split") { Description = "Which split of the run's data to evaluate", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("train", "validation", "test");
        var data = new Option<string?>("--data") { Description = "Evaluate on this labelled file instead (TSV in GoEmotions format, or CSV)" };
        var outputDir = new Option<string?>("--output-dir") { Description = "Where metrics.json, report.txt, report.html, report.md and the plots go (default: <model-path>/eval)" };
        var backend = BackendOption();
        var command = new Command("eval", "Evaluate a trained model with its tuned thresholds: writes eval/metrics.json (all metrics), eval/report.txt (per-label report), and eval/report.html and report.md with plots. A single-label model is measured on its most probable label: accuracy, macro/micro/weighted F1, per-class report and confusion matrix.")
        {
            modelPath, split, data, outputDir, dataDir, backend,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(modelPath)!;
            using var predictor = Predictor.Load(path, parse.GetValue(backend));
            var result = EvaluationRun.Execute(path, predictor.Model, predictor.Thresholds, parse.GetValue(split)!, parse.GetValue(data),
                parse.GetValue(outputDir), parse.GetValue(dataDir));
            if (result.SingleLabelReport != null) RunReport.WriteSingleLabel(path, result.Predictions, result.Source, result.Folder);
            else RunReport.Write(path, result.Predictions, predictor.Thresholds, result.Source, result.Folder);
            output.WriteLine($"{result.Source}: {result.Data.Count} texts");
            output.WriteLine(result.ToTable());
            output.WriteLine($"Wrote {Path.Combine(result.Folder, "metrics.json")}, report.txt, report.html and report.md");
            return 0;
        });
        return command;
    }

    private static Command PredictCommand(Option<string> modelPath, TextWriter output)
    {
        var text = new Option<string[]>("--text") { Description = "A text to label (repeatable)", AllowMultipleArgumentsPerToken = false };
        var input = new Option<string?>("--input") { Description = "A file of texts: .txt (one per line), any delimited file (delimiter and header sniffed; text column found by name), .jsonl or .parquet" };
        var outputFile = new Option<string?>("--output") { Description = "With --input: write predictions here (.csv: id, probabilities, 0/1 columns, and for a single-label model the predicted label; .jsonl: one JSON object per line)" };
        var textColumn = new Option<string?>("--text-column") { Description = "With a CSV --input: the text column (default: found by name)" };
        var idColumn = new Option<string?>("--id-column") { Description = "With a CSV --input: the id column (default: 'id' when present)" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var submission = new Option<string?>("--submission") { Description = "With --input: write a shared-task submission here (id, then one 0/1 column per label)" };
        var backend = BackendOption();
        var command = new Command("predict", "Label texts with a trained model and its tuned thresholds (a single-label model prints its one most probable label per text).")
        {
            modelPath, text, input, outputFile, textColumn, idColumn, json, submission, backend,
        };
        command.Validators.Add(result =>
        {
            bool hasText = result.GetValue(text) is { Length: > 0 }, hasInput = result.GetValue(input) != null;
            if (hasText == hasInput) result.AddError("give either --text or --input");
            if (result.GetValue(outputFile) != null && !hasInput) result.AddError("--output needs --input");
            if (result.GetValue(submission) != null && !hasInput) result.AddError("--submission needs --input");
        });
        command.SetAction(parse =>
        {
            using var predictor = Predictor.Load(parse.GetValue(modelPath)!, parse.GetValue(backend));
            IReadOnlyList<Prediction> predictions;
            if (parse.GetValue(input) is { } file)
            {
                var rows = DatasetLoader.ReadUnlabeled(file, parse.GetValue(textColumn), parse.GetValue(idColumn));
                if (parse.GetValue(submission) is { } submissionFile)
                {
                    Submission.Write(submissionFile, predictor, rows);
                    output.WriteLine($"Wrote a submission for {rows.Count} texts to {submissionFile}");
                    if (parse.GetValue(outputFile) == null) return 0;
                }
                predictions = predictor.Predict(rows.Select(r => r.Text).ToArray(), rows.Select(r => r.Id).ToArray());
                if (parse.GetValue(outputFile) is { } target)
                {
                    PredictionFiles.Write(target, predictions, predictor.LabelNames, predictor.ProblemType);
                    output.WriteLine($"Wrote {predictions.Count} predictions to {target}");
                    return 0;
                }
            }
            else predictions = predictor.Predict(parse.GetValue(text)!);
            if (parse.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(predictions.Select(p => PredictionFiles.ToJson(p, predictor.LabelNames)), AtomicFile.Json));
            else PrintPredictions(output, predictions, predictor.LabelNames, predictor.ProblemType == ProblemType.SingleLabelClassification);
            return 0;
        });
        return command;
    }

    private static Command AnalyzeCommand(Option<string?> dataDir, TextWriter output)
    {
        var config = new Option<string?>("--config") { Description = "Analyze the splits of a training config" };
        var dataset = new Option<string?>("--dataset") { Description = $"Analyze a built-in dataset: {string.Join(", ", DatasetRegistry.Names)}" };
        var outputFile = new Option<string?>("--output") { Description = "Also write the analysis as JSON to this file" };
        var seed = new Option<int>("--seed") { Description = "Seed for carving missing splits", DefaultValueFactory = _ => 13 };
        var plots = new Option<string?>("--plots") { Description = "Also write label_frequencies.png and co_occurrence.png into this folder" };
        var command = new Command("analyze", "Dataset analysis: label counts and rates, labels per text, co-occurrence, text lengths, duplicates across splits.")
        {
            config, dataset, outputFile, seed, plots, dataDir,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(config) != null) == (result.GetValue(dataset) != null)) result.AddError("give either --config or --dataset");
        });
        command.SetAction(parse =>
        {
            DatasetSplits splits;
            if (parse.GetValue(config) is { } path)
            {
                var loaded = TrainConfig.Load(path);
                splits = loaded.LoadSplits(Path.GetDirectoryName(Path.GetFullPath(path))!, parse.GetValue(dataDir));
            }
            else splits = DatasetLoader.Load(new DataOptions { Dataset = parse.GetValue(dataset) }, Directory.GetCurrentDirectory(), parse.GetValue(seed), parse.GetValue(dataDir));
            var analysis = DatasetAnalysis.Compute(splits);
            output.WriteLine(analysis.ToTable());
            if (parse.GetValue(outputFile) is { } target)
            {
                AtomicFile.WriteText(target, analysis.ToJson());
                output.WriteLine($"Wrote {target}");
            }
            if (parse.GetValue(plots) is { } folder) output.WriteLine($"Wrote {string.Join(", ", DatasetPlots.Write(analysis, folder))}");
            return 0;
        });
        return command;
    }

    /// <summary><c>--backend</c> of predict, eval and serve.</summary>
    internal static Option<ModelBackend> BackendOption() => new("--backend")
    {
        Description = "Which runtime scores the model: auto (ONNX Runtime for a folder with 1/model.onnx, else TorchSharp), torch, or onnx [default: auto]",
        HelpName = "auto|torch|onnx",
        DefaultValueFactory = _ => ModelBackend.Auto,
        CustomParser = r => ParseEnum<ModelBackend>(r),
    };

    /// <summary>An enum option spelled as in configs (snake_case); anything else is a usage error, not an exception.</summary>
    private static T ParseEnum<T>(System.CommandLine.Parsing.ArgumentResult result) where T : struct, Enum
    {
        string text = result.Tokens[0].Value.Replace('-', '_');
        foreach (var value in Enum.GetValues<T>())
            if (YamlBinder.KeyOf(value.ToString()) == text) return value;
        result.AddError($"'{result.Tokens[0].Value}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(YamlBinder.KeyOf))}");
        return default;
    }

    private static void PrintPredictions(TextWriter output, IReadOnlyList<Prediction> predictions, IReadOnlyList<string> labels, bool singleLabel)
    {
        foreach (var p in predictions)
        {
            output.WriteLine(p.Id == null ? p.Text : $"{p.Id}: {p.Text}");
            output.WriteLine(singleLabel ? $"  label:  {p.Labels[0]}" : $"  labels: {(p.Labels.Count == 0 ? "(none)" : string.Join(", ", p.Labels))}");
            var top = labels.Select((l, j) => (Label: l, Probability: p.Probabilities[j])).OrderByDescending(x => x.Probability).Take(5);
            output.WriteLine("  top:    " + string.Join("  ", top.Select(x => $"{x.Label} {x.Probability:F3}")));
        }
    }
}
