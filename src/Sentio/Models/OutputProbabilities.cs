using Sentio.Data;
using static TorchSharp.torch;

namespace Sentio.Models;

/// <summary>Logits to probabilities by problem type, the one place the neural models choose softmax or sigmoid.</summary>
internal static class OutputProbabilities
{
    /// <summary>[batch, labels] logits → a softmax over the labels (single-label) or one sigmoid per label (multi-label).</summary>
    public static Tensor Of(Tensor logits, ProblemType problemType) =>
        problemType == ProblemType.SingleLabelClassification ? logits.softmax(1) : logits.sigmoid();
}
