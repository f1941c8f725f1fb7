using TorchSharp;
using static TorchSharp.torch;

namespace Sentio.Checkpoints;

/// <summary>What a load left out: tensors the module has that the checkpoint lacked (left at their initial
/// values), and checkpoint tensors Sentio knowingly ignores.</summary>
public sealed record LoadReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Ignored);

/// <summary>Copies named tensors into a module whose <c>state_dict()</c> keys are Hugging Face's names.</summary>
public static class StateDictLoader
{
    /// <summary>Buffers older Hugging Face versions saved and current ones rebuild (<c>persistent=False</c>); a
    /// checkpoint may carry them, a module needs none.</summary>
    private static readonly string[] IgnorableSuffixes = ["embeddings.position_ids", "embeddings.token_type_ids"];

    /// <summary>Copies <paramref name="tensors"/> into <paramref name="module"/> by name. Every module tensor must be
    /// present (except those whose names start with one of <paramref name="optionalPrefixes"/>, which keep their
    /// initial values), no checkpoint tensor may be left over, and every shape must match.</summary>
    /// <param name="source">The file the tensors came from, named in errors.</param>
    /// <exception cref="SentioException">Lists every missing, unexpected and mismatched tensor in one message.</exception>
    public static LoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source,
        IReadOnlyList<string>? optionalPrefixes = null)
    {
        var targets = module.state_dict();
        var missing = new List<string>();
        var optionalMissing = new List<string>();
        var mismatched = new List<string>();
        foreach (var (name, target) in targets)
        {
            if (!tensors.TryGetValue(name, out var value))
            {
                if (optionalPrefixes?.Any(p => name.StartsWith(p, StringComparison.Ordinal)) == true) optionalMissing.Add(name);
                else missing.Add(name);
            }
            else if (!value.shape.SequenceEqual(target.shape))
                mismatched.Add($"{name} [{string.Join(", ", value.shape)}] in the file, [{string.Join(", ", target.shape)}] in the model");
        }
        var ignored = tensors.Keys.Where(k => !targets.ContainsKey(k) && IgnorableSuffixes.Any(s => k.EndsWith(s, StringComparison.Ordinal))).ToList();
        var unexpected = tensors.Keys.Where(k => !targets.ContainsKey(k) && !ignored.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {missing.Count}: {string.Join(", ", missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count}: {string.Join(", ", unexpected)}");
            if (mismatched.Count > 0) parts.Add($"shape mismatch {mismatched.Count}: {string.Join("; ", mismatched)}");
            throw new SentioException($"{source}: checkpoint does not fit the {module.GetType().Name}: {string.Join(" | ", parts)}");
        }
        using (no_grad())
        {
            foreach (var (name, target) in targets)
            {
                // copy_ converts the dtype (safetensors floats are all F32 by now).
                if (tensors.TryGetValue(name, out var value)) target.copy_(value);
            }
        }
        return new LoadReport(optionalMissing, ignored);
    }
}
