using Sentio.Cli;
using Sentio.Tests.Checkpoints;
using Sentio.Tests.Models;

namespace Sentio.Tests.Cli;

public class ModelPullCommandTests
{
    [Fact]
    public void Model_pull_downloads_a_repository_into_the_cache_and_names_the_folder()
    {
        string bert = ModelExactnessTests.Folder("bert");
        using var hub = new FakeHub(new Dictionary<string, byte[]>
        {
            ["config.json"] = File.ReadAllBytes(Path.Combine(bert, "config.json")),
            ["model.safetensors"] = File.ReadAllBytes(Path.Combine(bert, "model.safetensors")),
        }, ["model.safetensors"]);
        string cache = TestPaths.NewTempDirectory();
        var output = new StringWriter();
        var error = new StringWriter();

        int exit = SentioCommandLine.Run(["model", "pull", "sentio/tiny-bert", "--endpoint", hub.Endpoint, "--cache-dir", cache], output, error);

        Assert.True(exit == 0, error.ToString());
        string folder = Path.Combine(cache, "models--sentio--tiny-bert", "snapshots", FakeHub.Commit);
        Assert.Contains($"Model folder: {folder}", output.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(bert, "model.safetensors")), File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
    }

    [Fact]
    public void Model_pull_from_an_unreachable_hub_fails_with_one_line()
    {
        var error = new StringWriter();
        int exit = SentioCommandLine.Run(["model", "pull", "sentio/none", "--endpoint", "http://127.0.0.1:9", "--cache-dir", TestPaths.NewTempDirectory()], new StringWriter(), error);
        Assert.Equal(1, exit);
        Assert.StartsWith("sentio: error: ", error.ToString());
        Assert.Single(error.ToString().Trim().Split('\n'));
    }
}
