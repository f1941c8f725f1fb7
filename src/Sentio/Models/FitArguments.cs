using Sentio.Data;

namespace Sentio.Models;

/// <summary>The checks every <see cref="ITrainableClassifier.Fit"/> makes before touching its data, so each model kind
/// fails the same way on the same bad input.</summary>
internal static class FitArguments
{
    /// <exception cref="SentioException">The training split is empty, or a split's labels differ from the model's.</exception>
    public static void Check(MultiLabelDataset train, MultiLabelDataset? validation, IReadOnlyList<string> labelNames)
    {
        if (train.Count == 0) throw new SentioException("training split: no examples to train on");
        if (!train.LabelNames.SequenceEqual(labelNames))
            throw new SentioException($"training split: labels {string.Join(",", train.LabelNames)} differ from the model's {string.Join(",", labelNames)}");
        if (validation != null && !validation.LabelNames.SequenceEqual(labelNames))
            throw new SentioException($"validation split: labels {string.Join(",", validation.LabelNames)} differ from the model's {string.Join(",", labelNames)}");
    }
}
