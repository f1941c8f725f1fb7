using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>;
using Sentio.Checkpoints;
using Sentio.Text;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Sentio.Models;

namespace Sentio.Tests.Checkpoints;

/// <summary>Sentio's BERT on the converted weights against ONNX Runtime on the package's own model.onnx: the same token
/// ids in, the same last hidden states and mean-pooled embeddings out, on padded batches of real texts.</summary>
public class OnnxRuntimeParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    /// <summary>GoEmotions dev comments plus emoji, accents, CJK, markup and texts long enough to be truncated.</summary>
    private static IReadOnlyList<string> Texts()
    {
        var comments = File.ReadLines(Path.Combine(TestPaths.SharedData, "goemotions", "original", "dev.tsv")).Take(24).Select(l => l.Split('\t')[0]);
        string longText = string.Join(" ", Enumerable.Repeat("This sentence keeps going, with commas; numbers like 3.14 and [NAME] placeholders!", 20));
        return
        [
            .. comments,
            "I love this 😍😍😍 so much!!! 🎉",
            "Café crème, naïve résumé — très élégant. Über straße, ñandú, ÅNGSTRÖM",
            "我很高兴 and 今日はとても嬉しい",
            "<b>bold</b> &amp; http://example.com/path?q=1 #hashtag @user",
            "ok",
            longText,
            longText.ToUpperInvariant(),
            "Tabs\tand\nnewlines\r\nand   spaces",
        ];
    }

    [Theory]
    [InlineData("all-MiniLM-L6-v2")]
    [InlineData("snowflake-arctic-embed-xs")]
    public void Last_hidden_states_and_mean_pooled_embeddings_match_onnx_runtime(string name)
    {
        string folder = PretrainedModels.Folder(name);
        string onnx = PretrainedModels.OnnxFile(name);
        var tokenizer = TransformerTokenizers.FromFolder(folder);
        var (model, _) = HuggingFaceClassifier.LoadClassifier(folder, ["unused"]);
        using var _model = model;
        model.Module.eval();
        using var options = new SessionOptions { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(onnx, options);

        double hiddenDiff = 0, pooledDiff = 0, paddedDiff = 0, largest = 0; // max |Δ| on real tokens, pooled, all positions; max |h|
        var texts = Texts();
        int tokens = 0;
        foreach (var chunk in texts.Chunk(16))
        {
            var batch = tokenizer.EncodeBatch(chunk, maxLength: 256);
            tokens += (int)batch.AttentionMask.Sum();
            int[] dims = [batch.BatchSize, batch.SequenceLength];
            var feeds = new[] { ("input_ids", batch.InputIds), ("attention_mask", batch.AttentionMask), ("token_type_ids", batch.TokenTypeIds) }
                .Where(f => session.InputMetadata.ContainsKey(f.Item1))
                .Select(f => NamedOnnxValue.CreateFromTensor(f.Item1, new DenseTensor(f.Item2, dims))).ToList();
            using var results = session.Run(feeds);
            float[] reference = results.First(r => r.Name == "last_hidden_state").AsEnumerable<float>().ToArray();

            using var scope = NewDisposeScope();
            var (ids, mask, types) = batch.ToTensors();
            using var noGrad = no_grad();
            var hidden = model.LastHiddenState(ids, mask, types);
            var expected = tensor(reference, hidden.shape);
            // Padding positions are compared too but only reported: no pooling reads them, and MiniLM's older export
            // masks with -10000 where Sentio (as transformers today) uses the dtype's lowest value.
            var real = mask.unsqueeze(-1).to_type(ScalarType.Float32);
            hiddenDiff = Math.Max(hiddenDiff, ((hidden - expected).abs() * real).max().item<float>());
            paddedDiff = Math.Max(paddedDiff, (hidden - expected).abs().max().item<float>());
            largest = Math.Max(largest, expected.abs().max().item<float>());
            pooledDiff = Math.Max(pooledDiff, (MeanPool(hidden, mask) - MeanPool(expected, mask)).abs().max().item<float>());
        }
        output.WriteLine($"{name}: {texts.Count} texts, {tokens} tokens: max |Δ| last hidden state {hiddenDiff:E2}, mean-pooled {pooledDiff:E2}; incl. padding {paddedDiff:E2}; largest |h| {largest:F2}");
        Assert.InRange(hiddenDiff, 0, Tolerance);
        Assert.InRange(pooledDiff, 0, Tolerance);
    }

    /// <summary>sentence-transformers' mean pooling: Σ hidden × mask / Σ mask over the real tokens.</summary>
    private static Tensor MeanPool(Tensor hidden, Tensor mask)
    {
        var weights = mask.unsqueeze(-1).to_type(ScalarType.Float32);
        return (hidden * weights).sum(1) / weights.sum(1).clamp_min(1e-9);
    }
}
