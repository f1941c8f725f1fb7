using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Sentio.Checkpoints;
using Sentio.Models;
using Sentio.Onnx;
using Sentio.Quantization;
using Sentio.Tests.Checkpoints;
using Sentio.Tests.Models;
using Sentio.Tests.Onnx;
using Sentio.Text;
using Xunit.Abstractions;

namespace Sentio.Tests.Quantization;

/// <summary>Dynamic int8 quantization: the weights by hand, the tiny exported classifier against torch's probabilities,
/// and all-MiniLM-L6-v2's package graph against its fp32 self on ONNX Runtime.</summary>
[Collection(TorchRandomCollection.Name)]
public class OnnxQuantizerTests(ITestOutputHelper output)
{
    private static TensorProto Floats(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static ModelProto MatMulAndGather()
    {
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(Floats("W", [2, 2], [0.5f, -1.0f, 0.25f, 0.127f]));
        graph.Initializer.Add(Floats("E", [2, 2], [0.1f, -0.2f, 0.3f, 0.05f]));
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "mm", Input = { "X", "W" }, Output = { "Y" } });
        graph.Node.Add(new NodeProto { OpType = "Gather", Name = "g", Input = { "E", "ids" }, Output = { "Z" } });
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    private static sbyte[] Int8s(TensorProto t) => MemoryMarshal.Cast<byte, sbyte>(t.RawData.Span).ToArray();
    private static float[] Float32s(TensorProto t) => MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();

    [Theory]
    // Column 0: absmax 0.5, scale 0.5/127: 0.5 → 127, 0.25 → 63.5 → 64 (half to even). Column 1: absmax 1: -1 → -127,
    // 0.127 → 16.129 → 16. With reduce_range the range is [-64, 64]: 0.5 → 64, 0.25 → 32; -1 → -64, 0.127 → 8.128 → 8.
    [InlineData(false, new sbyte[] { 127, -127, 64, 16 }, 127f)]
    [InlineData(true, new sbyte[] { 64, -64, 32, 8 }, 64f)]
    public void Weights_become_int8_per_column_and_tables_per_tensor_as_quantize_dynamic_computes_them(bool reduceRange, sbyte[] weights, float qmax)
    {
        var quantized = OnnxQuantizer.Quantize(MatMulAndGather(), new OnnxQuantizerOptions { ReduceRange = reduceRange }).Graph;
        var init = quantized.Initializer.ToDictionary(t => t.Name);
        Assert.Equal(weights, Int8s(init["W_quantized"]));
        Assert.Equal([0.5f / qmax, 1f / qmax], Float32s(init["W_scale"]));
        Assert.Equal([0, 0], Int8s(init["W_zero_point"]));
        // The table always in the full range. Absmax 0.3, scale 0.3/127: 0.1 → 42.33 → 42, -0.2 → -84.67 → -85, 0.3 → 127, 0.05 → 21.17 → 21.
        Assert.Equal([42, -85, 127, 21], Int8s(init["E_quantized"]));
        Assert.Equal([0.3f / 127], Float32s(init["E_scale"]));
        Assert.DoesNotContain("W", init.Keys);
        Assert.DoesNotContain("E", init.Keys);
        Assert.Equal(["DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul", "Mul", "Gather", "DequantizeLinear"], quantized.Node.Select(n => n.OpType));
        Assert.Equal(["X_quantized", "W_quantized", "X_zero_point", "W_zero_point"], quantized.Node[1].Input);
        Assert.Equal("Y", quantized.Node[4].Output[0]);
        Assert.Equal("Z", quantized.Node[6].Output[0]);
    }

    /// <summary>Activations are rounded to 1/255 of each tensor's range (a random network's activations have outliers, so
    /// most values get few levels) and weights to 1/254 of each column's; the fixture's classifier layer has weights of
    /// std 0.5 over 128 inputs, so logits are O(5) and a 1-2% error moves them by about 0.1, a probability by at most a
    /// quarter of that. Measured: max 0.071, mean 0.02 (test output); the bounds are about 1.4× those.</summary>
    private const double Int8MaxTolerance = 0.1, Int8MeanTolerance = 0.03;

    [Fact]
    public void The_int8_classifier_folder_scores_close_to_torch_at_under_35_percent_of_the_size()
    {
        string int8 = Path.Combine(TestPaths.NewTempDirectory(), "int8");
        OnnxQuantizer.QuantizeFolder(OnnxScorerTests.Tiny, int8);
        var folder = OnnxClassifierFolder.Read(int8);
        Assert.Equal("int8", folder.Options.Precision);
        Assert.True(File.Exists(Path.Combine(int8, "vocab.txt")) && File.Exists(Path.Combine(int8, OnnxClassifierFolder.ThresholdsFile)));

        var (texts, _, _, expected) = OnnxScorerTests.Reference();
        using var scorer = OnnxScorer.Load(int8);
        var probabilities = scorer.PredictProbabilities(texts);
        double worst = 0, sum = 0;
        for (int i = 0; i < texts.Length; i++)
            for (int j = 0; j < 5; j++)
            {
                worst = Math.Max(worst, Math.Abs(probabilities[i, j] - expected[i][j]));
                sum += Math.Abs(probabilities[i, j] - expected[i][j]);
            }
        double ratio = (double)new FileInfo(folder.ModelPath).Length / new FileInfo(Path.Combine(OnnxScorerTests.Tiny, OnnxClassifierFolder.ModelFile)).Length;
        output.WriteLine($"tiny classifier: int8 |Δp| vs torch max {worst:F4}, mean {sum / (texts.Length * 5):F4}; model.onnx int8/fp32 size {ratio:P1}");
        Assert.InRange(worst, 0, Int8MaxTolerance);
        Assert.InRange(sum / (texts.Length * 5), 0, Int8MeanTolerance);
        Assert.InRange(ratio, 0, 0.35);
    }

    /// <summary>Sentio's export keeps weights in the state dict's [out, in] layout behind a Transpose; the quantizer folds it,
    /// so every Linear of the encoder, pooler and head becomes a MatMulInteger and only int8 weights are left (the quality of
    /// that on real weights: the fine-tuned MiniLM's figures in the README).</summary>
    [Theory]
    [InlineData("bert", TransformerPooling.Pooler)]
    [InlineData("distilbert", TransformerPooling.Mean)]
    [InlineData("roberta", TransformerPooling.Cls)]
    public void Every_linear_of_a_Sentio_export_is_quantized(string kind, TransformerPooling pooling)
    {
        using var model = TransformerClassifier.Load(TinyTransformers.ModelFolder(kind, TransformerMode.FineTune, pooling));
        string root = TestPaths.NewTempDirectory(), fp32 = Path.Combine(root, "fp32"), int8 = Path.Combine(root, "int8");
        model.ExportOnnx(fp32);
        OnnxQuantizer.QuantizeFolder(fp32, int8);

        var source = OnnxImporter.Read(Path.Combine(fp32, OnnxClassifierFolder.ModelFile)).Graph;
        var weights = source.Initializer.Where(t => t.Dims.Count == 2).Select(t => t.Name).ToHashSet();
        var transposedWeights = source.Node.Where(n => n.OpType == "Transpose" && weights.Contains(n.Input[0])).Select(n => n.Output[0]).ToHashSet();
        int linears = source.Node.Count(n => n.OpType == "MatMul" && transposedWeights.Contains(n.Input[1]));
        var quantized = OnnxImporter.Read(Path.Combine(int8, OnnxClassifierFolder.ModelFile)).Graph;
        Assert.True(linears > 0);
        Assert.Equal(linears, quantized.Node.Count(n => n.OpType == "MatMulInteger"));
        Assert.Empty(quantized.Initializer.Where(t => t.Dims.Count == 2 && t.DataType == (int)TensorProto.Types.DataType.Float).Select(t => t.Name));

        // The tiny models' weights are spread wide, so their int8 scores say little; ORT must still run the graph.
        var (probabilities, _) = TransformerOnnxTests.RunOnnx(int8, TinyTransformers.Texts, batchSize: 3);
        Assert.All(probabilities.Cast<double>(), p => Assert.InRange(p, 0, 1));
    }

    [Fact]
    public void A_graph_without_constant_weights_is_an_error_not_a_copy()
    {
        var graph = new GraphProto { Name = "g" };
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "mm", Input = { "X", "Y" }, Output = { "Z" } });
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        var error = Assert.Throws<SentioException>(() => OnnxQuantizer.Quantize(model, source: "m.onnx"));
        Assert.Equal("m.onnx: no MatMul or Gather reads an fp32 initializer; there is nothing to quantize", error.Message);
    }

    [Fact]
    public void Quantizing_into_an_existing_folder_or_an_int8_folder_is_an_error()
    {
        var exists = Assert.Throws<SentioException>(() => OnnxQuantizer.QuantizeFolder(OnnxScorerTests.Tiny, OnnxScorerTests.Fixtures));
        Assert.Equal($"{OnnxScorerTests.Fixtures}: already exists; quantize into a new folder", exists.Message);
        string int8 = Path.Combine(TestPaths.NewTempDirectory(), "int8");
        OnnxQuantizer.QuantizeFolder(OnnxScorerTests.Tiny, int8);
        var twice = Assert.Throws<SentioException>(() => OnnxQuantizer.QuantizeFolder(int8, int8 + "-again"));
        Assert.Contains("precision is 'int8'; quantization needs an fp32 export", twice.Message);
    }

    /// <summary>Measured on an AMD EPYC with AVX2 and no VNNI (see the README): quantize_dynamic's defaults give a mean
    /// cosine of 0.989 and a worst of 0.967, reduce_range 0.987 and 0.963 (keeping the embedding tables in fp32 changed
    /// neither by more than 0.002: the error comes from the activations' per-tensor rounding). The bounds leave room for
    /// other CPUs' kernels.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MiniLM_int8_last_hidden_states_stay_close_to_fp32(bool reduceRange)
    {
        string fp32 = PretrainedModels.OnnxFile("all-MiniLM-L6-v2");
        string int8 = Path.Combine(TestPaths.NewTempDirectory(), "model.int8.onnx");
        OnnxQuantizer.QuantizeFile(fp32, int8, new OnnxQuantizerOptions { ReduceRange = reduceRange });
        var tokenizer = TransformerTokenizers.FromFolder(PretrainedModels.Folder("all-MiniLM-L6-v2"));
        var texts = File.ReadLines(Path.Combine(TestPaths.SharedData, "goemotions", "original", "dev.tsv")).Take(64).Select(l => l.Split('\t')[0]).ToArray();
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var reference = new InferenceSession(fp32, options);
        using var quantized = new InferenceSession(int8, options);
        double maxError = 0, errorSum = 0, minCosine = 1, cosineSum = 0;
        long values = 0;
        foreach (var chunk in texts.Chunk(16))
        {
            var batch = tokenizer.EncodeBatch(chunk, 128);
            float[] a = LastHiddenState(reference, batch), b = LastHiddenState(quantized, batch);
            for (int i = 0; i < a.Length; i++)
            {
                if (batch.AttentionMask[i / 384] == 0) continue;
                double d = Math.Abs(a[i] - b[i]);
                maxError = Math.Max(maxError, d);
                errorSum += d;
                values++;
            }
            for (int row = 0; row < batch.BatchSize; row++)
            {
                double cosine = Cosine(MeanPool(a, batch, row), MeanPool(b, batch, row));
                minCosine = Math.Min(minCosine, cosine);
                cosineSum += cosine;
            }
        }
        double ratio = (double)new FileInfo(int8).Length / new FileInfo(fp32).Length;
        output.WriteLine($"all-MiniLM-L6-v2 (reduce_range {reduceRange}), {texts.Length} GoEmotions dev texts: last hidden state max |Δ| {maxError:F4}, mean |Δ| {errorSum / values:F4}; " +
                         $"mean-pooled cosine min {minCosine:F5}, mean {cosineSum / texts.Length:F5}; model.onnx int8/fp32 size {ratio:P1}");
        Assert.InRange(minCosine, 0.95, 1.0);
        Assert.InRange(cosineSum / texts.Length, 0.98, 1.0);
        Assert.InRange(ratio, 0, 0.35);
    }

    private static float[] LastHiddenState(InferenceSession session, EncodedBatch batch)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        var names = new[] { "input_ids", "attention_mask", "token_type_ids" };
        var inputs = new[] { batch.InputIds, batch.AttentionMask, batch.TokenTypeIds }.Select(d => OrtValue.CreateTensorValueFromMemory(d, shape)).ToArray();
        try
        {
            using var outputs = session.Run(new RunOptions(), names, inputs, ["last_hidden_state"]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var input in inputs) input.Dispose();
        }
    }

    private static double[] MeanPool(float[] hidden, EncodedBatch batch, int row)
    {
        var pooled = new double[384];
        int count = 0;
        for (int t = 0; t < batch.SequenceLength; t++)
        {
            if (batch.AttentionMask[row * batch.SequenceLength + t] == 0) continue;
            count++;
            for (int h = 0; h < 384; h++) pooled[h] += hidden[(row * batch.SequenceLength + t) * 384 + h];
        }
        return pooled.Select(v => v / count).ToArray();
    }

    private static double Cosine(double[] a, double[] b) =>
        a.Zip(b, (x, y) => x * y).Sum() / Math.Sqrt(a.Sum(x => x * x) * b.Sum(y => y * y));
}
