using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Sentio.Text;
using Sentio.Checkpoints;
using Sentio.Models;
using Sentio.Tests.Checkpoints;
using Xunit.Abstractions;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>;

namespace Sentio.Tests.Models;

/// <summary>The exported graph run by ONNX Runtime against TorchSharp's <see cref="TransformerClassifier.PredictProbabilities"/>:
/// every family, mode and pooling, on padded batches of real texts tokenized from the exported folder.</summary>
[Collection(TorchRandomCollection.Name)]
public class TransformerOnnxTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string, TransformerMode, TransformerPooling> Exportable => new()
    {
        { "bert", TransformerMode.FineTune, TransformerPooling.Pooler },
        { "bert", TransformerMode.FineTune, TransformerPooling.Cls },
        { "bert", TransformerMode.FineTune, TransformerPooling.Mean },
        { "bert", TransformerMode.FeatureExtract, TransformerPooling.Pooler },
        { "bert", TransformerMode.FeatureExtract, TransformerPooling.Mean },
        { "distilbert", TransformerMode.FineTune, TransformerPooling.Pooler },
        { "distilbert", TransformerMode.FineTune, TransformerPooling.Mean },
        { "distilbert", TransformerMode.FeatureExtract, TransformerPooling.Cls },
        { "roberta", TransformerMode.FineTune, TransformerPooling.Pooler },
        { "roberta", TransformerMode.FineTune, TransformerPooling.Cls },
        { "roberta", TransformerMode.FeatureExtract, TransformerPooling.Mean },
        { "deberta-v2", TransformerMode.FineTune, TransformerPooling.Pooler },
        { "deberta-v2", TransformerMode.FeatureExtract, TransformerPooling.Mean },
        { "deberta-v3", TransformerMode.FineTune, TransformerPooling.Pooler },
        { "deberta-v3", TransformerMode.FineTune, TransformerPooling.Cls },
        { "deberta-c2p", TransformerMode.FineTune, TransformerPooling.Pooler },
    };

    [Theory]
    [MemberData(nameof(Exportable))]
    public void OnnxRuntimeGivesTorchSharpsProbabilities(string kind, TransformerMode mode, TransformerPooling pooling)
    {
        string folder = TinyTransformers.ModelFolder(kind, mode, pooling);
        using var model = TransformerClassifier.Load(folder);
        string exported = Path.Combine(TestPaths.NewTempDirectory(), "tiny");
        model.ExportOnnx(exported);

        var expected = model.PredictProbabilities(TinyTransformers.Texts);
        var (probabilities, logits) = RunOnnx(exported, TinyTransformers.Texts, batchSize: 3);
        double diff = 0, sigmoidDiff = 0, low = 1, high = 0;
        for (int i = 0; i < TinyTransformers.Texts.Length; i++)
            for (int j = 0; j < TinyTransformers.Labels.Length; j++)
            {
                diff = Math.Max(diff, Math.Abs(expected[i, j] - probabilities[i, j]));
                sigmoidDiff = Math.Max(sigmoidDiff, Math.Abs(1 / (1 + Math.Exp(-logits[i, j])) - probabilities[i, j]));
                low = Math.Min(low, expected[i, j]);
                high = Math.Max(high, expected[i, j]);
            }
        output.WriteLine($"{kind} {mode} {pooling}: max |Δp| {diff:E2} over {expected.Length} probabilities in [{low:F3}, {high:F3}]");
        Assert.InRange(diff, 0, Tolerance);
        Assert.InRange(sigmoidDiff, 0, 1e-6);
        // The weights are spread wide: a graph that ignored the text would not pass for one that reads it.
        Assert.True(high - low > 0.3, $"probabilities only span [{low}, {high}]");
    }

    [Theory]
    [InlineData("bert", TransformerMode.FineTune, TransformerPooling.Pooler)]
    [InlineData("distilbert", TransformerMode.FineTune, TransformerPooling.Mean)]
    [InlineData("roberta", TransformerMode.FeatureExtract, TransformerPooling.Cls)]
    [InlineData("deberta-v2", TransformerMode.FineTune, TransformerPooling.Pooler)]
    public void TheGraphIsWellFormedAndItsWeightsKeepTheirStateDictNames(string kind, TransformerMode mode, TransformerPooling pooling)
    {
        string folder = TinyTransformers.ModelFolder(kind, mode, pooling);
        using var model = TransformerClassifier.Load(folder);
        string exported = Path.Combine(TestPaths.NewTempDirectory(), "tiny");
        model.ExportOnnx(exported);

        var onnx = OnnxImporter.Read(Path.Combine(exported, TransformerClassifier.OnnxModelPath));
        Assert.Equal(8, onnx.IrVersion);
        var opset = Assert.Single(onnx.OpsetImport);
        Assert.Equal(("", 17L), (opset.Domain, opset.Version));
        Assert.All(onnx.Graph.Node, n => Assert.Equal("", n.Domain));
        var defined = new HashSet<string>(onnx.Graph.Input.Select(i => i.Name).Concat(onnx.Graph.Initializer.Select(t => t.Name)));
        foreach (var node in onnx.Graph.Node)
        {
            Assert.All(node.Input, input => Assert.True(defined.Contains(input), $"{node.Name} reads '{input}', which nothing before it makes"));
            foreach (string produced in node.Output) Assert.True(defined.Add(produced), $"{produced} is made twice");
        }
        Assert.Equal(["logits", "probabilities"], onnx.Graph.Output.Select(o => o.Name));
        foreach (var value in onnx.Graph.Input.Concat(onnx.Graph.Output))
            Assert.Equal(value.Name is "logits" or "probabilities" ? ["batch", "3"] : ["batch", "sequence"],
                value.Type.TensorType.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p : d.DimValue.ToString()));

        // Every initializer but the shared constants is a tensor of the saved model, same name, same shape.
        var saved = SafeTensors.Read(Path.Combine(folder, TransformerClassifier.HuggingFaceFolder, HfModelFolder.WeightsFile));
        string headFile = Path.Combine(folder, TransformerClassifier.HeadFile);
        if (File.Exists(headFile))
            foreach (var (key, value) in SafeTensors.Read(headFile)) saved["head." + key] = value;
        var weights = onnx.Graph.Initializer.Where(t => !t.Name.StartsWith("const_", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(weights);
        Assert.All(weights, w => Assert.Equal(saved[w.Name].shape, w.Dims.ToArray()));
        foreach (var tensor in saved.Values) tensor.Dispose();
    }

    [Fact]
    public void APretrainedMiniLmClassifierExportsWithinTolerance()
    {
        // all-MiniLM-L6-v2 (6 layers × 384) with a new head for three labels, spread like the tiny models' weights.
        string encoder = PretrainedModels.Folder("all-MiniLM-L6-v2");
        string folder = TestPaths.NewTempDirectory();
        string hf = Path.Combine(folder, TransformerClassifier.HuggingFaceFolder);
        TorchSharp.torch.manual_seed(3);
        var (network, _) = HuggingFaceClassifier.LoadClassifier(encoder, TinyTransformers.Labels);
        using (network)
        {
            using (TorchSharp.torch.no_grad())
                foreach (var (name, parameter) in network.Module.named_parameters())
                    if (name.StartsWith("classifier.", StringComparison.Ordinal)) parameter.add_(TorchSharp.torch.randn_like(parameter) * 0.3);
            HuggingFaceClassifier.Save(network, hf, TransformerTokenizers.FromFolder(encoder));
        }
        var options = new TransformerClassifierOptions { Pretrained = hf, Pooling = TransformerPooling.Mean, MaxLength = 128 };
        ModelManifest.Write(folder, TransformerClassifier.ArchitectureName, TinyTransformers.Labels, options, 3);
        using var model = TransformerClassifier.Load(folder);
        string exported = Path.Combine(TestPaths.NewTempDirectory(), "minilm");
        model.ExportOnnx(exported);

        var texts = File.ReadLines(Path.Combine(TestPaths.SharedData, "goemotions", "original", "dev.tsv")).Take(40).Select(l => l.Split('\t')[0])
            .Concat(TinyTransformers.Texts).ToArray();
        var expected = model.PredictProbabilities(texts);
        var (probabilities, _) = RunOnnx(exported, texts, batchSize: 16);
        double diff = 0, low = 1, high = 0;
        for (int i = 0; i < texts.Length; i++)
            for (int j = 0; j < TinyTransformers.Labels.Length; j++)
            {
                diff = Math.Max(diff, Math.Abs(expected[i, j] - probabilities[i, j]));
                low = Math.Min(low, expected[i, j]);
                high = Math.Max(high, expected[i, j]);
            }
        long bytes = new FileInfo(Path.Combine(exported, TransformerClassifier.OnnxModelPath)).Length;
        output.WriteLine($"all-MiniLM-L6-v2 mean: {texts.Length} texts, max |Δp| {diff:E2}, probabilities in [{low:F3}, {high:F3}], model.onnx {bytes / 1e6:F1} MB");
        Assert.InRange(diff, 0, Tolerance);
        Assert.True(high - low > 0.3, $"probabilities only span [{low}, {high}]");
    }

    [Fact]
    public void AFeatureHeadOnAPoolerTheEncoderLacksIsAOneLineErrorAndWritesNothing()
    {
        // Training refuses this combination; a hand-edited model.json can still ask for it.
        string folder = TinyTransformers.ModelFolder("roberta", TransformerMode.FeatureExtract, TransformerPooling.Pooler);
        using var model = TransformerClassifier.Load(folder);
        string exported = Path.Combine(TestPaths.NewTempDirectory(), "tiny");
        var error = Assert.Throws<SentioException>(() => model.ExportOnnx(exported));
        Assert.Equal("ONNX export: pooling pooler in feature_extract mode needs BERT's pooler; roberta has none", error.Message);
        Assert.False(Directory.Exists(exported));
    }

    /// <summary>Tokenizes <paramref name="texts"/> with the folder's own tokenizer and max_length, feeds the inputs
    /// model.json lists, in padded batches, and returns probabilities and logits [texts, labels].</summary>
    internal static (double[,] Probabilities, double[,] Logits) RunOnnx(string folder, IReadOnlyList<string> texts, int batchSize)
    {
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "model.json"))).RootElement;
        int labels = manifest.GetProperty("labels").GetArrayLength();
        var options = manifest.GetProperty("options");
        int maxLength = options.GetProperty("max_length").GetInt32();
        var inputs = options.GetProperty("inputs").EnumerateArray().Select(i => i.GetString()!).ToArray();
        var tokenizer = TransformerTokenizers.FromFolder(folder);
        using var session = new InferenceSession(Path.Combine(folder, "1", "model.onnx"), new SessionOptions { IntraOpNumThreads = 1 });
        Assert.Equal(inputs, session.InputMetadata.Keys);
        var probabilities = new double[texts.Count, labels];
        var logits = new double[texts.Count, labels];
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            var batch = tokenizer.EncodeBatch(texts.Skip(start).Take(batchSize).ToList(), maxLength);
            int[] dims = [batch.BatchSize, batch.SequenceLength];
            var values = new Dictionary<string, long[]>
            {
                ["input_ids"] = batch.InputIds, ["attention_mask"] = batch.AttentionMask, ["token_type_ids"] = batch.TokenTypeIds,
            };
            using var results = session.Run(inputs.Select(n => NamedOnnxValue.CreateFromTensor(n, new DenseTensor(values[n], dims))).ToList());
            float[] p = results.First(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
            float[] l = results.First(r => r.Name == "logits").AsEnumerable<float>().ToArray();
            for (int i = 0; i < batch.BatchSize; i++)
                for (int j = 0; j < labels; j++)
                {
                    probabilities[start + i, j] = p[i * labels + j];
                    logits[start + i, j] = l[i * labels + j];
                }
        }
        return (probabilities, logits);
    }
}
