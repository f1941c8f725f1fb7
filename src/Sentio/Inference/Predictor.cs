using Sentio.Evaluation;
using Sentio.Catalog;
using Sentio.Models;
using Sentio.Onnx;
using Sentio.Runs;

namespace Sentio.Inference;

/// <summary>Which runtime scores a model: chosen by the folder's content, or insisted on.</summary>
public enum ModelBackend
{
    /// <summary>ONNX Runtime for an exported ONNX folder (<c>1/model.onnx</c>), TorchSharp (or the model's own code) otherwise.</summary>
    Auto,
    Torch,
    Onnx,
}

/// <summary>One text's prediction: the labels at or above their thresholds (a single-label model: the one most probable
/// label), and every label's probability.</summary>
public sealed record Prediction(string? Id, string Text, IReadOnlyList<string> Labels, IReadOnlyList<double> Probabilities);

/// <summary>A trained model with its decision thresholds, ready to label texts. The CLI's <c>predict</c> and
/// <c>eval</c> use it; so can any .NET program:
/// <code>using var predictor = Predictor.Load("runs/20261124-081500-ngram-linear");
/// foreach (var p in predictor.Predict(["I love it!"])) Console.WriteLine(string.Join(", ", p.Labels));</code></summary>
public sealed class Predictor : IDisposable
{
    private Predictor(IMultiLabelClassifier model, ThresholdSet thresholds, string source)
    {
        Model = model;
        Thresholds = thresholds;
        Source = source;
    }

    public IMultiLabelClassifier Model { get; }
    public ThresholdSet Thresholds { get; }
    public string Source { get; }
    public IReadOnlyList<string> LabelNames => Model.LabelNames;

    /// <summary>The model's problem type: a single-label model predicts its most probable label and uses no thresholds.</summary>
    public Data.ProblemType ProblemType => Model.ProblemType;

    /// <summary>Loads a run directory (its model/ and thresholds.json) or a bare model folder — a Sentio one, an exported
    /// ONNX classifier, or an imported Hugging Face sequence classifier (config.json with id2label) — with the folder's own
    /// thresholds.json when it has one, else threshold 0.5. A single-label model has no thresholds and predicts its most
    /// probable label.</summary>
    /// <param name="backend"><see cref="ModelBackend.Onnx"/> requires an ONNX folder; <see cref="ModelBackend.Torch"/>
    /// refuses one (an ONNX folder has no weights TorchSharp can load).</param>
    /// <exception cref="SentioException">The path holds no Sentio model, the backend does not fit the folder, or its files
    /// are invalid.</exception>
    public static Predictor Load(string path, ModelBackend backend = ModelBackend.Auto)
    {
        if (!Directory.Exists(path)) throw new SentioException($"{path}: no such directory");
        bool run = RunDirectory.IsRunDirectory(path);
        string modelFolder = run ? new RunDirectory(path).Model : path;
        CheckBackend(modelFolder, backend);
        var model = ModelCatalog.Load(modelFolder);
        try
        {
            string thresholds = run ? new RunDirectory(path).Thresholds : Path.Combine(path, OnnxClassifierFolder.ThresholdsFile);
            return new Predictor(model, File.Exists(thresholds) ? ThresholdSet.Load(thresholds, model.LabelNames) : ThresholdSet.Fixed(model.LabelNames), path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static void CheckBackend(string modelFolder, ModelBackend backend)
    {
        bool onnx = OnnxClassifierFolder.HasModel(modelFolder);
        if (backend == ModelBackend.Onnx && !onnx)
            throw new SentioException($"--backend onnx: {Path.Combine(modelFolder, OnnxClassifierFolder.ModelFile)} not found; export the model with 'sentio export --format onnx' or use --backend torch");
        if (backend == ModelBackend.Torch && onnx)
            throw new SentioException($"--backend torch: {modelFolder} is an exported ONNX folder (no TorchSharp weights); use --backend onnx or the Sentio model folder it was exported from");
    }

    /// <summary>[texts] → [texts, labels] probabilities.</summary>
    public double[,] PredictProbabilities(IReadOnlyList<string> texts) => Model.PredictProbabilities(texts);

    /// <summary>Labels and probabilities for each text; <paramref name="ids"/>, when given, pairs up with the texts.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts, IReadOnlyList<string?>? ids = null)
    {
        if (ids != null && ids.Count != texts.Count) throw new ArgumentException("ids and texts differ in count", nameof(ids));
        var probabilities = PredictProbabilities(texts);
        var decisions = Decide(probabilities);
        var predictions = new Prediction[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            var labels = Enumerable.Range(0, LabelNames.Count).Where(j => decisions[i, j]).Select(j => LabelNames[j]).ToArray();
            var row = Enumerable.Range(0, LabelNames.Count).Select(j => probabilities[i, j]).ToArray();
            predictions[i] = new Prediction(ids?[i], texts[i], labels, row);
        }
        return predictions;
    }

    /// <summary>The decisions [texts, labels] for probabilities [texts, labels]: each label at or above its threshold
    /// (<paramref name="threshold"/>, when given, for every label), or for a single-label model the one most probable label
    /// (ties to the first).</summary>
    /// <exception cref="SentioException">A threshold for a single-label model, which has none.</exception>
    public bool[,] Decide(double[,] probabilities, double? threshold = null)
    {
        if (ProblemType != Data.ProblemType.SingleLabelClassification)
            return (threshold is { } t ? ThresholdSet.Fixed(LabelNames, t) : Thresholds).Apply(probabilities);
        if (threshold != null)
            throw new SentioException("threshold: the model is single_label_classification; it predicts the most probable label and uses no threshold");
        int[] top = SingleLabelMetrics.ArgMax(probabilities);
        var decisions = new bool[probabilities.GetLength(0), probabilities.GetLength(1)];
        for (int i = 0; i < top.Length; i++) decisions[i, top[i]] = true;
        return decisions;
    }

    public void Dispose() => Model.Dispose();
}
