using System.Text.Json.Nodes;
using Sentio.Onnx;
using Sentio.Text;

namespace Sentio.Tests.Onnx;

/// <summary>The ONNX Runtime scorer on a folder exported by torch.onnx.export (tools/make_onnx_classifier_fixture.py): the
/// token ids Hugging Face's BertTokenizer gives, and torch's probabilities for them.</summary>
public class OnnxScorerTests
{
    /// <summary>float32 through two ONNX Runtime kernels against torch's: a few ulps of values in (0, 1).</summary>
    private const double Tolerance = 1e-5;

    public static string Fixtures { get; } = Path.Combine(TestPaths.Fixtures, "onnx_classifier");
    public static string Tiny { get; } = Path.Combine(Fixtures, "tiny");

    public static (string[] Texts, int MaxLength, int[][] Ids, double[][] Probabilities) Reference()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures, "reference.json")))!;
        return (json["texts"]!.AsArray().Select(t => (string)t!).ToArray(), (int)json["max_length"]!,
            json["input_ids"]!.AsArray().Select(r => r!.AsArray().Select(v => (int)v!).ToArray()).ToArray(),
            json["probabilities"]!.AsArray().Select(r => r!.AsArray().Select(v => (double)v!).ToArray()).ToArray());
    }

    [Fact]
    public void The_folder_tokenizer_gives_the_ids_of_hugging_face_bert_tokenizer_truncated_at_max_length()
    {
        var (texts, maxLength, ids, _) = Reference();
        var tokenizer = TransformerTokenizers.FromFolder(Tiny);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(ids[i], tokenizer.Encode(texts[i], maxLength).InputIds);
        Assert.Contains(ids, row => row.Length == maxLength); // the long text is cut
    }

    [Theory]
    [InlineData(32, true)]
    [InlineData(3, true)]
    [InlineData(2, false)]
    [InlineData(1, false)]
    public void Probabilities_equal_torch_on_padded_batches_of_any_size_and_order(int batchSize, bool sortByLength)
    {
        var (texts, _, _, expected) = Reference();
        using var scorer = OnnxScorer.Load(Tiny, new OnnxScorerOptions { BatchSize = batchSize, SortByLength = sortByLength, IntraOpThreads = 1 });
        var probabilities = scorer.PredictProbabilities(texts);
        Assert.Equal([texts.Length, 5], [probabilities.GetLength(0), probabilities.GetLength(1)]);
        for (int i = 0; i < texts.Length; i++)
            for (int j = 0; j < 5; j++)
                Assert.InRange(Math.Abs(probabilities[i, j] - expected[i][j]), 0, Tolerance);
    }

    [Fact]
    public void The_predictor_applies_the_folder_thresholds()
    {
        var (texts, _, _, expected) = Reference();
        using var predictor = OnnxPredictor.Load(Tiny);
        // thresholds.json: per-label 0.3, 0.4, 0.5, 0.6, 0.7 in label order.
        double[] thresholds = [0.3, 0.4, 0.5, 0.6, 0.7];
        var predictions = predictor.Predict(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var labels = Enumerable.Range(0, 5).Where(j => expected[i][j] >= thresholds[j]).Select(j => predictor.LabelNames[j]);
            Assert.Equal(labels, predictions[i].Labels);
            Assert.Equal(texts[i], predictions[i].Text);
        }
        Assert.Contains(predictions, p => p.Labels.Count is > 0 and < 5); // the thresholds separate some labels
    }

    [Fact]
    public void No_texts_give_an_empty_result()
    {
        using var scorer = OnnxScorer.Load(Tiny);
        Assert.Equal([0, 5], (int[])[scorer.PredictProbabilities([]).GetLength(0), scorer.PredictProbabilities([]).GetLength(1)]);
    }

    /// <summary>A copy of the tiny folder whose graph <paramref name="replace"/> rewrites.</summary>
    public static string CopyOfTiny(Action<string> replace)
    {
        string folder = TestPaths.NewTempDirectory();
        foreach (string file in Directory.EnumerateFiles(Tiny, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(folder, Path.GetRelativePath(Tiny, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        replace(Path.Combine(folder, OnnxClassifierFolder.ModelFile));
        return folder;
    }

    [Theory]
    [InlineData("damaged", "ONNX Runtime cannot load the graph")]
    [InlineData("foreign_inputs.onnx", "not a Sentio classifier graph: inputs are [x]")]
    [InlineData("foreign_outputs.onnx", "not a Sentio classifier graph: no output 'logits'")]
    public void A_damaged_or_foreign_graph_is_a_one_line_error_naming_the_file(string graph, string expected)
    {
        string folder = CopyOfTiny(model =>
        {
            if (graph == "damaged") File.WriteAllBytes(model, File.ReadAllBytes(model)[..1000]);
            else File.Copy(Path.Combine(Fixtures, graph), model, overwrite: true);
        });
        var error = Assert.Throws<SentioException>(() => OnnxScorer.Load(folder));
        Assert.StartsWith($"{Path.Combine(folder, OnnxClassifierFolder.ModelFile)}: {expected}", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("\"family\": \"bert\"", "\"family\": \"gpt2\"", "options.family 'gpt2' is not one of bert, distilbert, roberta, deberta-v2")]
    [InlineData("\"precision\": \"fp32\"", "\"precision\": \"fp16\"", "options.precision 'fp16' is not one of fp32, int8")]
    [InlineData("\"max_length\": 24", "\"max_length\": 1", "options.max_length 1 must be at least 2")]
    [InlineData("\"sentio.OnnxClassifier.v1\"", "\"sentio.BertClassifier.v1\"", "architecture is 'sentio.BertClassifier.v1', expected 'sentio.OnnxClassifier.v1'")]
    public void An_invalid_manifest_is_an_error_naming_the_file_and_key(string find, string replace, string expected)
    {
        string folder = CopyOfTiny(_ => { });
        string manifest = Path.Combine(folder, OnnxClassifierFolder.ManifestFile);
        string text = File.ReadAllText(manifest);
        Assert.Contains(find, text);
        File.WriteAllText(manifest, text.Replace(find, replace));
        var error = Assert.Throws<SentioException>(() => OnnxClassifierFolder.Read(folder));
        Assert.Equal($"{manifest}: {expected}", error.Message);
    }

    [Fact]
    public void A_manifest_without_its_graph_is_an_error_naming_the_missing_file()
    {
        string folder = CopyOfTiny(File.Delete);
        var error = Assert.Throws<SentioException>(() => OnnxClassifierFolder.Read(folder));
        Assert.StartsWith($"{Path.Combine(folder, OnnxClassifierFolder.ModelFile)}: not found", error.Message);
    }
}
