using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sentio.IO;

namespace Sentio.Models;

/// <summary>A Hugging Face <c>config.json</c> for an encoder of one of <see cref="EncoderFamilies"/>, with each family's own
/// key names (<see cref="EncoderFamily.ConfigKeys"/>, e.g. DistilBERT's <c>dim</c>, <c>n_layers</c>) mapped onto the BERT
/// names. Keys Sentio does not use are kept and written back unchanged.</summary>
public sealed record TransformerConfig
{
    /// <summary><c>model_type</c>: one of <see cref="EncoderFamilies.ModelTypes"/> (<c>deberta-v2</c> covers DeBERTa-v2 and -v3).</summary>
    public required string ModelType { get; init; }

    /// <summary>The family of <see cref="ModelType"/>.</summary>
    public EncoderFamily Family => EncoderFamilies.Get(ModelType, "config.json");
    public required int VocabSize { get; init; }
    /// <summary><c>hidden_size</c> (DistilBERT <c>dim</c>).</summary>
    public required int HiddenSize { get; init; }
    /// <summary><c>num_hidden_layers</c> (DistilBERT <c>n_layers</c>).</summary>
    public required int NumHiddenLayers { get; init; }
    /// <summary><c>num_attention_heads</c> (DistilBERT <c>n_heads</c>).</summary>
    public required int NumAttentionHeads { get; init; }
    /// <summary><c>intermediate_size</c> (DistilBERT <c>hidden_dim</c>).</summary>
    public required int IntermediateSize { get; init; }
    /// <summary><c>hidden_act</c> (DistilBERT <c>activation</c>): <c>gelu</c> (erf), <c>gelu_new</c> / <c>gelu_pytorch_tanh</c> (tanh approximation) or <c>relu</c>. Default <c>gelu</c>.</summary>
    public string HiddenAct { get; init; } = "gelu";
    /// <summary><c>layer_norm_eps</c>; DistilBERT always uses 1e-12. Default 1e-12.</summary>
    public double LayerNormEps { get; init; } = 1e-12;
    /// <summary>Default 512.</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>Token type (segment) vocabulary: 2 for BERT, 1 for RoBERTa, 0 (none) for DistilBERT.</summary>
    public int TypeVocabSize { get; init; } = 2;
    /// <summary><c>pad_token_id</c>: 0 for BERT and DistilBERT, 1 for RoBERTa.</summary>
    public int PadTokenId { get; init; }
    /// <summary><c>hidden_dropout_prob</c> (DistilBERT <c>dropout</c>). Default 0.1.</summary>
    public double HiddenDropoutProb { get; init; } = 0.1;
    /// <summary><c>attention_probs_dropout_prob</c> (DistilBERT <c>attention_dropout</c>). Default 0.1.</summary>
    public double AttentionProbsDropoutProb { get; init; } = 0.1;
    /// <summary>Dropout before the classification layer: <c>classifier_dropout</c> (BERT, RoBERTa; null → hidden dropout)
    /// or <c>seq_classif_dropout</c> (DistilBERT, default 0.2).</summary>
    public double? ClassifierDropout { get; init; }
    /// <summary>Standard deviation of the normal initialisation. Default 0.02.</summary>
    public double InitializerRange { get; init; } = 0.02;
    /// <summary>Label names in output order (<c>id2label</c>); empty for a bare encoder.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];
    /// <summary><c>problem_type</c>, e.g. <c>multi_label_classification</c>; null when absent.</summary>
    public string? ProblemType { get; init; }
    /// <summary><c>architectures</c>, e.g. <c>BertForSequenceClassification</c>.</summary>
    public IReadOnlyList<string> Architectures { get; init; } = [];
    /// <summary>DeBERTa-v2/v3 <c>relative_attention</c>: disentangled attention with relative position embeddings. Default false.</summary>
    public bool RelativeAttention { get; init; }
    /// <summary>DeBERTa <c>max_relative_positions</c>; below 1 means <c>max_position_embeddings</c>. Default -1.</summary>
    public int MaxRelativePositions { get; init; } = -1;
    /// <summary>DeBERTa <c>position_buckets</c>: log-bucketed relative positions when &gt; 0 (256 in v3). Default -1.</summary>
    public int PositionBuckets { get; init; } = -1;
    /// <summary>DeBERTa <c>pos_att_type</c>: the relative terms, <c>c2p</c> and/or <c>p2c</c> (read from a list or a
    /// <c>"p2c|c2p"</c> string, lowercased as Hugging Face does). Default none.</summary>
    public IReadOnlyList<string> PosAttType { get; init; } = [];
    /// <summary>DeBERTa <c>norm_rel_ebd</c>: <c>layer_norm</c> normalises the relative embeddings. Default <c>none</c>.</summary>
    public string NormRelEbd { get; init; } = "none";
    /// <summary>DeBERTa <c>share_att_key</c>: positions are projected by the content query/key projections. Default false.</summary>
    public bool ShareAttKey { get; init; }
    /// <summary>DeBERTa <c>position_biased_input</c>: absolute position embeddings added to the input (false in v3). Default true.</summary>
    public bool PositionBiasedInput { get; init; } = true;
    /// <summary>DeBERTa-v2 <c>conv_kernel_size</c>: a ConvLayer after the first block when &gt; 0. Default 0.</summary>
    public int ConvKernelSize { get; init; }
    /// <summary>DeBERTa-v2 <c>conv_groups</c>. Default 1.</summary>
    public int ConvGroups { get; init; } = 1;
    /// <summary>DeBERTa-v2 <c>conv_act</c>. Default <c>tanh</c>.</summary>
    public string ConvAct { get; init; } = "tanh";
    /// <summary>DeBERTa ContextPooler <c>pooler_hidden_act</c>. Default <c>gelu</c>.</summary>
    public string PoolerHiddenAct { get; init; } = "gelu";
    /// <summary>DeBERTa ContextPooler <c>pooler_dropout</c>. Default 0.</summary>
    public double PoolerDropout { get; init; }
    /// <summary>Every other key of the original file, written back as read.</summary>
    public JsonObject Extra { get; init; } = new();

    /// <summary>The dropout in front of the classification layer, as Hugging Face picks it.</summary>
    public double EffectiveClassifierDropout => ClassifierDropout ?? Family.DefaultClassifierDropout ?? HiddenDropoutProb;

    /// <summary>DistilBERT's <c>sinusoidal_pos_embds</c>: position table initialised to fixed sinusoids. Default false.</summary>
    public bool SinusoidalPositions => Extra["sinusoidal_pos_embds"] is JsonValue value && value.TryGetValue(out bool on) && on;

    /// <summary>The size of one attention head: hidden / heads.</summary>
    public int HeadSize => HiddenSize / NumAttentionHeads;

    private static HashSet<string> MappedKeys(ConfigKeyNames keys) =>
    [
        "model_type", "vocab_size", keys.HiddenSize, keys.NumHiddenLayers, keys.NumAttentionHeads, keys.IntermediateSize, keys.HiddenAct,
        keys.LayerNormEps ?? "layer_norm_eps", "max_position_embeddings", keys.TypeVocabSize ?? "type_vocab_size", "pad_token_id",
        keys.HiddenDropoutProb, keys.AttentionProbsDropoutProb, keys.ClassifierDropout, "initializer_range", "id2label", "label2id",
        "num_labels", "problem_type", "architectures",
    ];

    // Read and written only for model_type deberta-v2; for other types they stay in Extra.
    internal static readonly HashSet<string> DebertaKeys =
    [
        "relative_attention", "max_relative_positions", "position_buckets", "pos_att_type", "norm_rel_ebd", "share_att_key",
        "position_biased_input", "conv_kernel_size", "conv_groups", "conv_act", "pooler_hidden_act", "pooler_dropout", "cls_dropout",
    ];

    /// <summary>Reads a Hugging Face <c>config.json</c>.</summary>
    /// <exception cref="SentioException">Missing file, invalid JSON, an unknown model type or a missing/invalid key (message names the key).</exception>
    public static TransformerConfig Read(string path)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: not found");
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new SentioException($"{path}: empty"); }
        catch (JsonException e) { throw new SentioException($"{path}: invalid JSON: {e.Message}", e); }
        return FromJson(json, path);
    }

    /// <summary>Builds the config from a parsed <c>config.json</c>; <paramref name="source"/> names it in errors.</summary>
    public static TransformerConfig FromJson(JsonObject json, string source)
    {
        string modelType = String(json, source, "model_type") ?? throw new SentioException($"{source}: key 'model_type' is missing");
        var family = EncoderFamilies.Get(modelType, source);
        var keys = family.ConfigKeys;
        var mapped = MappedKeys(keys);
        var config = new TransformerConfig
        {
            ModelType = modelType,
            VocabSize = RequiredInt(json, source, "vocab_size"),
            HiddenSize = RequiredInt(json, source, keys.HiddenSize),
            NumHiddenLayers = RequiredInt(json, source, keys.NumHiddenLayers),
            NumAttentionHeads = RequiredInt(json, source, keys.NumAttentionHeads),
            IntermediateSize = RequiredInt(json, source, keys.IntermediateSize),
            HiddenAct = String(json, source, keys.HiddenAct) ?? "gelu",
            LayerNormEps = (keys.LayerNormEps == null ? null : Number(json, source, keys.LayerNormEps)) ?? family.DefaultLayerNormEps,
            MaxPositionEmbeddings = (int?)Number(json, source, "max_position_embeddings") ?? 512,
            TypeVocabSize = keys.TypeVocabSize == null ? family.TypeVocabSize : (int?)Number(json, source, keys.TypeVocabSize) ?? family.DefaultTypeVocabSize,
            PadTokenId = (int?)Number(json, source, "pad_token_id") ?? family.DefaultPadTokenId,
            HiddenDropoutProb = Number(json, source, keys.HiddenDropoutProb) ?? 0.1,
            AttentionProbsDropoutProb = Number(json, source, keys.AttentionProbsDropoutProb) ?? 0.1,
            ClassifierDropout = Number(json, source, keys.ClassifierDropout),
            InitializerRange = Number(json, source, "initializer_range") ?? 0.02,
            Labels = ReadLabels(json, source),
            ProblemType = String(json, source, "problem_type"),
            Architectures = json["architectures"] is JsonArray a ? a.Select(x => x?.GetValue<string>() ?? "").ToArray() : [],
            Extra = new JsonObject(json.Where(p => !mapped.Contains(p.Key) && !family.OwnKeys.Contains(p.Key))
                .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))),
        };
        if (family.ReadOwnKeys is { } readOwn) config = readOwn(config, json, source);
        config.Validate(source);
        return config;
    }

    /// <summary>The config in Hugging Face's format (the family's key names), with <c>id2label</c>, <c>label2id</c> and
    /// <c>problem_type</c> when there are labels.</summary>
    public JsonObject ToJson()
    {
        var keys = Family.ConfigKeys;
        var json = new JsonObject();
        if (Architectures.Count > 0) json["architectures"] = new JsonArray(Architectures.Select(a => (JsonNode)a!).ToArray());
        json["model_type"] = ModelType;
        json["vocab_size"] = VocabSize;
        json[keys.HiddenSize] = HiddenSize;
        json[keys.NumHiddenLayers] = NumHiddenLayers;
        json[keys.NumAttentionHeads] = NumAttentionHeads;
        json[keys.IntermediateSize] = IntermediateSize;
        json[keys.HiddenAct] = HiddenAct;
        if (keys.LayerNormEps != null) json[keys.LayerNormEps] = LayerNormEps;
        if (keys.TypeVocabSize != null) json[keys.TypeVocabSize] = TypeVocabSize;
        json["max_position_embeddings"] = MaxPositionEmbeddings;
        json["pad_token_id"] = PadTokenId;
        json[keys.HiddenDropoutProb] = HiddenDropoutProb;
        json[keys.AttentionProbsDropoutProb] = AttentionProbsDropoutProb;
        if (ClassifierDropout is { } dropout) json[keys.ClassifierDropout] = dropout;
        Family.WriteOwnKeys?.Invoke(this, json);
        json["initializer_range"] = InitializerRange;
        if (Labels.Count > 0)
        {
            var id2label = new JsonObject();
            var label2id = new JsonObject();
            for (int i = 0; i < Labels.Count; i++)
            {
                id2label[i.ToString(CultureInfo.InvariantCulture)] = Labels[i];
                label2id[Labels[i]] = i;
            }
            json["id2label"] = id2label;
            json["label2id"] = label2id;
        }
        if (ProblemType is not null) json["problem_type"] = ProblemType;
        foreach (var (key, value) in Extra) json[key] = value?.DeepClone();
        return json;
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public void Write(string path) => AtomicFile.WriteText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    private void Validate(string source)
    {
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            throw new SentioException($"{source}: hidden size {HiddenSize} is not a positive multiple of the {NumAttentionHeads} attention heads");
        foreach (var (key, value) in new[] { ("vocab_size", VocabSize), ("num_hidden_layers", NumHiddenLayers), ("intermediate_size", IntermediateSize), ("max_position_embeddings", MaxPositionEmbeddings) })
            if (value <= 0) throw new SentioException($"{source}: {key} must be > 0, got {value}");
        if (PadTokenId < 0 || PadTokenId >= VocabSize)
            throw new SentioException($"{source}: pad_token_id {PadTokenId} is outside the vocabulary of {VocabSize}");
        if (Extra["position_embedding_type"] is JsonValue position && position.ToString() != "absolute")
            throw new SentioException($"{source}: position_embedding_type '{position}' is not supported; Sentio implements 'absolute'");
        if (HiddenAct is not ("gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu"))
            throw new SentioException($"{source}: activation '{HiddenAct}' is not supported; use gelu, gelu_new, gelu_pytorch_tanh or relu");
    }

    internal static TransformerConfig ReadDeberta(TransformerConfig config, JsonObject json, string source) => config with
    {
        RelativeAttention = Bool(json, source, "relative_attention") ?? false,
        MaxRelativePositions = (int?)Number(json, source, "max_relative_positions") ?? -1,
        PositionBuckets = (int?)Number(json, source, "position_buckets") ?? -1,
        // DebertaV2Config accepts "p2c|c2p" or a list and lowercases the string form.
        PosAttType = json["pos_att_type"] switch
        {
            null => [],
            JsonArray list => list.Select(x => x?.GetValue<string>() ?? "").ToArray(),
            _ => (String(json, source, "pos_att_type") ?? "").ToLowerInvariant().Split('|').Select(x => x.Trim()).ToArray(),
        },
        NormRelEbd = String(json, source, "norm_rel_ebd") ?? "none",
        ShareAttKey = Bool(json, source, "share_att_key") ?? false,
        PositionBiasedInput = Bool(json, source, "position_biased_input") ?? true,
        ConvKernelSize = (int?)Number(json, source, "conv_kernel_size") ?? 0,
        ConvGroups = (int?)Number(json, source, "conv_groups") ?? 1,
        ConvAct = String(json, source, "conv_act") ?? "tanh",
        PoolerHiddenAct = String(json, source, "pooler_hidden_act") ?? "gelu",
        PoolerDropout = Number(json, source, "pooler_dropout") ?? 0,
    };

    internal static void WriteDeberta(TransformerConfig config, JsonObject json)
    {
        json["relative_attention"] = config.RelativeAttention;
        json["max_relative_positions"] = config.MaxRelativePositions;
        json["position_buckets"] = config.PositionBuckets;
        json["pos_att_type"] = new JsonArray(config.PosAttType.Select(t => (JsonNode)t!).ToArray());
        json["norm_rel_ebd"] = config.NormRelEbd;
        json["share_att_key"] = config.ShareAttKey;
        json["position_biased_input"] = config.PositionBiasedInput;
        if (config.ConvKernelSize > 0)
        {
            json["conv_kernel_size"] = config.ConvKernelSize;
            json["conv_groups"] = config.ConvGroups;
            json["conv_act"] = config.ConvAct;
        }
        json["pooler_hidden_act"] = config.PoolerHiddenAct;
        json["pooler_dropout"] = config.PoolerDropout;
    }

    private static bool? Bool(JsonObject json, string source, string key)
    {
        if (json[key] is not JsonValue value) return null;
        return value.TryGetValue(out bool flag) ? flag
            : throw new SentioException($"{source}: key '{key}' must be true or false, got {value.ToJsonString()}");
    }

    private static IReadOnlyList<string> ReadLabels(JsonObject json, string source)
    {
        if (json["id2label"] is not JsonObject id2label) return [];
        var labels = new string[id2label.Count];
        foreach (var (key, value) in id2label)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= labels.Length || labels[id] is not null)
                throw new SentioException($"{source}: id2label key '{key}' is not one of 0..{labels.Length - 1} (each once)");
            labels[id] = value?.GetValue<string>() ?? throw new SentioException($"{source}: id2label['{key}'] is not a string");
        }
        return labels;
    }

    private static int RequiredInt(JsonObject json, string source, string key) =>
        (int?)Number(json, source, key) ?? throw new SentioException($"{source}: key '{key}' is missing");

    private static double? Number(JsonObject json, string source, string key)
    {
        if (json[key] is not JsonValue value) return null;
        return value.TryGetValue(out double number) ? number
            : throw new SentioException($"{source}: key '{key}' must be a number, got {value.ToJsonString()}");
    }

    private static string? String(JsonObject json, string source, string key)
    {
        if (json[key] is not JsonValue value) return null;
        return value.TryGetValue(out string? text) ? text
            : throw new SentioException($"{source}: key '{key}' must be a string, got {value.ToJsonString()}");
    }
}
