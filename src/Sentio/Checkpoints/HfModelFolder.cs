using Sentio.Text;
using static TorchSharp.torch;

namespace Sentio.Checkpoints;

/// <summary>A Hugging Face model folder: <c>config.json</c>, weights in <c>model.safetensors</c> (or a sharded
/// <c>model.safetensors.index.json</c> with its shards, or <c>pytorch_model.bin</c>) and the tokenizer's files: reading its
/// weights (its tokenizer is <c>Text.TransformerTokenizers.FromFolder</c>). Building a classifier from such a folder is <c>Models.HuggingFaceClassifier</c>'s job.</summary>
public static class HfModelFolder
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string PickleWeightsFile = "pytorch_model.bin";

    /// <summary>Reads the folder's weights: <c>model.safetensors</c>, else the sharded index, else <c>pytorch_model.bin</c>
    /// (through <see cref="PickleWeights"/>, which runs no code from the file). Returns the tensors (owned by the caller)
    /// and the file they came from.</summary>
    /// <exception cref="SentioException">No weights file, or one that cannot be read.</exception>
    public static (Dictionary<string, Tensor> Tensors, string Source) ReadWeights(string folder)
    {
        string single = Path.Combine(folder, WeightsFile);
        if (File.Exists(single)) return (SafeTensors.Read(single), single);
        string index = Path.Combine(folder, SafeTensors.IndexFile);
        if (File.Exists(index)) return (SafeTensors.ReadSharded(index), index);
        string pickle = Path.Combine(folder, PickleWeightsFile);
        if (File.Exists(pickle)) return (PickleWeights.Read(pickle), pickle);
        throw new SentioException($"{folder}: no {WeightsFile}, {SafeTensors.IndexFile} or {PickleWeightsFile}; is it a Hugging Face model folder?");
    }
}
