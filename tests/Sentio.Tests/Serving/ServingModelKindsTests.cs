using System.Net;
using System.Text.Json;
using Sentio.Catalog;
using Sentio.Inference;
using Sentio.Models;
using Sentio.Tests.Models;

namespace Sentio.Tests.Serving;

/// <summary>The server answers for every kind of model folder Sentio loads, with the probabilities the model itself gives.</summary>
[Collection(TorchRandomCollection.Name)]
public class ServingModelKindsTests
{
    private static readonly string[] Texts = ["I love this so much", "what a terrible, sad day", "ok"];

    public static TheoryData<string> Kinds => ["onnx", "transformer", "ensemble"];

    private static string ModelFolder(string kind)
    {
        switch (kind)
        {
            case "onnx":
                return Path.Combine(TestPaths.Fixtures, "onnx_classifier", "tiny");
            case "transformer":
                return TinyTransformers.ModelFolder("bert", TransformerMode.FineTune, TransformerPooling.Mean);
            default:
            {
                string folder = TestPaths.NewTempDirectory();
                using var first = ModelCatalog.Load(TinyTransformers.ModelFolder("bert", TransformerMode.FineTune, TransformerPooling.Mean, seed: 1));
                using var second = ModelCatalog.Load(TinyTransformers.ModelFolder("distilbert", TransformerMode.FineTune, TransformerPooling.Cls, seed: 2));
                using var ensemble = new EnsembleClassifier([first, second], [0.25, 0.75]);
                ensemble.Save(folder);
                return folder;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Each_model_kind_is_served_with_its_own_probabilities(string kind)
    {
        string folder = ModelFolder(kind);
        using var predictor = Predictor.Load(folder);
        var expected = predictor.PredictProbabilities(Texts);

        await using var server = await TestServer.StartAsync(folder);
        var body = await server.PostJsonAsync("/v1/predict", $"{{\"texts\": {JsonSerializer.Serialize(Texts)}}}", HttpStatusCode.OK);
        var predictions = body.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(Texts.Length, predictions.Length);
        for (int i = 0; i < Texts.Length; i++)
        {
            var probabilities = predictions[i].GetProperty("probabilities").EnumerateObject().ToArray();
            Assert.Equal(predictor.LabelNames, probabilities.Select(p => p.Name));
            // Batched with other requests or not, a text's probabilities are the model's own up to float rounding.
            for (int j = 0; j < probabilities.Length; j++) Assert.Equal(expected[i, j], probabilities[j].Value.GetDouble(), 1e-6);
        }
    }
}
