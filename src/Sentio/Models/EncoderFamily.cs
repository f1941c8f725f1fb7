namespace Sentio.Models;

/// <summary>The names a family's <c>config.json</c> gives the common settings (Hugging Face's <c>attribute_map</c>); null
/// where the family has no such key and the fixed default applies.</summary>
public sealed record ConfigKeyNames
{
    public string HiddenSize { get; init; } = "hidden_size";
    public string NumHiddenLayers { get; init; } = "num_hidden_layers";
    public string NumAttentionHeads { get; init; } = "num_attention_heads";
    public string IntermediateSize { get; init; } = "intermediate_size";
    public string HiddenAct { get; init; } = "hidden_act";
    public string? LayerNormEps { get; init; } = "layer_norm_eps";
    public string? TypeVocabSize { get; init; } = "type_vocab_size";
    public string HiddenDropoutProb { get; init; } = "hidden_dropout_prob";
    public string AttentionProbsDropoutProb { get; init; } = "attention_probs_dropout_prob";
    public string ClassifierDropout { get; init; } = "classifier_dropout";
}

/// <summary>Everything Sentio knows about one encoder family, in one record: how to build it, how Hugging Face names its
/// classes, keys and config entries, and where its pieces are. Code asks the family instead of switching on a
/// <c>model_type</c> string; a new family (DeBERTa-v2) is one more entry in <see cref="EncoderFamilies"/>.</summary>
public sealed record EncoderFamily
{
    /// <summary><c>model_type</c> in config.json.</summary>
    public required string ModelType { get; init; }

    /// <summary>The Hugging Face sequence-classification class written to <c>architectures</c>.</summary>
    public required string SequenceClassificationClass { get; init; }

    /// <summary>The prefix of the encoder's state-dict keys, e.g. <c>bert</c>.</summary>
    public required string StateDictPrefix { get; init; }

    /// <summary>Key prefixes of the classification head, which a bare-encoder checkpoint leaves at their initial values.</summary>
    public required IReadOnlyList<string> HeadPrefixes { get; init; }

    /// <summary>The final linear layer that cls / mean pooling feed, e.g. <c>classifier</c> or <c>classifier.out_proj</c>.</summary>
    public required string ClassifierLayer { get; init; }

    /// <summary>The encoder's pooler (dense + tanh on the first token) when the family has one, e.g. <c>bert.pooler.</c>:
    /// it is optional in an encoder checkpoint and serves <c>pooling: pooler</c> in feature_extract mode.</summary>
    public string? PoolerPrefix { get; init; }

    /// <summary>Checkpoint keys the sequence classifier does not use (RoBERTa's pooler, absent from
    /// RobertaForSequenceClassification).</summary>
    public IReadOnlyList<string> UnusedCheckpointPrefixes { get; init; } = [];

    /// <summary>Positions are numbered from <c>pad_token_id + 1</c> (RoBERTa) instead of 0.</summary>
    public bool PositionsAfterPadding { get; init; }

    /// <summary>config.json key names of the common settings.</summary>
    public ConfigKeyNames ConfigKeys { get; init; } = new();

    /// <summary><c>pad_token_id</c> when config.json has none.</summary>
    public int DefaultPadTokenId { get; init; }

    /// <summary>Token-type vocabulary of a randomly initialised encoder (<c>from_scratch</c>); also the fixed value when
    /// config.json has no such key.</summary>
    public required int TypeVocabSize { get; init; }

    /// <summary><c>type_vocab_size</c> when config.json has none.</summary>
    public int DefaultTypeVocabSize { get; init; } = 2;

    /// <summary><c>layer_norm_eps</c> when config.json has none.</summary>
    public double DefaultLayerNormEps { get; init; } = 1e-12;

    /// <summary>config.json keys only this family has, read by <see cref="ReadOwnKeys"/> and written by
    /// <see cref="WriteOwnKeys"/> (not kept in <see cref="TransformerConfig.Extra"/>).</summary>
    public IReadOnlySet<string> OwnKeys { get; init; } = new HashSet<string>();

    /// <summary>Reads <see cref="OwnKeys"/> into the config: (config so far, config.json, source for errors) → config.</summary>
    public Func<TransformerConfig, System.Text.Json.Nodes.JsonObject, string, TransformerConfig>? ReadOwnKeys { get; init; }

    /// <summary>Writes <see cref="OwnKeys"/> back to config.json.</summary>
    public Action<TransformerConfig, System.Text.Json.Nodes.JsonObject>? WriteOwnKeys { get; init; }

    /// <summary>Dropout before the classifier when config.json sets none; null = the hidden dropout.</summary>
    public double? DefaultClassifierDropout { get; init; }

    /// <summary>Builds the sequence classifier with Hugging Face's random initialisation.</summary>
    public required Func<TransformerConfig, ITransformerClassifier> Create { get; init; }

    /// <summary>Positions the encoder can number: the table size, less the offset of families that start after padding.</summary>
    public int UsablePositions(TransformerConfig config) =>
        PositionsAfterPadding ? config.MaxPositionEmbeddings - config.PadTokenId - 1 : config.MaxPositionEmbeddings;

    /// <summary>Rows a position table needs for <paramref name="positions"/> usable positions.</summary>
    public int PositionTableSize(int positions, int padTokenId) => positions + (PositionsAfterPadding ? padTokenId + 1 : 0);
}

/// <summary>The encoder families Sentio runs.</summary>
public static class EncoderFamilies
{
    public static readonly EncoderFamily Bert = new()
    {
        ModelType = "bert",
        SequenceClassificationClass = "BertForSequenceClassification",
        StateDictPrefix = "bert",
        HeadPrefixes = ["classifier."],
        ClassifierLayer = "classifier",
        PoolerPrefix = "bert.pooler.",
        TypeVocabSize = 2,
        Create = config => new BertForSequenceClassification(config),
    };

    public static readonly EncoderFamily DistilBert = new()
    {
        ModelType = "distilbert",
        SequenceClassificationClass = "DistilBertForSequenceClassification",
        StateDictPrefix = "distilbert",
        HeadPrefixes = ["pre_classifier.", "classifier."],
        ClassifierLayer = "classifier",
        ConfigKeys = new()
        {
            HiddenSize = "dim", NumHiddenLayers = "n_layers", NumAttentionHeads = "n_heads", IntermediateSize = "hidden_dim",
            HiddenAct = "activation", LayerNormEps = null, TypeVocabSize = null, HiddenDropoutProb = "dropout",
            AttentionProbsDropoutProb = "attention_dropout", ClassifierDropout = "seq_classif_dropout",
        },
        TypeVocabSize = 0,
        DefaultClassifierDropout = 0.2,
        Create = config => new DistilBertForSequenceClassification(config),
    };

    public static readonly EncoderFamily Roberta = new()
    {
        ModelType = "roberta",
        SequenceClassificationClass = "RobertaForSequenceClassification",
        StateDictPrefix = "roberta",
        HeadPrefixes = ["classifier."],
        ClassifierLayer = "classifier.out_proj",
        UnusedCheckpointPrefixes = ["roberta.pooler."],
        PositionsAfterPadding = true,
        DefaultPadTokenId = 1,
        TypeVocabSize = 1,
        Create = config => new RobertaForSequenceClassification(config),
    };

    /// <summary>DeBERTa-v2 and -v3 (<c>model_type</c> deberta-v2): disentangled relative attention, a ContextPooler outside the
    /// encoder prefix, SentencePiece.</summary>
    public static readonly EncoderFamily DebertaV2 = new()
    {
        ModelType = "deberta-v2",
        SequenceClassificationClass = "DebertaV2ForSequenceClassification",
        StateDictPrefix = "deberta",
        HeadPrefixes = ["pooler.", "classifier."],
        ClassifierLayer = "classifier",
        ConfigKeys = new() { ClassifierDropout = "cls_dropout" },
        TypeVocabSize = 0,
        DefaultTypeVocabSize = 0,
        DefaultLayerNormEps = 1e-7,
        OwnKeys = TransformerConfig.DebertaKeys,
        ReadOwnKeys = TransformerConfig.ReadDeberta,
        WriteOwnKeys = TransformerConfig.WriteDeberta,
        Create = config => new DebertaV2ForSequenceClassification(config),
    };

    public static IReadOnlyList<EncoderFamily> All { get; } = [Bert, DistilBert, Roberta, DebertaV2];

    public static IReadOnlyList<string> ModelTypes { get; } = All.Select(f => f.ModelType).ToArray();

    /// <summary>The family of <paramref name="modelType"/>.</summary>
    /// <param name="source">Names the file (or config key) in the error.</param>
    /// <exception cref="SentioException">An unknown model type; the message names the source and the supported types.</exception>
    public static EncoderFamily Get(string modelType, string source) =>
        All.FirstOrDefault(f => f.ModelType == modelType)
        ?? throw new SentioException($"{source}: model_type '{modelType}' is not supported; Sentio runs {string.Join(", ", ModelTypes)}");
}
