using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Sentio.Checkpoints;
using Sentio.Text;
using Sentio.Models;
using TorchSharp;
using static TorchSharp.torch;
using Sentio.Tests.Models;

namespace Sentio.Tests.Checkpoints;

public class CheckpointTests
{
    private static string Fixture(string name) => Path.Combine(TestPaths.Fixtures, "transformers", name);

    [Fact]
    public void F16_BF16_F32_and_I64_tensors_decode_to_the_values_torch_wrote()
    {
        var expected = JsonNode.Parse(File.ReadAllText(Fixture("dtypes.json")))!.AsObject();
        var tensors = SafeTensors.Read(Fixture("dtypes.safetensors"));
        try
        {
            Assert.Equal(expected.Select(p => p.Key).Order(), tensors.Keys.Order());
            foreach (var (name, entry) in expected)
            {
                var shape = entry!["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var values = entry["values"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
                Assert.Equal(shape, tensors[name].shape);
                using var asDouble = tensors[name].to_type(ScalarType.Float64);
                Assert.Equal(values, asDouble.data<double>().ToArray());
            }
            Assert.Equal(ScalarType.Float32, tensors["half"].dtype);
            Assert.Equal(ScalarType.Int64, tensors["long"].dtype);
            var (_, metadata) = SafeTensors.ReadHeader(Fixture("dtypes.safetensors"));
            Assert.Equal("dtype fixture", metadata["note"]);
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    [Theory]
    [InlineData(SafeTensorsDType.F16)]
    [InlineData(SafeTensorsDType.BF16)]
    public void Writing_half_precision_rounds_as_torch_does(SafeTensorsDType dtype)
    {
        // The fixture's "single" tensor and its F16 / BF16 roundings were all produced by torch.
        var fixture = SafeTensors.Read(Fixture("dtypes.safetensors"));
        string path = Path.Combine(TestPaths.NewTempDirectory(), "half.safetensors");
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["x"] = fixture["single"] }, dtype: dtype);
        var back = SafeTensors.Read(path);
        Assert.Equal(dtype.ToString(), SafeTensors.ReadHeader(path).Entries["x"].DType);
        var reference = fixture[dtype == SafeTensorsDType.F16 ? "half" : "brain"];
        Assert.Equal(reference.data<float>().ToArray(), back["x"].data<float>().ToArray());
    }

    [Theory]
    [InlineData("bert")]
    [InlineData("distilbert")]
    [InlineData("roberta")]
    public void Exported_classifier_reimports_with_identical_outputs(string name)
    {
        using var scope = NewDisposeScope();
        var (model, _) = HuggingFaceClassifier.LoadClassifier(ModelExactnessTests.Folder(name));
        using var original = model;
        model.Module.eval();
        string folder = TestPaths.NewTempDirectory();
        var tokenizer = TransformerTokenizers.FromFolder(name == "roberta"
            ? Fixture("bpe") : Path.Combine(TestPaths.SharedModels, "all-MiniLM-L6-v2"));
        HuggingFaceClassifier.Save(model, folder, tokenizer);
        var (reloaded, report) = HuggingFaceClassifier.LoadClassifier(folder);
        using var reloadedModel = reloaded;
        reloaded.Module.eval();
        Assert.Empty(report.Missing);
        var (ids, mask, types, _) = ModelExactnessTests.Batch(name);
        using var _ = no_grad();
        Assert.Equal(model.Logits(ids, mask, types).data<float>().ToArray(), reloaded.Logits(ids, mask, types).data<float>().ToArray());
        Assert.Equal(tokenizer.Encode("the lowest café").InputIds, TransformerTokenizers.FromFolder(folder).Encode("the lowest café").InputIds);

        // What AutoModelForSequenceClassification reads from config.json.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        string architecture = name switch { "bert" => "Bert", "distilbert" => "DistilBert", _ => "Roberta" } + "ForSequenceClassification";
        Assert.Equal(architecture, config["architectures"]![0]!.GetValue<string>());
        Assert.Equal(name, config["model_type"]!.GetValue<string>());
        Assert.Equal("multi_label_classification", config["problem_type"]!.GetValue<string>());
        Assert.Equal("joy", config["id2label"]!["1"]!.GetValue<string>());
        Assert.Equal(2, config["label2id"]!["sadness"]!.GetValue<int>());
        Assert.Equal(32, config[name == "distilbert" ? "dim" : "hidden_size"]!.GetValue<int>());
        Assert.Equal("pt", SafeTensors.ReadHeader(Path.Combine(folder, "model.safetensors")).Metadata["format"]);
        Assert.True(File.Exists(Path.Combine(folder, "tokenizer_config.json")));
        Assert.True(File.Exists(Path.Combine(folder, "special_tokens_map.json")));
    }

    [Fact]
    public void Distilbert_config_round_trips_in_its_own_key_names()
    {
        string folder = TestPaths.NewTempDirectory();
        var config = TransformerConfig.Read(Path.Combine(ModelExactnessTests.Folder("distilbert"), "config.json"));
        Assert.Equal((32, 2, 4, 37, 0.2), (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize, config.EffectiveClassifierDropout));
        config.Write(Path.Combine(folder, "config.json"));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        Assert.Equal(32, json["dim"]!.GetValue<int>());
        Assert.Equal(37, json["hidden_dim"]!.GetValue<int>());
        Assert.Null(json["hidden_size"]);
        Assert.False(json["sinusoidal_pos_embds"]!.GetValue<bool>());
        Assert.Equal(config.ToJson().ToJsonString(), TransformerConfig.Read(Path.Combine(folder, "config.json")).ToJson().ToJsonString());
    }

    [Fact]
    public void The_real_MiniLM_layout_loads_into_a_from_scratch_6x384_bert_with_no_missing_or_unexpected_keys()
    {
        string minilm = Path.Combine(TestPaths.SharedModels, "all-MiniLM-L6-v2");
        string folder = TestPaths.NewTempDirectory();
        string weights = Path.Combine(folder, "model.safetensors");
        WriteRandomFileWithHeader(Path.Combine(minilm, "model.safetensors.header.json"), weights);

        var config = TransformerConfig.Read(Path.Combine(minilm, "config.json"));
        Assert.Equal((384, 6, 12, 1536, 30522), (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize, config.VocabSize));
        using var bert = new BertModel(config);
        var tensors = SafeTensors.Read(weights);
        var report = StateDictLoader.Load(bert, tensors, weights);
        Assert.Empty(report.Missing);
        Assert.Equal(["embeddings.position_ids"], report.Ignored);
        Assert.Equal(tensors["encoder.layer.5.output.dense.weight"].data<float>().ToArray(),
            bert.state_dict()["encoder.layer.5.output.dense.weight"].data<float>().ToArray());

        // The same bare encoder under a classifier: the encoder loads, only the head stays initialised.
        File.Copy(Path.Combine(minilm, "config.json"), Path.Combine(folder, "config.json"));
        var (classifier, classifierReport) = HuggingFaceClassifier.LoadClassifier(folder, ["joy", "anger"]);
        using var _ = classifier;
        Assert.Equal(["classifier.bias", "classifier.weight"], classifierReport.Missing.Order());
        foreach (var t in tensors.Values) t.Dispose();
    }

    /// <summary>A safetensors file with <paramref name="headerPath"/>'s exact header (names, dtypes, shapes, offsets) and
    /// random bytes that decode to small floats (the I64 position ids get 0..511).</summary>
    private static void WriteRandomFileWithHeader(string headerPath, string path)
    {
        var header = Encoding.UTF8.GetBytes(JsonNode.Parse(File.ReadAllText(headerPath))!.ToJsonString());
        var entries = JsonNode.Parse(header)!.AsObject().Where(p => p.Key != "__metadata__").ToList();
        long dataLength = entries.Max(e => e.Value!["data_offsets"]![1]!.GetValue<long>());
        var data = new byte[dataLength];
        var random = new Random(5);
        foreach (var (_, entry) in entries)
        {
            long begin = entry!["data_offsets"]![0]!.GetValue<long>(), end = entry["data_offsets"]![1]!.GetValue<long>();
            if (entry["dtype"]!.GetValue<string>() == "I64")
                for (long i = begin, n = 0; i < end; i += 8, n++) BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan((int)i), n);
            else
                for (long i = begin; i < end; i += 4) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan((int)i), (float)(random.NextDouble() - 0.5));
        }
        int padding = (8 - header.Length % 8) % 8;
        using var stream = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(header.Length + padding));
        stream.Write(length);
        stream.Write(header);
        stream.Write(Enumerable.Repeat((byte)' ', padding).ToArray());
        stream.Write(data);
    }

    [Fact]
    public void A_pretraining_checkpoint_fills_the_encoder_and_ignores_its_masked_lm_head()
    {
        // bert-base-uncased's layout: bert.* plus cls.predictions.* and no classifier.
        string folder = TestPaths.NewTempDirectory();
        var tensors = SafeTensors.Read(Path.Combine(ModelExactnessTests.Folder("bert"), "model.safetensors"));
        var pretraining = tensors.Where(p => !p.Key.StartsWith("classifier.")).ToDictionary(p => p.Key, p => p.Value);
        pretraining["cls.predictions.bias"] = zeros(100);
        pretraining["bert.embeddings.position_ids"] = arange(16L).unsqueeze(0);
        SafeTensors.Write(Path.Combine(folder, "model.safetensors"), pretraining);
        File.Copy(Path.Combine(ModelExactnessTests.Folder("bert"), "config.json"), Path.Combine(folder, "config.json"));

        var (model, report) = HuggingFaceClassifier.LoadClassifier(folder);
        using var _ = model;
        Assert.Equal(["classifier.bias", "classifier.weight"], report.Missing.Order());
        Assert.Equal(["bert.embeddings.position_ids", "cls.predictions.bias"], report.Ignored.Order());
        Assert.Equal(tensors["bert.pooler.dense.weight"].data<float>().ToArray(), model.Module.state_dict()["bert.pooler.dense.weight"].data<float>().ToArray());
    }

    [Fact]
    public void A_bert_encoder_saved_without_its_pooler_gets_a_fresh_one_but_a_classifier_checkpoint_must_have_it()
    {
        string folder = TestPaths.NewTempDirectory();
        var tensors = SafeTensors.Read(Path.Combine(ModelExactnessTests.Folder("bert"), "model.safetensors"));
        File.Copy(Path.Combine(ModelExactnessTests.Folder("bert"), "config.json"), Path.Combine(folder, "config.json"));
        SafeTensors.Write(Path.Combine(folder, "model.safetensors"),
            tensors.Where(p => p.Key.StartsWith("bert.") && !p.Key.StartsWith("bert.pooler.")).ToDictionary(p => p.Key[5..], p => p.Value));
        var (model, report) = HuggingFaceClassifier.LoadClassifier(folder);
        model.Dispose();
        Assert.Equal(["bert.pooler.dense.bias", "bert.pooler.dense.weight", "classifier.bias", "classifier.weight"], report.Missing.Order());

        SafeTensors.Write(Path.Combine(folder, "model.safetensors"), tensors.Where(p => !p.Key.StartsWith("bert.pooler.")).ToDictionary());
        var error = Assert.Throws<SentioException>(() => HuggingFaceClassifier.LoadClassifier(folder));
        Assert.Contains("missing 2: bert.pooler.dense.bias, bert.pooler.dense.weight", error.Message);
    }

    [Fact]
    public void New_labels_replace_a_classifier_checkpoint_head()
    {
        var (model, report) = HuggingFaceClassifier.LoadClassifier(ModelExactnessTests.Folder("distilbert"), ["love", "fear", "grief", "awe", "pride"]);
        using var _ = model;
        Assert.Equal(["classifier.bias", "classifier.weight", "pre_classifier.bias", "pre_classifier.weight"], report.Missing.Order());
        Assert.Equal(report.Missing.Order(), report.Ignored.Order());
        Assert.Equal([5L, 32L], model.Module.state_dict()["classifier.weight"].shape);
        Assert.Equal("multi_label_classification", model.Config.ProblemType);
    }

    [Fact]
    public void A_checkpoint_that_does_not_fit_lists_missing_unexpected_and_mismatched_tensors_in_one_message()
    {
        var config = TransformerConfig.Read(Path.Combine(ModelExactnessTests.Folder("bert"), "config.json"));
        using var model = new BertForSequenceClassification(config);
        var tensors = model.state_dict().ToDictionary(p => p.Key, p => p.Value);
        tensors.Remove("bert.pooler.dense.bias");
        tensors["bert.extra.weight"] = zeros(2);
        tensors["classifier.weight"] = zeros(5, 32);
        var error = Assert.Throws<SentioException>(() => StateDictLoader.Load(model, tensors, "ckpt.safetensors"));
        Assert.StartsWith("ckpt.safetensors: ", error.Message);
        Assert.Contains("missing 1: bert.pooler.dense.bias", error.Message);
        Assert.Contains("unexpected 1: bert.extra.weight", error.Message);
        Assert.Contains("classifier.weight [5, 32] in the file, [3, 32] in the model", error.Message);
    }

    [Fact]
    public void A_legacy_pickle_is_refused_in_one_line()
    {
        string folder = TestPaths.NewTempDirectory();
        File.Copy(Path.Combine(ModelExactnessTests.Folder("bert"), "config.json"), Path.Combine(folder, "config.json"));
        File.WriteAllBytes(Path.Combine(folder, "pytorch_model.bin"), [0x80, 0x02]); // torch.save before 1.6: no zip
        var error = Assert.Throws<SentioException>(() => HuggingFaceClassifier.LoadClassifier(folder));
        Assert.StartsWith($"{Path.Combine(folder, "pytorch_model.bin")}: ", error.Message);
        Assert.Contains("old PyTorch format", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_sharded_checkpoint_loads_through_its_index()
    {
        string folder = TestPaths.NewTempDirectory();
        var all = SafeTensors.Read(Path.Combine(ModelExactnessTests.Folder("roberta"), "model.safetensors"));
        var names = all.Keys.Order(StringComparer.Ordinal).ToList();
        var first = names.Take(names.Count / 2).ToDictionary(n => n, n => all[n]);
        var second = names.Skip(names.Count / 2).ToDictionary(n => n, n => all[n]);
        SafeTensors.Write(Path.Combine(folder, "model-00001-of-00002.safetensors"), first);
        SafeTensors.Write(Path.Combine(folder, "model-00002-of-00002.safetensors"), second);
        var map = new JsonObject();
        foreach (var n in first.Keys) map[n] = "model-00001-of-00002.safetensors";
        foreach (var n in second.Keys) map[n] = "model-00002-of-00002.safetensors";
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());
        File.Copy(Path.Combine(ModelExactnessTests.Folder("roberta"), "config.json"), Path.Combine(folder, "config.json"));

        var (model, report) = HuggingFaceClassifier.LoadClassifier(folder);
        using var _ = model;
        Assert.Empty(report.Missing);
        Assert.Equal(all["classifier.out_proj.weight"].data<float>().ToArray(), model.Module.state_dict()["classifier.out_proj.weight"].data<float>().ToArray());
        foreach (var t in all.Values) t.Dispose();
    }

    [Fact]
    public void A_truncated_file_is_reported_with_its_path()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "cut.safetensors");
        var bytes = File.ReadAllBytes(Fixture("dtypes.safetensors"));
        File.WriteAllBytes(path, bytes[..^10]);
        var error = Assert.Throws<SentioException>(() => SafeTensors.Read(path));
        Assert.StartsWith(path + ": tensor ", error.Message);
        Assert.Contains("truncated", error.Message);
    }
}
