using System.Text.Json.Nodes;
using Sentio.Checkpoints;
using Sentio.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Sentio.Tests.Models;

/// <summary>Each tiny random checkpoint under Fixtures/transformers/{bert,distilbert,roberta} was written by
/// tools/make_transformer_fixtures.py together with the outputs of a plain-torch transcription of Hugging Face's forward
/// pass; Sentio must reproduce them to 1e-4.</summary>
public class ModelExactnessTests
{
    private const double Tolerance = 1e-4;

    internal static string Folder(string name) => Path.Combine(TestPaths.Fixtures, "transformers", name);

    internal static (Tensor Ids, Tensor Mask, Tensor Types, JsonObject Reference) Batch(string name)
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder(name), "reference.json")))!.AsObject();
        Tensor Matrix(string key)
        {
            var rows = reference[key]!.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<long>()).ToArray()).ToArray();
            return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);
        }
        return (Matrix("input_ids"), Matrix("attention_mask"), Matrix("token_type_ids"), reference);
    }

    internal static float[] Values(JsonObject reference, string key) => reference[key]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();

    internal static void AssertClose(float[] expected, Tensor actual, string what)
    {
        var values = actual.contiguous().data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        double worst = expected.Zip(values, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= Tolerance, $"{what}: largest difference {worst}");
    }

    [Theory]
    [InlineData("bert")]
    [InlineData("distilbert")]
    [InlineData("roberta")]
    [InlineData("bert-f16")]
    [InlineData("bert-bf16")]
    public void Outputs_match_the_reference_forward_pass(string name)
    {
        using var scope = NewDisposeScope();
        var (model, report) = HuggingFaceClassifier.LoadClassifier(Folder(name));
        using var disposeModel = model;
        Assert.Empty(report.Missing);
        model.Module.eval();
        var (ids, mask, types, reference) = Batch(name);
        using var _ = no_grad();
        var hidden = model.LastHiddenState(ids, mask, types);
        Assert.Equal(Values(reference, "last_hidden_state_shape").Select(v => (long)v), hidden.shape);
        AssertClose(Values(reference, "last_hidden_state"), hidden, "last_hidden_state");
        AssertClose(Values(reference, "logits"), model.Logits(ids, mask, types), "logits");
        if (model is BertForSequenceClassification bert)
            AssertClose(Values(reference, "pooled_output"), bert.PooledOutput(ids, mask, types), "pooled_output");
    }

    [Theory]
    [InlineData("bert")]
    [InlineData("distilbert")]
    [InlineData("roberta")]
    public void Every_parameter_is_trainable_and_receives_a_gradient(string name)
    {
        using var scope = NewDisposeScope();
        var (model, _) = HuggingFaceClassifier.LoadClassifier(Folder(name));
        using var disposeModel = model;
        model.Module.train();
        var (ids, mask, types, _) = Batch(name);
        var parameters = model.Module.named_parameters().ToList();
        // Every state-dict tensor is a parameter (none is a buffer the optimiser would miss).
        Assert.Equal(model.Module.state_dict().Keys.Order(), parameters.Select(p => p.name).Order());
        model.Logits(ids, mask, types).sum().backward();
        // Token type embeddings of an unused segment id still get a (zero) gradient tensor; all others are non-zero.
        Assert.All(parameters, p => Assert.NotNull(p.parameter.grad));
        Assert.All(parameters.Where(p => p.name.EndsWith("dense.weight") || p.name.EndsWith("lin1.weight")),
            p => Assert.True(p.parameter.grad!.abs().sum().item<float>() > 0, p.name));
    }

    [Fact]
    public void State_dict_keys_are_hugging_face_names()
    {
        var config = TransformerConfig.Read(Path.Combine(Folder("bert"), "config.json"));
        using var bert = new BertForSequenceClassification(config);
        var keys = bert.state_dict().Keys.ToHashSet();
        Assert.Contains("bert.embeddings.word_embeddings.weight", keys);
        Assert.Contains("bert.encoder.layer.0.attention.self.query.weight", keys);
        Assert.Contains("bert.encoder.layer.1.attention.output.LayerNorm.weight", keys);
        Assert.Contains("bert.encoder.layer.1.output.dense.bias", keys);
        Assert.Contains("bert.pooler.dense.weight", keys);
        Assert.Contains("classifier.weight", keys);
        // The fixture file written by the python reference has exactly the same key set.
        var fileKeys = SafeTensors.ReadHeader(Path.Combine(Folder("bert"), "model.safetensors")).Entries.Keys.ToHashSet();
        Assert.Equal(fileKeys.Order(), keys.Order());
    }

    [Fact]
    public void Roberta_positions_count_non_padding_tokens_from_padding_index_plus_one()
    {
        // Padding id 1: "<s> a b </s> pad pad" → positions 2 3 4 5 1 1 (create_position_ids_from_input_ids).
        using var ids = tensor(new long[] { 0, 7, 8, 2, 1, 1 }, [1, 6]);
        using var positions = RobertaEmbeddings.PositionIds(ids, 1);
        Assert.Equal(new long[] { 2, 3, 4, 5, 1, 1 }, positions.data<long>().ToArray());
    }

    [Fact]
    public void From_scratch_initialisation_follows_hugging_face()
    {
        var config = TransformerConfig.Read(Path.Combine(Folder("roberta"), "config.json")) with { InitializerRange = 0.5 };
        torch.manual_seed(11);
        using var model = new RobertaForSequenceClassification(config);
        var state = model.state_dict();
        // Padding rows of the word and position tables are zero, LayerNorms are 1 / 0, Linear biases 0.
        Assert.Equal(0.0, state["roberta.embeddings.word_embeddings.weight"][1].abs().sum().item<float>());
        Assert.Equal(0.0, state["roberta.embeddings.position_embeddings.weight"][1].abs().sum().item<float>());
        Assert.True(state["roberta.embeddings.LayerNorm.weight"].eq(1).all().item<bool>());
        Assert.True(state["roberta.encoder.layer.0.output.LayerNorm.bias"].eq(0).all().item<bool>());
        Assert.True(state["classifier.out_proj.bias"].eq(0).all().item<bool>());
        // Weights ~ N(0, 0.5): the sample std of 100x32 values lies within 5% of 0.5.
        double std = state["roberta.embeddings.word_embeddings.weight"].std().item<float>();
        Assert.InRange(std, 0.475, 0.525);
    }

    [Fact]
    public void Distilbert_sinusoidal_positions_follow_create_sinusoidal_embeddings()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Folder("distilbert"), "config.json")))!.AsObject();
        json["sinusoidal_pos_embds"] = true;
        var config = TransformerConfig.FromJson(json, "config.json");
        using var model = new DistilBertForSequenceClassification(config);
        var table = model.state_dict()["distilbert.embeddings.position_embeddings.weight"];
        // Position 1, dim 32: column 0 = sin(1), column 1 = cos(1), column 2 = sin(1 / 10000^(2/32)), column 3 = cos of the same.
        double angle = 1 / Math.Pow(10000, 2.0 / 32);
        Assert.Equal(Math.Sin(1), table[1, 0].item<float>(), 6);
        Assert.Equal(Math.Cos(1), table[1, 1].item<float>(), 6);
        Assert.Equal(Math.Sin(angle), table[1, 2].item<float>(), 6);
        Assert.Equal(Math.Cos(angle), table[1, 3].item<float>(), 6);
        Assert.Equal(0.0, table[0, 0].item<float>(), 6);
    }

    [Fact]
    public void Relative_position_embeddings_are_refused_by_name()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Folder("bert"), "config.json")))!.AsObject();
        json["position_embedding_type"] = "relative_key";
        var error = Assert.Throws<SentioException>(() => TransformerConfig.FromJson(json, "config.json"));
        Assert.Equal("config.json: position_embedding_type 'relative_key' is not supported; Sentio implements 'absolute'", error.Message);
    }
}
