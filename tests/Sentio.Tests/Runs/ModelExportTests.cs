using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Sentio.Tests.Cli;
using Sentio.Text;
using Sentio.Evaluation;
using Sentio.Models;
using Sentio.Runs;
using Sentio.Tests.Models;
using Sentio.Training;
using Xunit.Abstractions;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>;

namespace Sentio.Tests.Runs;

/// <summary><c>sentio export --format onnx</c> end to end: from a Hugging Face folder (against the Python reference
/// logits), from a run (the folder contract), and its errors.</summary>
[Collection(TorchRandomCollection.Name)]
public class ModelExportTests(ITestOutputHelper output)
{
    private static (int Exit, string Output, string Error) Export(string modelPath, string target, string format = "onnx") =>
        CliRunner.Run("export", "--format", format, "--model-path", modelPath, "--output", target);

    [Theory]
    [InlineData("bert")]
    [InlineData("distilbert")]
    [InlineData("roberta")]
    [InlineData("deberta-v2")]
    [InlineData("deberta-v3")]
    [InlineData("deberta-c2p")]
    public void AHuggingFaceFolderExportsToAGraphThatGivesThePythonReferenceLogits(string fixture)
    {
        // reference.json: a padded batch and the logits of tools/make_transformer_fixtures.py / make_deberta_fixtures.py.
        string folder = FineTuningFixtures.CheckpointWithTokenizer(fixture);
        string exported = Path.Combine(TestPaths.NewTempDirectory(), fixture);
        var (exit, _, error) = Export(folder, exported);
        Assert.True(exit == 0, error);

        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "reference.json"))).RootElement;
        long[][] Rows(string key) => reference.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        var ids = Rows("input_ids");
        int[] dims = [ids.Length, ids[0].Length];
        using var session = new InferenceSession(Path.Combine(exported, TransformerClassifier.OnnxModelPath));
        var feeds = session.InputMetadata.Keys.Select(name => NamedOnnxValue.CreateFromTensor(name, new DenseTensor(Rows(name).SelectMany(r => r).ToArray(), dims))).ToList();
        using var results = session.Run(feeds);
        float[] logits = results.First(r => r.Name == "logits").AsEnumerable<float>().ToArray();
        double[] expected = reference.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double diff = expected.Zip(logits, (e, a) => Math.Abs(e - a)).Max();
        output.WriteLine($"{fixture}: inputs {string.Join(", ", session.InputMetadata.Keys)}; max |Δ logit| vs Python {diff:E2} (largest |logit| {expected.Max(Math.Abs):F3})");
        Assert.Equal(expected.Length, logits.Length);
        Assert.InRange(diff, 0, 1e-4);
    }

    [Fact]
    public void AnExportFromARunWritesTheFolderContract()
    {
        string model = TinyTransformers.ModelFolder("bert", TransformerMode.FineTune, TransformerPooling.Mean);
        var run = new RunDirectory(TestPaths.NewTempDirectory());
        CopyFolder(model, run.Model);
        var thresholds = new ThresholdSet(ThresholdStrategy.PerLabel, ThresholdObjective.MacroF1, 0.4, TinyTransformers.Labels, [0.25, 0.5, 0.75]);
        thresholds.Save(run.Thresholds);
        string exported = Path.Combine(TestPaths.NewTempDirectory(), "emotions");
        var (exit, printed, error) = Export(run.Path, exported);
        Assert.True(exit == 0, error);
        Assert.Equal($"Wrote {exported}", printed.Trim());

        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(exported, "model.json"))).RootElement;
        Assert.Equal("sentio.OnnxClassifier.v1", manifest.GetProperty("architecture").GetString());
        Assert.Equal(TinyTransformers.Labels, manifest.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        var options = manifest.GetProperty("options");
        Assert.Equal(["family", "max_length", "inputs", "precision"], options.EnumerateObject().Select(p => p.Name));
        Assert.Equal("bert", options.GetProperty("family").GetString());
        Assert.Equal(TinyTransformers.MaxLength, options.GetProperty("max_length").GetInt32());
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], options.GetProperty("inputs").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal("fp32", options.GetProperty("precision").GetString());
        Assert.Equal(["anger", "joy", "sadness"], File.ReadAllLines(Path.Combine(exported, "labels.txt")));
        Assert.Equal([0.25, 0.5, 0.75], ThresholdSet.Load(Path.Combine(exported, "thresholds.json")).PerLabelThresholds);
        Assert.Equal("""
            name: "emotions"
            platform: "onnxruntime_onnx"
            max_batch_size: 64
            input [
              {
                name: "input_ids"
                data_type: TYPE_INT64
                dims: [ -1 ]
              },
              {
                name: "attention_mask"
                data_type: TYPE_INT64
                dims: [ -1 ]
              },
              {
                name: "token_type_ids"
                data_type: TYPE_INT64
                dims: [ -1 ]
              }
            ]
            output [
              {
                name: "logits"
                data_type: TYPE_FP32
                dims: [ 3 ]
              },
              {
                name: "probabilities"
                data_type: TYPE_FP32
                dims: [ 3 ]
              }
            ]
            dynamic_batching { }

            """.ReplaceLineEndings("\n"), File.ReadAllText(Path.Combine(exported, "config.pbtxt")));

        // The tokenizer files and config.json are the Hugging Face export's, byte for byte; its weights are not copied.
        string huggingFace = Path.Combine(TestPaths.NewTempDirectory(), "hf");
        Assert.Equal(0, Export(run.Path, huggingFace, "huggingface").Exit);
        string[] Files(string dir) => Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        Assert.Equal(Files(huggingFace).Where(f => f != "model.safetensors").Concat(["config.pbtxt", "labels.txt", "model.json", "thresholds.json"]).Order(StringComparer.Ordinal),
            Files(exported));
        foreach (string file in Files(huggingFace).Where(f => f != "model.safetensors"))
            Assert.Equal(File.ReadAllBytes(Path.Combine(huggingFace, file)), File.ReadAllBytes(Path.Combine(exported, file)));
        Assert.Equal(["model.onnx"], Files(Path.Combine(exported, "1")));
    }

    [Fact]
    public void ALinearModelIsAOneLineErrorNamingItsArchitecture()
    {
        var model = new NGramLinear(new NGramLinearOptions { WordNgrams = new() { Analyzer = NGramAnalyzer.Word, MaxN = 1, MinDocumentFrequency = 1 }, CharNgrams = null },
            FineTuningFixtures.Labels, seed: 1);
        model.Fit(FineTuningFixtures.Toy(), null, FitContext.Silent);
        string folder = TestPaths.NewTempDirectory();
        model.Save(folder);
        string target = Path.Combine(TestPaths.NewTempDirectory(), "out");
        var (exit, _, error) = Export(folder, target);
        Assert.Equal(1, exit);
        Assert.Equal($"sentio: error: {folder}: the model is {NGramLinear.ArchitectureName}; only {TransformerClassifier.ArchitectureName} models export as ONNX", error.Trim());
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void ANonEmptyOutputFolderIsRefusedAndLeftAsItWas()
    {
        string model = TinyTransformers.ModelFolder("distilbert", TransformerMode.FineTune, TransformerPooling.Pooler);
        string target = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(target, "keep.txt"), "mine");
        var (exit, _, error) = Export(model, target);
        Assert.Equal(1, exit);
        Assert.Equal($"sentio: error: {target}: the output folder exists and is not empty; remove it or choose another", error.Trim());
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName));
    }

    [Fact]
    public void AnOutputPathThatIsAFileIsRefusedAndLeftAsItWas()
    {
        string model = TinyTransformers.ModelFolder("bert", TransformerMode.FineTune, TransformerPooling.Cls);
        string target = Path.Combine(TestPaths.NewTempDirectory(), "model.onnx");
        File.WriteAllText(target, "mine");
        var (exit, _, error) = Export(model, target);
        Assert.Equal(1, exit);
        Assert.Equal($"sentio: error: {target}: is a file; the ONNX export writes a folder", error.Trim());
        Assert.Equal("mine", File.ReadAllText(target));
    }

    [Fact]
    public void AnUnknownFormatIsRefusedByTheParser()
    {
        var (exit, _, error) = CliRunner.Run("export", "--format", "tflite", "--model-path", "x", "--output", "y");
        Assert.NotEqual(0, exit);
        Assert.Contains("tflite", error);
    }

    [Fact]
    public void QuantizeInt8WritesAnInt8FolderWhoseProbabilitiesStayNearFp32s()
    {
        string model = TinyTransformers.ModelFolder("bert", TransformerMode.FineTune, TransformerPooling.Mean);
        string root = TestPaths.NewTempDirectory();
        string fp32 = Path.Combine(root, "fp32"), int8 = Path.Combine(root, "int8");
        Assert.Equal(0, Export(model, fp32).Exit);
        var (exit, _, error) = CliRunner.Run("export", "--format", "onnx", "--quantize", "int8", "--model-path", model, "--output", int8);
        Assert.True(exit == 0, error);

        Assert.Equal([fp32, int8], Directory.GetDirectories(root).Order());
        var options = JsonDocument.Parse(File.ReadAllText(Path.Combine(int8, "model.json"))).RootElement.GetProperty("options");
        Assert.Equal("int8", options.GetProperty("precision").GetString());
        double ratio = (double)new FileInfo(Path.Combine(int8, TransformerClassifier.OnnxModelPath)).Length
            / new FileInfo(Path.Combine(fp32, TransformerClassifier.OnnxModelPath)).Length;
        using var full = Sentio.Inference.Predictor.Load(fp32);
        using var quantized = Sentio.Inference.Predictor.Load(int8);
        var expected = full.PredictProbabilities(TinyTransformers.Texts);
        var actual = quantized.PredictProbabilities(TinyTransformers.Texts);
        double diff = 0;
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++) diff = Math.Max(diff, Math.Abs(expected[i, j] - actual[i, j]));
        output.WriteLine($"int8 / fp32 file size {ratio:P1}; max |Δ probability| {diff:E2}");
        // Activations are rounded to 1/255 of their range at run time; a random 2-layer model's probabilities move by a
        // few hundredths (OnnxQuantizerTests measures the same on its fixture).
        Assert.InRange(diff, 1e-6, 0.1);
        // In a model this small the fp32 biases, LayerNorms and position tables and the graph itself weigh about half the
        // file (measured 52%); MiniLM's int8 graph is 26% of its fp32 one (OnnxQuantizerTests).
        Assert.InRange(ratio, 0, 0.6);
    }

    [Fact]
    public void QuantizeInt8WithTheHuggingFaceFormatIsAOneLineError()
    {
        string model = TinyTransformers.ModelFolder("bert", TransformerMode.FineTune, TransformerPooling.Mean);
        string target = Path.Combine(TestPaths.NewTempDirectory(), "hf");
        var (exit, _, error) = CliRunner.Run("export", "--format", "huggingface", "--quantize", "int8", "--model-path", model, "--output", target);
        Assert.NotEqual(0, exit);
        Assert.Contains("--quantize int8: only the onnx format is quantized", error);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void ASingleLabelModelIsAOneLineErrorAndWritesNothing()
    {
        string model = TinyTransformers.ModelFolder("bert", TransformerMode.FineTune, TransformerPooling.Mean);
        string manifestPath = Path.Combine(model, "model.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!;
        manifest["problem_type"] = "single_label_classification";
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        string target = Path.Combine(TestPaths.NewTempDirectory(), "single");
        var (exit, _, error) = Export(model, target);
        Assert.NotEqual(0, exit);
        Assert.Contains("ONNX export covers multi_label_classification models; this one is single_label_classification", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(target));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
