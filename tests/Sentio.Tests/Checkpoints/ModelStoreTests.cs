using Sentio.Checkpoints;

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
}
