using System.Text.Json;
using Sentio.Evaluation;
using Sentio.IO;
using Sentio.Training;
using Sentio.Runs;

namespace Sentio.Tests.Reporting;

/// <summary>A small run directory written without training: 3 labels, 120 test samples whose probabilities lean
/// towards the truth, per-label thresholds, a config, an epoch log and a run.json.</summary>
internal static class SyntheticRun
{
    public static readonly string[] Labels = ["joy", "anger", "fear"];
    public static readonly double[] Thresholds = [0.45, 0.5, 0.6];
    public const double FitSeconds = 12.5;

    /// <summary>The config text; its comment holds characters HTML must escape.</summary>
    public const string Config = "seed: 3\n# compare <b>macro</b> & micro\nmodel:\n  architecture: sentio.Synthetic.v1\n";

    public static RunDirectory Create(string parent, string name, int epochs, int seed = 5)
    {
        var run = new RunDirectory(Path.Combine(parent, name));
        Directory.CreateDirectory(run.Model);
        File.WriteAllText(Path.Combine(run.Model, "model.json"), """{ "architecture": "sentio.Synthetic.v1", "labels": ["joy", "anger", "fear"], "options": {} }""");
        File.WriteAllText(run.Config, Config);
        File.WriteAllText(run.Labels, string.Join('\n', Labels) + "\n");
        new ThresholdSet(ThresholdStrategy.PerLabel, ThresholdObjective.MacroF1, 0.5, Labels, Thresholds).Save(run.Thresholds);
        foreach (var split in new[] { "validation", "test" })
        {
            var predictions = Predictions(120, seed + split.Length);
            predictions.Save(run.Predictions(split));
            MetricsReport.Compute(predictions.Truth, predictions.Probabilities, Thresholds, Labels).Save(run.MetricsFile(split, "json"));
        }
        File.WriteAllLines(run.EpochLog, Enumerable.Range(1, epochs).Select(e => JsonSerializer.Serialize(
            new EpochSummary(e, 1.0 / e, 1.1 / e + 0.1, 0.4 + 0.05 * e, 0.2 + 0.03 * e, 2.0), AtomicFile.JsonLine)));
        File.WriteAllText(run.Summary, $$"""{ "architecture": "sentio.Synthetic.v1", "fit_seconds": {{FitSeconds}} }""");
        return run;
    }

    public static SplitPredictions Predictions(int samples, int seed)
    {
        var random = new Random(seed);
        var truth = new bool[samples, Labels.Length];
        var probabilities = new double[samples, Labels.Length];
        for (int i = 0; i < samples; i++)
            for (int j = 0; j < Labels.Length; j++)
            {
                truth[i, j] = random.NextDouble() < 0.2 + 0.15 * j;
                probabilities[i, j] = Math.Round(Math.Clamp((truth[i, j] ? 0.3 : 0) + random.NextDouble() * 0.7, 0, 1), 3);
            }
        return new SplitPredictions(Labels, Enumerable.Range(1, samples).Select(i => $"t{i}").ToArray(), truth, probabilities);
    }
}
