using Sentio.Evaluation;

namespace Sentio.Onnx;

/// <summary>One text's labels (probability at or above the label's threshold) and every label's probability.</summary>
public sealed record OnnxPrediction(string Text, IReadOnlyList<string> Labels, IReadOnlyList<double> Probabilities);

/// <summary>An exported ONNX classifier with its decision thresholds, for a service that references only Sentio.Onnx:
/// <code>using var predictor = OnnxPredictor.Load("exports/goemotions-minilm");
/// foreach (var p in predictor.Predict(["I love it!"])) Console.WriteLine(string.Join(", ", p.Labels));</code>
/// Thresholds come from the folder's <c>thresholds.json</c>, else 0.5 for every label.</summary>
public sealed class OnnxPredictor : IDisposable
{
    private OnnxPredictor(OnnxScorer scorer, ThresholdSet thresholds)
    {
        Scorer = scorer;
        Thresholds = thresholds;
    }

    public OnnxScorer Scorer { get; }
    public ThresholdSet Thresholds { get; }
    public IReadOnlyList<string> LabelNames => Scorer.LabelNames;

    /// <exception cref="SentioException">The folder, its graph or its thresholds are invalid (see <see cref="OnnxScorer.Load"/>).</exception>
    public static OnnxPredictor Load(string directory, OnnxScorerOptions? options = null)
    {
        var scorer = OnnxScorer.Load(directory, options);
        try
        {
            string? thresholds = scorer.Folder.ThresholdsPath;
            return new OnnxPredictor(scorer, thresholds is null ? ThresholdSet.Fixed(scorer.LabelNames) : ThresholdSet.Load(thresholds, scorer.LabelNames));
        }
        catch
        {
            scorer.Dispose();
            throw;
        }
    }

    /// <summary>[texts] → [texts, labels] probabilities.</summary>
    public double[,] PredictProbabilities(IReadOnlyList<string> texts) => Scorer.PredictProbabilities(texts);

    /// <summary>Labels and probabilities for each text, in input order.</summary>
    public IReadOnlyList<OnnxPrediction> Predict(IReadOnlyList<string> texts)
    {
        var probabilities = PredictProbabilities(texts);
        var decisions = Thresholds.Apply(probabilities);
        return Enumerable.Range(0, texts.Count).Select(i => new OnnxPrediction(
            texts[i],
            Enumerable.Range(0, LabelNames.Count).Where(j => decisions[i, j]).Select(j => LabelNames[j]).ToArray(),
            Enumerable.Range(0, LabelNames.Count).Select(j => probabilities[i, j]).ToArray())).ToList();
    }

    public void Dispose() => Scorer.Dispose();
}
