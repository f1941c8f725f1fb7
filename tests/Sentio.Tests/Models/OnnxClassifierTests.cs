using System.Text.Json.Nodes;
using Sentio.Catalog;
using Sentio.Inference;
using Sentio.Models;
using Sentio.Onnx;
using Sentio.Tests.Cli;
using Sentio.Tests.Onnx;

namespace Sentio.Tests.Models;

/// <summary>An exported ONNX folder (tools/make_onnx_classifier_fixture.py) through the catalog, the predictor, the
/// backend choice and the CLI.</summary>
public class OnnxClassifierTests
{
    private static string Tiny => OnnxScorerTests.Tiny;

    [Fact]
    public void The_catalog_loads_an_onnx_folder_that_scores_as_torch_did()
    {
        var (texts, _, _, expected) = OnnxScorerTests.Reference();
        using var model = ModelCatalog.Load(Tiny);
        Assert.IsType<OnnxClassifier>(model);
        Assert.Equal(["admiration", "anger", "joy", "sadness", "surprise"], model.LabelNames);
        var probabilities = model.PredictProbabilities(texts);
        for (int i = 0; i < texts.Length; i++)
            for (int j = 0; j < 5; j++)
                Assert.InRange(Math.Abs(probabilities[i, j] - expected[i][j]), 0, 1e-5);
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(OnnxScorerTests.Fixtures, "reference.json")))!;
        Assert.Equal((long)reference["initializer_elements"]!, model.ParameterCount);
    }

    [Fact]
    public void Saving_copies_the_folder_which_loads_again()
    {
        string copy = TestPaths.NewTempDirectory();
        using (var model = ModelCatalog.Load(Tiny)) model.Save(copy);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Tiny, OnnxClassifierFolder.ModelFile)), File.ReadAllBytes(Path.Combine(copy, OnnxClassifierFolder.ModelFile)));
        using var again = ModelCatalog.Load(copy);
        Assert.Equal(5, again.PredictProbabilities(["ok"]).GetLength(1));
    }

    [Theory]
    [InlineData(ModelBackend.Auto)]
    [InlineData(ModelBackend.Onnx)]
    public void A_model_folder_predicts_with_its_own_thresholds(ModelBackend backend)
    {
        using var predictor = Predictor.Load(Tiny, backend);
        Assert.IsType<OnnxClassifier>(predictor.Model);
        Assert.Equal([0.3, 0.4, 0.5, 0.6, 0.7], predictor.Thresholds.ThresholdsFor(predictor.LabelNames));
    }

    [Fact]
    public void Torch_on_an_onnx_folder_and_onnx_on_a_torch_folder_are_one_line_errors()
    {
        var torch = Assert.Throws<SentioException>(() => Predictor.Load(Tiny, ModelBackend.Torch));
        Assert.Equal($"--backend torch: {Tiny} is an exported ONNX folder (no TorchSharp weights); use --backend onnx or the Sentio model folder it was exported from", torch.Message);
        string bert = Path.Combine(TestPaths.Fixtures, "transformers", "bert");
        var onnx = Assert.Throws<SentioException>(() => Predictor.Load(bert, ModelBackend.Onnx));
        Assert.StartsWith($"--backend onnx: {Path.Combine(bert, OnnxClassifierFolder.ModelFile)} not found", onnx.Message);
    }

    [Fact]
    public void Sentio_predict_runs_an_onnx_folder_and_rejects_a_mismatched_backend()
    {
        var (texts, _, _, expected) = OnnxScorerTests.Reference();
        var (exit, output, error) = CliRunner.Run(["predict", "--model-path", Tiny, "--text", texts[0], "--json"]);
        Assert.True(exit == 0, error);
        var row = JsonNode.Parse(output)!.AsArray()[0]!;
        Assert.Equal(expected[0][2], (double)row["probabilities"]!["joy"]!, 1e-5);

        (exit, _, error) = CliRunner.Run(["predict", "--model-path", Tiny, "--text", "ok", "--backend", "torch"]);
        Assert.Equal(1, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("--backend torch:", error);
    }

    [Fact]
    public void A_damaged_graph_fails_sentio_predict_with_one_line_naming_the_file()
    {
        string folder = OnnxScorerTests.CopyOfTiny(model => File.WriteAllText(model, "not a protobuf"));
        var (exit, _, error) = CliRunner.Run(["predict", "--model-path", folder, "--text", "ok"]);
        Assert.Equal(1, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(Path.Combine(folder, OnnxClassifierFolder.ModelFile), error);
    }
}
