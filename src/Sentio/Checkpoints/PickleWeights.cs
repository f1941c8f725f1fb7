using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Sentio.Checkpoints;

/// <summary>Reads a <c>pytorch_model.bin</c> (a state dict saved by <c>torch.save</c> in its zip format) with
/// TorchSharp.PyBridge. Its unpickler builds only tensors and dictionaries (Razorvine.Pickle with PyTorch's tensor
/// constructors registered), so, unlike Python's <c>torch.load</c>, loading a file runs none of its code.</summary>
public static class PickleWeights
{
    /// <summary>Every tensor of the state dict, contiguous; floating-point tensors become F32 as safetensors ones do,
    /// integer tensors keep their type. The caller owns the tensors.</summary>
    /// <exception cref="SentioException">The file is missing, in the legacy (pre-1.6) format, holds a whole pickled
    /// model rather than a state dict, or is damaged.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: not found");
        Hashtable state;
        try
        {
            using var stream = File.OpenRead(path);
            state = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (NotImplementedException e)
        {
            throw new SentioException($"{path}: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or InvalidCastException or Razorvine.Pickle.PickleException or IOException)
        {
            throw new SentioException($"{path}: not a readable torch.save state dict ({e.Message})", e);
        }
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        // Tied weights are one unpickled tensor under several names: convert it once, give each name its own handle.
        var converted = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        foreach (DictionaryEntry item in state)
        {
            if (item.Value is not Tensor stored) continue;
            if (converted.TryGetValue(stored, out var first))
            {
                tensors[(string)item.Key] = first.alias();
                continue;
            }
            var value = stored.is_floating_point() && stored.dtype != ScalarType.Float32 ? stored.to_type(ScalarType.Float32) : stored.contiguous();
            converted[stored] = value;
            tensors[(string)item.Key] = value;
        }
        foreach (var stored in converted.Keys) stored.Dispose();
        return tensors;
    }
}
