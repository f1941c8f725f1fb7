namespace Sentio.Evaluation;

/// <summary>How validation-tuned decision thresholds are chosen (the <c>thresholds:</c> section).</summary>
public sealed record ThresholdOptions
{
    /// <summary>Which thresholds predictions use: one per label (default) or one for all.</summary>
    public ThresholdStrategy Strategy { get; init; } = ThresholdStrategy.PerLabel;

    /// <summary>What the global threshold maximises on validation data.</summary>
    public ThresholdObjective Objective { get; init; } = ThresholdObjective.MacroF1;

    /// <summary>Tunes thresholds on validation data ([samples, labels]) and puts this strategy in use.</summary>
    public ThresholdSet Tune(double[,] probabilities, bool[,] truth, IReadOnlyList<string> labelNames) =>
        ThresholdTuner.Tune(probabilities, truth, labelNames, Objective).WithStrategy(Strategy);

    /// <summary>As <see cref="Tune(double[,], bool[,], IReadOnlyList{string})"/>, on saved split predictions.</summary>
    public ThresholdSet Tune(SplitPredictions predictions) => Tune(predictions.Probabilities, predictions.Truth, predictions.LabelNames);
}
