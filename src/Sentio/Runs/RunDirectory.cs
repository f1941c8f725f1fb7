namespace Sentio.Runs;

/// <summary>The layout of a run directory, which <c>sentio train</c> writes and every other command reads:
/// <code>
/// config.yaml          the resolved config (reloadable)
/// model/               the model folder (model.json + weights), loadable by ModelCatalog.Load
/// thresholds.json      decision thresholds tuned on validation
/// labels.txt           label names, one per line, in output-column order
/// metrics/{validation,test}.json and .txt
/// predictions/{validation,test}.csv   truth and probabilities per example (SplitPredictions)
/// split_report.json    where each split came from and what was dropped
/// train.log            progress lines; training_log.jsonl: one JSON object per epoch
/// checkpoints/         resumable training state of step-wise models (sentio train --resume)
/// run.json             summary, written last: its presence marks a complete run
/// eval/                written by `sentio eval`
/// </code></summary>
public sealed class RunDirectory(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string Config => Combine("config.yaml");
    public string Model => Combine("model");
    public string Thresholds => Combine("thresholds.json");
    public string Labels => Combine("labels.txt");
    public string Metrics => Combine("metrics");
    public string SplitReport => Combine("split_report.json");
    public string Log => Combine("train.log");
    public string EpochLog => Combine("training_log.jsonl");
    public string Summary => Combine("run.json");
    public string Eval => Combine("eval");
    public string Checkpoints => Combine("checkpoints");

    /// <summary>Whether <paramref name="path"/> looks like a run directory (has a model/ folder).</summary>
    public static bool IsRunDirectory(string path) => Directory.Exists(System.IO.Path.Combine(path, "model"));

    /// <summary>Opens an existing run directory: one with model/ and config.yaml, or (<paramref name="needsModel"/> false,
    /// for resuming) config.yaml alone.</summary>
    /// <exception cref="SentioException">The path is not such a run directory.</exception>
    public static RunDirectory Open(string path, bool needsModel = true)
    {
        bool hasConfig = File.Exists(System.IO.Path.Combine(path, "config.yaml"));
        if (hasConfig && (!needsModel || IsRunDirectory(path))) return new RunDirectory(path);
        throw new SentioException($"{path}: not a run directory (expected {(needsModel ? "model/ and " : "")}config.yaml, written by 'sentio train', 'cv' or 'ensemble')");
    }

    /// <summary>Creates a new, empty run directory under <paramref name="outputRoot"/> named by the current
    /// time and architecture (<c>20261124-081500-ngram-linear</c>), adding a counter if the name is taken.</summary>
    public static RunDirectory CreateUnder(string outputRoot, string architecture)
    {
        Directory.CreateDirectory(outputRoot);
        string shortName = architecture.Split('.').Skip(1).FirstOrDefault() ?? architecture;
        string kebab = string.Concat(shortName.Select((c, i) => char.IsUpper(c) && i > 0 && !char.IsUpper(shortName[i - 1]) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
        return CreateNamed(outputRoot, $"{DateTime.Now:yyyyMMdd-HHmmss}-{kebab}");
    }

    /// <summary>Creates a new, empty run directory <c>{parent}/{stem}</c>, or <c>{stem}-2</c>, <c>-3</c>... if taken.</summary>
    public static RunDirectory CreateNamed(string parent, string stem)
    {
        // Claimed by renaming a fresh folder into place: the rename fails if another process took the name first.
        string fresh = System.IO.Path.Combine(parent, $".new-{Guid.NewGuid():N}");
        Directory.CreateDirectory(fresh);
        for (int attempt = 1; ; attempt++)
        {
            string candidate = System.IO.Path.Combine(parent, attempt == 1 ? stem : $"{stem}-{attempt}");
            if (Directory.Exists(candidate)) continue;
            try { Directory.Move(fresh, candidate); }
            catch (IOException) when (Directory.Exists(candidate)) { continue; }
            return new RunDirectory(candidate);
        }
    }

    public string Predictions(string split) => System.IO.Path.Combine(Path, "predictions", $"{split}.csv");

    public string MetricsFile(string split, string extension) => System.IO.Path.Combine(Metrics, $"{split}.{extension}");

    private string Combine(string name) => System.IO.Path.Combine(Path, name);
}
