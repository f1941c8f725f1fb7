using Sentio.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Models;

// RoBERTa, after Hugging Face's modeling_roberta.py. Its encoder layers are Hugging Face's "Copied from BertLayer", so
// the encoder and pooler are Bert.cs's classes; what differs lives here: positions counted from padding_idx + 1 over
// non-padding tokens, one token type, and the classification head on the first token.

/// <summary>RobertaEmbeddings: like BERT's, with position ids from <see cref="PositionIds"/> and a zeroed padding row in
/// the position table: ids [batch, seq] → [batch, seq, hidden].</summary>
public sealed class RobertaEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
    private readonly long paddingIndex;

    public RobertaEmbeddings(TransformerConfig config) : base(nameof(RobertaEmbeddings))
    {
        paddingIndex = config.PadTokenId;
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, padding_idx: config.PadTokenId);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    internal Embedding WordEmbeddings => word_embeddings;
    internal Embedding PositionEmbeddings => position_embeddings;

    /// <summary>create_position_ids_from_input_ids: padding tokens get padding_idx, the others padding_idx + 1, + 2, …
    /// counting non-padding tokens only. [batch, seq] → [batch, seq].</summary>
    public static Tensor PositionIds(Tensor inputIds, long paddingIndex)
    {
        using var notPadding = inputIds.ne(paddingIndex).to_type(ScalarType.Int64);
        using var counted = cumsum(notPadding, 1);
        return counted * notPadding + paddingIndex;
    }

    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var positionIds = PositionIds(inputIds, paddingIndex);
        var embeddings = word_embeddings.forward(inputIds) + token_type_embeddings.forward(tokenTypeIds);
        embeddings = embeddings + position_embeddings.forward(positionIds);
        return dropout.forward(LayerNorm.forward(embeddings));
    }
}

/// <summary>The bare RoBERTa encoder (RobertaModel): keys <c>embeddings.*</c>, <c>encoder.*</c> and, when built with a
/// pooler, <c>pooler.*</c>.</summary>
public sealed class RobertaModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly RobertaEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler? pooler;

    /// <param name="addPoolingLayer">False inside RobertaForSequenceClassification, which has no pooler.</param>
    public RobertaModel(TransformerConfig config, bool addPoolingLayer = true) : base(nameof(RobertaModel))
    {
        embeddings = new RobertaEmbeddings(config);
        encoder = new BertEncoder(config);
        if (addPoolingLayer) pooler = new BertPooler(config);
        RegisterComponents();
        TransformerParts.Initialize(this, config.InitializerRange);
        TransformerParts.ZeroRow(embeddings.WordEmbeddings, config.PadTokenId);
        TransformerParts.ZeroRow(embeddings.PositionEmbeddings, config.PadTokenId);
    }

    /// <summary>Input ids [batch, seq] (int64), attention mask [batch, seq] (1/0), token type ids [batch, seq] (zeros)
    /// → last hidden states [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var mask = TransformerParts.AdditiveMask(attentionMask);
        return encoder.forward(embeddings.forward(inputIds, tokenTypeIds), mask);
    }

    /// <summary>The pooled output [batch, seq, hidden] → [batch, hidden].</summary>
    /// <exception cref="InvalidOperationException">The model was built without a pooler.</exception>
    public Tensor Pool(Tensor lastHiddenState) =>
        (pooler ?? throw new InvalidOperationException("this RobertaModel has no pooling layer")).forward(lastHiddenState);
}

/// <summary>RobertaClassificationHead: first token (&lt;s&gt;) → dropout → <c>dense</c> → tanh → dropout → <c>out_proj</c>, [batch, seq, hidden] → [batch, labels].</summary>
public sealed class RobertaClassificationHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly Dropout dropout;
    private readonly Linear out_proj;

    public RobertaClassificationHead(TransformerConfig config) : base(nameof(RobertaClassificationHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.EffectiveClassifierDropout);
        out_proj = nn.Linear(config.HiddenSize, config.Labels.Count);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        var x = dropout.forward(hidden[.., 0, ..]);
        x = dropout.forward(tanh(dense.forward(x)));
        return out_proj.forward(x);
    }
}

/// <summary>RobertaForSequenceClassification: keys <c>roberta.*</c> (no pooler) and <c>classifier.dense.*</c>,
/// <c>classifier.out_proj.*</c>. Padding id is <see cref="TransformerConfig.PadTokenId"/> (1).</summary>
public sealed class RobertaForSequenceClassification : nn.Module<Tensor, Tensor, Tensor, Tensor>, ITransformerClassifier
{
    private readonly RobertaModel roberta;
    private readonly RobertaClassificationHead classifier;
    private readonly TransformerConfig config;

    /// <summary>A model with Hugging Face's random initialisation (seed with <c>torch.manual_seed</c> first).</summary>
    /// <exception cref="SentioException">The config is not a RoBERTa config or has no labels.</exception>
    public RobertaForSequenceClassification(TransformerConfig config) : base(nameof(RobertaForSequenceClassification))
    {
        if (config.ModelType != "roberta") throw new SentioException($"config: model_type '{config.ModelType}' is not roberta");
        if (config.Labels.Count == 0) throw new SentioException("config: id2label is empty; a classifier needs labels");
        this.config = config;
        roberta = new RobertaModel(config, addPoolingLayer: false);
        classifier = new RobertaClassificationHead(config);
        RegisterComponents();
        TransformerParts.Initialize(classifier, config.InitializerRange);
    }

    public TransformerConfig Config => config;
    public nn.Module Module => this;

    /// <summary>Input ids, attention mask and token type ids, each [batch, seq] → logits [batch, labels].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds) =>
        classifier.forward(roberta.forward(inputIds, attentionMask, tokenTypeIds));

    public Tensor Logits(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) =>
        forward(inputIds, attentionMask, TransformerParts.TokenTypesOrZeros(inputIds, tokenTypeIds));

    public Tensor LastHiddenState(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) =>
        roberta.forward(inputIds, attentionMask, TransformerParts.TokenTypesOrZeros(inputIds, tokenTypeIds));
}
