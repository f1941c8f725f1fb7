using System.Text.Json.Nodes;
using Sentio.Checkpoints;
using Sentio.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Sentio.Tests.Models;

/// <summary>The tiny random DeBERTa checkpoints under Fixtures/transformers/deberta-* and the published v3 headers were
/// written by tools/make_deberta_fixtures.py, with the outputs of its plain-torch transcription of Hugging Face's
/// modeling_deberta_v2.py; Sentio must reproduce them to 1e-4.</summary>
public class DebertaV2Tests(ITestOutputHelper output)
{
    private static string Fixture(string name) => Path.Combine(TestPaths.Fixtures, "transformers", name);

    private static (DebertaV2ForSequenceClassification Model, LoadReport Report) Load(string name)
    {
        string folder = ModelExactnessTests.Folder(name);
        var config = TransformerConfig.Read(Path.Combine(folder, "config.json"));
        var model = new DebertaV2ForSequenceClassification(config);
        string weights = Path.Combine(folder, "model.safetensors");
        var tensors = SafeTensors.Read(weights);
        var report = StateDictLoader.Load(model, tensors, weights);
        foreach (var t in tensors.Values) t.Dispose();
        model.eval();
        return (model, report);
    }

    /// <summary>Asserts agreement to 1e-4 and logs the largest difference (the README's exactness figures).</summary>
    private void AssertClose(JsonObject reference, string key, Tensor actual, string name)
    {
        var expected = ModelExactnessTests.Values(reference, key);
        var values = actual.contiguous().data<float>().ToArray();
        output.WriteLine($"{name} {key}: largest difference {expected.Zip(values, (e, a) => Math.Abs(e - a)).Max():E2}");
        ModelExactnessTests.AssertClose(expected, actual, key);
    }

    [Theory]
    [InlineData("deberta-v3")]
    [InlineData("deberta-v2")]
    [InlineData("deberta-c2p")]
    public void Outputs_of_a_padded_batch_match_the_reference_forward_pass(string name)
    {
        using var scope = NewDisposeScope();
        var (model, report) = Load(name);
        using var _ = model;
        Assert.Empty(report.Missing);
        Assert.Equal(["deberta.embeddings.position_ids"], report.Ignored);
        var (ids, mask, types, reference) = ModelExactnessTests.Batch(name);
        using var noGrad = no_grad();
        var hidden = model.LastHiddenState(ids, mask, types);
        Assert.Equal(ModelExactnessTests.Values(reference, "last_hidden_state_shape").Select(v => (long)v), hidden.shape);
        AssertClose(reference, "last_hidden_state", hidden, name);
        AssertClose(reference, "pooled_output", model.PooledOutput(ids, mask, types), name);
        AssertClose(reference, "logits", model.Logits(ids, mask, types), name);
    }

    [Theory]
    [InlineData("deberta-v3")]
    [InlineData("deberta-v2")]
    [InlineData("deberta-c2p")]
    public void Each_row_alone_without_padding_gives_the_reference_logits(string name)
    {
        using var scope = NewDisposeScope();
        var (model, _) = Load(name);
        using var _ = model;
        var (ids, mask, types, reference) = ModelExactnessTests.Batch(name);
        var rows = reference["row_logits"]!.AsArray();
        using var noGrad = no_grad();
        for (int row = 0; row < rows.Count; row++)
        {
            long length = mask[row].sum().item<long>();
            var logits = model.Logits(ids[row..(row + 1), ..(int)length], mask[row..(row + 1), ..(int)length], types[row..(row + 1), ..(int)length]);
            ModelExactnessTests.AssertClose(rows[row]!.AsArray().Select(v => v!.GetValue<float>()).ToArray(), logits, $"row {row}");
        }
    }

    [Theory]
    [InlineData("deberta-v3", 8, 64)]
    [InlineData("deberta-v2", -1, 5)]
    [InlineData("deberta-c2p", 6, 32)]
    public void Relative_positions_are_log_bucketed_as_build_relative_position_does(string name, int buckets, int maxRelative)
    {
        var (_, _, _, reference) = ModelExactnessTests.Batch(name);
        var expected = reference["relative_positions"]!.AsArray().SelectMany(r => r!.AsArray().Select(v => v!.GetValue<long>())).ToArray();
        using var positions = DebertaV2Encoder.RelativePositions(12, buckets, maxRelative);
        Assert.Equal([12L, 12L], positions.shape);
        Assert.Equal(expected, positions.data<long>().ToArray());
    }

    [Fact]
    public void Every_parameter_is_trainable_and_receives_a_gradient()
    {
        using var scope = NewDisposeScope();
        var (model, _) = Load("deberta-v2");
        using var _ = model;
        model.train();
        var (ids, mask, types, _) = ModelExactnessTests.Batch("deberta-v2");
        var parameters = model.named_parameters().ToList();
        Assert.Equal(model.state_dict().Keys.Order(), parameters.Select(p => p.name).Order());
        model.Logits(ids, mask, types).sum().backward();
        Assert.All(parameters, p => Assert.NotNull(p.parameter.grad));
        Assert.All(parameters.Where(p => p.name.EndsWith("proj.weight") || p.name.Contains("conv.conv")),
            p => Assert.True(p.parameter.grad!.abs().sum().item<float>() > 0, p.name));
    }

    [Theory]
    [InlineData("deberta-v3-xsmall", 384, 6, 1536)]
    [InlineData("deberta-v3-base", 768, 12, 3072)]
    public void The_published_v3_encoder_layout_loads_with_no_missing_or_unexpected_keys(string name, int hidden, int heads, int intermediate)
    {
        using var scope = NewDisposeScope();
        var json = JsonNode.Parse(File.ReadAllText(Fixture(name + ".config.json")))!.AsObject();
        json["id2label"] = new JsonObject { ["0"] = "joy", ["1"] = "anger" };
        var config = TransformerConfig.FromJson(json, name);
        Assert.Equal((hidden, 12, heads, intermediate, 128100), (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize, config.VocabSize));
        Assert.Equal((true, 256, -1, true, false, 0, 1e-7), (config.RelativeAttention, config.PositionBuckets, config.MaxRelativePositions, config.ShareAttKey, config.PositionBiasedInput, config.TypeVocabSize, config.LayerNormEps));
        Assert.Equal(["p2c", "c2p"], config.PosAttType);

        // Uninitialised tensors of the header's shapes: only names and shapes are under test, not values.
        var header = JsonNode.Parse(File.ReadAllText(Fixture(name + ".header.json")))!.AsObject();
        var tensors = header.Where(p => p.Key != "__metadata__").ToDictionary(p => p.Key, p =>
            empty(p.Value!["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray(),
                dtype: p.Value["dtype"]!.GetValue<string>() == "I64" ? ScalarType.Int64 : ScalarType.Float32));
        using var model = new DebertaV2ForSequenceClassification(config);
        var report = StateDictLoader.Load(model, tensors, name, config.Family.HeadPrefixes);
        Assert.Equal(["classifier.bias", "classifier.weight", "pooler.dense.bias", "pooler.dense.weight"], report.Missing.Order());
        Assert.Equal(["deberta.embeddings.position_ids"], report.Ignored);
        Assert.Equal([2L * 256, hidden], model.state_dict()["deberta.encoder.rel_embeddings.weight"].shape);
    }

    [Fact]
    public void The_deberta_config_round_trips_and_reads_hugging_face_defaults()
    {
        var config = TransformerConfig.Read(Path.Combine(ModelExactnessTests.Folder("deberta-v2"), "config.json"));
        Assert.Equal((5, -1, 3, "gelu", 0.15, 2), (config.MaxRelativePositions, config.PositionBuckets, config.ConvKernelSize, config.ConvAct, config.EffectiveClassifierDropout, config.TypeVocabSize));
        string path = Path.Combine(TestPaths.NewTempDirectory(), "config.json");
        config.Write(path);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.Equal(0.15, json["cls_dropout"]!.GetValue<double>());
        Assert.Null(json["classifier_dropout"]);
        Assert.Equal(config.ToJson().ToJsonString(), TransformerConfig.Read(path).ToJson().ToJsonString());

        // DebertaV2Config's defaults: no token types, eps 1e-7, absolute positions on, no relative attention.
        var bare = TransformerConfig.FromJson(JsonNode.Parse("""
            {"model_type": "deberta-v2", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16}
            """)!.AsObject(), "bare");
        Assert.Equal((0, 1e-7, true, false, "none", "tanh", "gelu"), (bare.TypeVocabSize, bare.LayerNormEps, bare.PositionBiasedInput, bare.RelativeAttention, bare.NormRelEbd, bare.ConvAct, bare.PoolerHiddenAct));
        Assert.Empty(bare.PosAttType);
    }

    [Theory]
    [InlineData("pos_att_type", "\"p2p|c2p\"", "pos_att_type 'p2p' is not supported")]
    [InlineData("embedding_size", "16", "embedding_size 16 is not supported")]
    [InlineData("attention_head_size", "16", "attention_head_size 16 is not supported")]
    [InlineData("norm_rel_ebd", "\"batch_norm\"", "norm_rel_ebd 'batch_norm' is not supported")]
    [InlineData("conv_act", "\"swish\"", "conv_act 'swish' is not supported")]
    public void A_config_branch_sentio_does_not_implement_is_an_error(string key, string value, string message)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ModelExactnessTests.Folder("deberta-v2"), "config.json")))!.AsObject();
        json[key] = JsonNode.Parse(value);
        var config = TransformerConfig.FromJson(json, "config.json");
        var error = Assert.Throws<SentioException>(() => new DebertaV2ForSequenceClassification(config));
        Assert.Contains(message, error.Message);
    }
}
