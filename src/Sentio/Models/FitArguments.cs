using Sentio.Data;
using Sentio.Training;

namespace Sentio.Models;

/// <summary>The checks every <see cref="ITrainableClassifier.Fit"/> makes before touching its data, so each model kind
/// fails the same way on the same bad input.</summary>
internal static class FitArguments
{
    /// <exception cref="SentioException">The training split is empty, a split's labels differ from the model's, a
    /// single-label split has a row without exactly one label (named by file:line), or <paramref name="training"/> does
    /// not fit the problem type.</exception>
    public static void Check(MultiLabelDataset train, MultiLabelDataset? validation, IReadOnlyList<string> labelNames,
        ProblemType problemType, NeuralTrainingOptions? training = null)
    {
        if (train.Count == 0) throw new SentioException("training split: no examples to train on");
        if (!train.LabelNames.SequenceEqual(labelNames))
            throw new SentioException($"training split: labels {string.Join(",", train.LabelNames)} differ from the model's {string.Join(",", labelNames)}");
        if (validation != null && !validation.LabelNames.SequenceEqual(labelNames))
            throw new SentioException($"validation split: labels {string.Join(",", validation.LabelNames)} differ from the model's {string.Join(",", labelNames)}");
        if (training?.ValidateFor(problemType).FirstOrDefault() is { } error)
            throw new SentioException($"model.training.{error}");
        if (problemType != ProblemType.SingleLabelClassification) return;
        if (labelNames.Count < 2) throw new SentioException($"single_label_classification needs at least 2 classes, got {labelNames.Count}");
        SingleLabelClasses.Of(train);
        if (validation != null) SingleLabelClasses.Of(validation);
    }
}
