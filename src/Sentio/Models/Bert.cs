using Sentio.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Models;

// BERT, after Hugging Face's modeling_bert.py (eager attention). Field names are the state-dict names: they must not
// change, or Hugging Face checkpoints stop loading.

/// <summary>Word + position + token type embeddings, LayerNorm, dropout: ids [batch, seq] → [batch, seq, hidden].</summary>
public sealed class BertEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public BertEmbeddings(TransformerConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    internal Embedding WordEmbeddings => word_embeddings;

    /// <summary>Input ids [batch, seq] and token type ids [batch, seq] → [batch, seq, hidden]; positions are 0..seq-1.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var positionIds = arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0).expand_as(inputIds);
        var embeddings = word_embeddings.forward(inputIds) + token_type_embeddings.forward(tokenTypeIds);
        embeddings = embeddings + position_embeddings.forward(positionIds);
        return dropout.forward(LayerNorm.forward(embeddings));
    }
}

/// <summary>Multi-head scaled dot-product self-attention (BertSelfAttention): [batch, seq, hidden] → [batch, seq, hidden].</summary>
public sealed class BertSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Dropout dropout;
    private readonly double attentionDropout;
    private readonly int heads;
    private readonly int headSize;

    public BertSelfAttention(TransformerConfig config) : base(nameof(BertSelfAttention))
    {
        heads = config.NumAttentionHeads;
        headSize = config.HeadSize;
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.AttentionProbsDropoutProb);
        attentionDropout = config.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    /// <summary>Hidden states [batch, seq, hidden] and the additive mask [batch, 1, 1, seq] → context [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Heads(Tensor x) => x.view(batch, length, heads, headSize).permute(0, 2, 1, 3);
        var q = Heads(query.forward(hidden));
        var k = Heads(key.forward(hidden));
        var v = Heads(value.forward(hidden));
        Tensor context;
        if (FusedAttention)
        {
            // libtorch's fused kernel (HF's BertSdpaSelfAttention): no [batch, heads, seq, seq] score tensors kept for the
            // backward pass, the softmax and dropout done in one sweep.
            context = nn.functional.scaled_dot_product_attention(q, k, v, additiveMask, training ? attentionDropout : 0.0);
        }
        else
        {
            var scores = matmul(q, k.transpose(-1, -2)) / Math.Sqrt(headSize) + additiveMask;
            context = matmul(dropout.forward(softmax(scores, -1)), v);
        }
        return context.permute(0, 2, 1, 3).contiguous().view(batch, length, heads * headSize);
    }

    /// <summary>Whether attention runs libtorch's fused scaled-dot-product kernel (the default) or the explicit
    /// matmul–softmax–matmul of modeling_bert.py's eager path; the transformer bench switches it to show the gain.</summary>
    internal static bool FusedAttention { get; set; } = true;
}

/// <summary>BertSelfOutput and BertOutput: dense → dropout → LayerNorm(x + residual): [batch, seq, in] → [batch, seq, hidden].</summary>
public sealed class BertResidualOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public BertResidualOutput(TransformerConfig config, int inputSize) : base(nameof(BertResidualOutput))
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor residual) => LayerNorm.forward(dropout.forward(dense.forward(x)) + residual);
}

/// <summary>BertAttention: self-attention then its residual output ([batch, seq, hidden] → [batch, seq, hidden]).</summary>
public sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertSelfAttention self;
    private readonly BertResidualOutput output;

    public BertAttention(TransformerConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertResidualOutput(config, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask) => output.forward(self.forward(hidden, additiveMask), hidden);
}

/// <summary>BertIntermediate: dense + activation, [batch, seq, hidden] → [batch, seq, intermediate].</summary>
public sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly string activation;

    public BertIntermediate(TransformerConfig config) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        activation = config.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => TransformerParts.Activate(activation, dense.forward(hidden));
}

/// <summary>One encoder block (BertLayer): [batch, seq, hidden] → [batch, seq, hidden].</summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertResidualOutput output;

    public BertLayer(TransformerConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertResidualOutput(config, config.IntermediateSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        var attended = attention.forward(hidden, additiveMask);
        return output.forward(intermediate.forward(attended), attended);
    }
}

/// <summary>The stack of encoder blocks (BertEncoder, keys <c>encoder.layer.N.*</c>): [batch, seq, hidden] → [batch, seq, hidden].</summary>
public sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> layer;

    public BertEncoder(TransformerConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        foreach (var block in layer) hidden = block.forward(hidden, additiveMask);
        return hidden;
    }
}

/// <summary>BertPooler: dense + tanh on the first ([CLS]) position, [batch, seq, hidden] → [batch, hidden].</summary>
public sealed class BertPooler : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;

    public BertPooler(TransformerConfig config) : base(nameof(BertPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => tanh(dense.forward(hidden[.., 0]));
}

/// <summary>The bare BERT encoder (BertModel), keys <c>embeddings.*</c>, <c>encoder.*</c>, <c>pooler.*</c> with no prefix —
/// the layout of checkpoints such as sentence-transformers/all-MiniLM-L6-v2. Built from a config it carries Hugging
/// Face's initialisation (seed with <c>torch.manual_seed</c> first).</summary>
public sealed class BertModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler pooler;

    public BertModel(TransformerConfig config) : base(nameof(BertModel))
    {
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = new BertPooler(config);
        RegisterComponents();
        TransformerParts.Initialize(this, config.InitializerRange);
        TransformerParts.ZeroRow(embeddings.WordEmbeddings, config.PadTokenId);
    }

    /// <summary>Last hidden states: input ids [batch, seq] (int64), attention mask [batch, seq] (1 token / 0 padding),
    /// token type ids [batch, seq] → [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var mask = TransformerParts.AdditiveMask(attentionMask);
        return encoder.forward(embeddings.forward(inputIds, tokenTypeIds), mask);
    }

    /// <summary>The pooled output: last hidden states [batch, seq, hidden] → tanh(dense([CLS])) [batch, hidden].</summary>
    public Tensor Pool(Tensor lastHiddenState) => pooler.forward(lastHiddenState);
}

/// <summary>BertForSequenceClassification: pooled [CLS] → dropout → <c>classifier</c>, keys <c>bert.*</c> and
/// <c>classifier.*</c>. One logit per label of <see cref="TransformerConfig.Labels"/>.</summary>
public sealed class BertForSequenceClassification : nn.Module<Tensor, Tensor, Tensor, Tensor>, ITransformerClassifier
{
    private readonly BertModel bert;
    private readonly Dropout dropout;
    private readonly Linear classifier;
    private readonly TransformerConfig config;

    /// <summary>A model with Hugging Face's random initialisation (seed with <c>torch.manual_seed</c> first).</summary>
    /// <exception cref="SentioException">The config is not a BERT config or has no labels.</exception>
    public BertForSequenceClassification(TransformerConfig config) : base(nameof(BertForSequenceClassification))
    {
        if (config.ModelType != "bert") throw new SentioException($"config: model_type '{config.ModelType}' is not bert");
        if (config.Labels.Count == 0) throw new SentioException("config: id2label is empty; a classifier needs labels");
        this.config = config;
        bert = new BertModel(config);
        dropout = nn.Dropout(config.EffectiveClassifierDropout);
        classifier = nn.Linear(config.HiddenSize, config.Labels.Count);
        RegisterComponents();
        TransformerParts.Initialize(classifier, config.InitializerRange);
    }

    public TransformerConfig Config => config;
    public nn.Module Module => this;

    /// <summary>Input ids, attention mask and token type ids, each [batch, seq] → logits [batch, labels].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        var hidden = bert.forward(inputIds, attentionMask, tokenTypeIds);
        return classifier.forward(dropout.forward(bert.Pool(hidden)));
    }

    public Tensor Logits(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) =>
        forward(inputIds, attentionMask, TransformerParts.TokenTypesOrZeros(inputIds, tokenTypeIds));

    public Tensor LastHiddenState(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) =>
        bert.forward(inputIds, attentionMask, TransformerParts.TokenTypesOrZeros(inputIds, tokenTypeIds));

    /// <summary>The pooler's output: ids, mask, token types [batch, seq] → [batch, hidden].</summary>
    public Tensor PooledOutput(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) =>
        bert.Pool(LastHiddenState(inputIds, attentionMask, tokenTypeIds));
}
