using System.CommandLine;
using Sentio.Models;
using Sentio.Runs;

namespace Sentio.Cli;

/// <summary>The <c>cv</c>, <c>refine</c> and <c>ensemble</c> commands: argument parsing around <see cref="CrossValidation"/>,
/// <see cref="LabelGraphRefinement"/> and <see cref="RunEnsemble"/>.</summary>
public static class EnsembleCommands
{
    public static Command CrossValidationCommand(Option<string?> dataDir, TextWriter output)
    {
        var config = new Option<string>("--config") { Description = "YAML training config (see configs/); each fold model is trained with it", Required = true };
        var folds = new Option<int>("--folds") { Description = "Number of folds k (>= 2)", DefaultValueFactory = _ => 5 };
        var outputDir = new Option<string>("--output-dir") { Description = "Where the new run directory is created", DefaultValueFactory = _ => "runs" };
        var refiner = new Option<string?>("--refiner") { Description = "Also train a label-graph refiner on the out-of-fold predictions, with this YAML options file (see configs/refiner/label-graph.yaml); writes <run>/refined/" };
        var command = new Command("cv", "K-fold cross-validation over the training split: one model per fold, thresholds tuned on the pooled out-of-fold predictions, validation/test probabilities averaged over the fold models; writes a run directory (plus cv.json, predictions/oof.csv).")
        {
            config, folds, outputDir, refiner, dataDir,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(config)!;
            var loaded = TrainConfig.Load(path);
            var refinerOptions = parse.GetValue(refiner) is { } refinerPath ? LabelGraphRefinerOptions.Load(refinerPath) : null;
            var monitor = new ConsoleMonitor(output);
            var result = monitor.Run(m => CrossValidation.Execute(loaded, parse.GetValue(folds), Path.GetDirectoryName(Path.GetFullPath(path))!, parse.GetValue(outputDir)!, parse.GetValue(dataDir), m));
            var summary = result.Summary;
            output.WriteLine();
            output.WriteLine(result.Test.ToTable());
            output.WriteLine($"Run directory: {result.Run.Path}");
            output.WriteLine($"{summary.Folds} folds: held-out macro-F1 {summary.HeldOutMacroF1}, micro-F1 {summary.HeldOutMicroF1}; pooled out-of-fold macro-F1 {summary.PooledOutOfFoldMacroF1:F4}");
            output.WriteLine($"Fold-average ensemble, out-of-fold thresholds: validation macro-F1 {summary.ValidationMacroF1:F4}; test macro-F1 {summary.TestMacroF1:F4}, micro-F1 {summary.TestMicroF1:F4} (single fold models: {summary.FoldModelTestMacroF1}); {summary.WallSeconds:F0} s");
            if (refinerOptions != null) RunRefiner(result.Run.Path, refinerOptions, output);
            return 0;
        });
        return command;
    }

    public static Command RefineCommand(TextWriter output)
    {
        var run = new Option<string>("--run") { Description = "A run directory: from 'sentio cv' the refiner trains on its out-of-fold predictions; from 'sentio train' or 'sentio ensemble' on one half of its validation predictions, stopping early and tuning thresholds on the other", Required = true };
        var refiner = new Option<string?>("--refiner") { Description = "YAML refiner options (see configs/refiner/label-graph.yaml); default: the documented defaults" };
        var command = new Command("refine", "Train a label-correlation graph refiner (GCN) on a run's saved predictions (a cv run's out-of-fold ones, else half of validation); writes <run>/refined/ (a run directory) with the ablation in refiner.json and ablation.md.")
        {
            run, refiner,
        };
        command.SetAction(parse =>
        {
            var options = parse.GetValue(refiner) is { } path ? LabelGraphRefinerOptions.Load(path) : new LabelGraphRefinerOptions();
            RunRefiner(parse.GetValue(run)!, options, output);
            return 0;
        });
        return command;
    }

    public static Command EnsembleCommand(TextWriter output)
    {
        var runs = new Option<string[]>("--runs") { Description = "Two or more run directories over the same data (their predictions/validation.csv and test.csv; from 'sentio cv', also predictions/oof.csv)", Required = true, AllowMultipleArgumentsPerToken = true };
        var weights = new Option<string>("--weights") { Description = "equal, or tune (coordinate search on the macro-F1 of validation, or of the pooled out-of-fold predictions when every run is from 'sentio cv')", DefaultValueFactory = _ => "equal" };
        weights.AcceptOnlyFromAmong("equal", "tune");
        var outputDir = new Option<string>("--output-dir") { Description = "Where the new run directory is created", DefaultValueFactory = _ => "runs" };
        var command = new Command("ensemble", "Average the probabilities of several runs, tune thresholds on the averaged validation probabilities (on the averaged out-of-fold ones when every run is from 'sentio cv'); writes a run directory whose model is the weighted ensemble of the runs' models.")
        {
            runs, weights, outputDir,
        };
        command.SetAction(parse =>
        {
            var result = RunEnsemble.Execute(parse.GetValue(runs)!, parse.GetValue(weights) == "tune" ? EnsembleWeighting.Tune : EnsembleWeighting.Equal, parse.GetValue(outputDir)!);
            output.WriteLine(result.Test.ToTable());
            output.WriteLine($"Run directory: {result.Run.Path}");
            for (int m = 0; m < result.Members.Count; m++)
                output.WriteLine($"  weight {result.Weights[m]:F3}  {result.Members[m]}  (its own test macro-F1 {result.MemberTestMacroF1[m]:F4})");
            if (result.OutOfFold is { } outOfFold)
                output.WriteLine($"Weights and thresholds tuned out of fold: pooled out-of-fold macro-F1 {outOfFold.MacroAvg.F1:F4}, micro-F1 {outOfFold.MicroAvg.F1:F4}");
            output.WriteLine($"Ensemble: validation macro-F1 {result.Validation.MacroAvg.F1:F4}; test macro-F1 {result.Test.MacroAvg.F1:F4}, micro-F1 {result.Test.MicroAvg.F1:F4}");
            return 0;
        });
        return command;
    }

    private static void RunRefiner(string runPath, LabelGraphRefinerOptions options, TextWriter output)
    {
        var monitor = new ConsoleMonitor(output);
        var result = monitor.Run(m => LabelGraphRefinement.Execute(runPath, options, m));
        output.WriteLine();
        output.WriteLine(result.Ablation.ToMarkdown());
        output.WriteLine($"Refined run directory: {result.Run.Path}");
    }
}
