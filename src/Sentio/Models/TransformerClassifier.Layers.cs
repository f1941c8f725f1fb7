using System.Text.RegularExpressions;
using Sentio.Training;

namespace Sentio.Models;

/// <summary>Per-layer training controls: which encoder layer a parameter is in, its learning-rate multiplier, gradual unfreezing.</summary>
public sealed partial class TransformerClassifier
{
    /// <summary>Which encoder layer a parameter belongs to: 0 = embeddings, k = block k − 1, <paramref name="layerCount"/> = the
    /// rest of the encoder (BERT's pooler); null = the classification head.</summary>
    public static int? EncoderLayer(string parameterName, string encoderPrefix, int layerCount)
    {
        if (!parameterName.StartsWith(encoderPrefix + ".", StringComparison.Ordinal)) return null;
        var block = BlockKey().Match(parameterName);
        if (block.Success) return int.Parse(block.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1;
        return parameterName.StartsWith(encoderPrefix + ".embeddings.", StringComparison.Ordinal) ? 0 : layerCount;
    }

    /// <summary>A parameter's learning rate relative to the head's: encoder_learning_rate_multiplier ·
    /// layerwise_lr_decay^(layers − layer) in the encoder (layer from <see cref="EncoderLayer"/>), 1 in the head.</summary>
    public static double LearningRateMultiplier(string parameterName, string encoderPrefix, int layerCount, TransformerClassifierOptions options) =>
        EncoderLayer(parameterName, encoderPrefix, layerCount) is { } layer
            ? options.EncoderLearningRateMultiplier * NeuralTrainer.LayerwiseMultiplier(layer, layerCount, options.Training.LayerwiseLrDecay)
            : 1.0;

    /// <summary>Sets requires_grad for gradual unfreezing: the head always trains; with <paramref name="layers"/> = n the top n
    /// blocks (and BERT's pooler when n ≥ 1) train; null or n ≥ the block count = the whole encoder, embeddings included.</summary>
    public static void Unfreeze(ITransformerClassifier model, int? layers)
    {
        int count = model.Config.NumHiddenLayers;
        int lowest = layers is { } n && n < count ? count - n + 1 : 0;
        foreach (var (name, parameter) in model.Module.named_parameters())
            parameter.requires_grad = EncoderLayer(name, model.Config.Family.StateDictPrefix, count) is not { } layer || layer >= lowest;
    }

    [GeneratedRegex(@"^[a-z]+\.(?:encoder|transformer)\.layer\.(\d+)\.")]
    private static partial Regex BlockKey();
}
