using Sentio.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Models;

// DeBERTa-v2 and -v3, after Hugging Face's modeling_deberta_v2.py (eval-equivalent: StableDropout is plain dropout at
// inference). Field names are the state-dict names: they must not change, or Hugging Face checkpoints stop loading.
// A small, clearly marked copy of the BERT blocks rather than a shared base (STYLE.md 1).

/// <summary>DebertaV2Embeddings: word (+ absolute position when <c>position_biased_input</c>) (+ token type when
/// <c>type_vocab_size</c> &gt; 0) → LayerNorm → × mask → dropout: ids [batch, seq] → [batch, seq, hidden].</summary>
public sealed class DebertaV2Embeddings : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding? position_embeddings;
    private readonly Embedding? token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public DebertaV2Embeddings(TransformerConfig config) : base(nameof(DebertaV2Embeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        if (config.PositionBiasedInput) position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        if (config.TypeVocabSize > 0) token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    internal Embedding WordEmbeddings => word_embeddings;

    /// <summary>Input ids, token type ids and the 1/0 attention mask, each [batch, seq] → [batch, seq, hidden], zero at
    /// padding. Absolute positions are 0..seq-1.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        var embeddings = word_embeddings.forward(inputIds);
        if (position_embeddings is not null)
        {
            using var positionIds = arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0).expand_as(inputIds);
            embeddings = embeddings + position_embeddings.forward(positionIds);
        }
        if (token_type_embeddings is not null) embeddings = embeddings + token_type_embeddings.forward(tokenTypeIds);
        embeddings = LayerNorm.forward(embeddings) * attentionMask.unsqueeze(2).to_type(embeddings.dtype);
        return dropout.forward(embeddings);
    }
}

/// <summary>DisentangledSelfAttention: content-to-content attention plus the relative terms named in <c>pos_att_type</c>
/// (c2p: content query × position key; p2c: position query × content key), every term scaled by
/// √(head size × (1 + number of relative terms)): [batch, seq, hidden] → [batch, seq, hidden].</summary>
public sealed class DisentangledSelfAttention : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly Linear query_proj;
    private readonly Linear key_proj;
    private readonly Linear value_proj;
    private readonly Linear? pos_key_proj;
    private readonly Linear? pos_query_proj;
    private readonly Dropout pos_dropout;
    private readonly Dropout dropout;
    private readonly int heads;
    private readonly bool relativeAttention;
    private readonly bool shareAttKey;
    private readonly bool contentToPosition;
    private readonly bool positionToContent;
    private readonly int span;
    private readonly int scaleFactor;

    public DisentangledSelfAttention(TransformerConfig config) : base(nameof(DisentangledSelfAttention))
    {
        heads = config.NumAttentionHeads;
        query_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        key_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        value_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        relativeAttention = config.RelativeAttention;
        shareAttKey = config.ShareAttKey;
        contentToPosition = config.PosAttType.Contains("c2p");
        positionToContent = config.PosAttType.Contains("p2c");
        // Hugging Face counts the terms for the scale even when relative_attention is off.
        scaleFactor = 1 + (contentToPosition ? 1 : 0) + (positionToContent ? 1 : 0);
        span = DebertaV2Encoder.PositionSpan(config);
        if (relativeAttention && !shareAttKey)
        {
            if (contentToPosition) pos_key_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
            if (positionToContent) pos_query_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        }
        pos_dropout = nn.Dropout(config.HiddenDropoutProb);
        dropout = nn.Dropout(config.AttentionProbsDropoutProb);
        RegisterComponents();
    }

    /// <summary>Hidden states [batch, seq, hidden], the pairwise mask [batch, 1, seq, seq] (bool, true = attend), relative
    /// positions [seq, seq] (int64) and the relative embeddings [2 × span, hidden] → context [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor hidden, Tensor pairMask, Tensor relativePositions, Tensor relativeEmbeddings)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        var query = Heads(query_proj.forward(hidden));
        var key = Heads(key_proj.forward(hidden));
        var value = Heads(value_proj.forward(hidden));
        double scale = Math.Sqrt((float)(query.shape[2] * scaleFactor));
        var scores = bmm(query, key.transpose(-1, -2)) / scale;
        if (relativeAttention)
            scores = scores + RelativeBias(query, key, relativePositions, pos_dropout.forward(relativeEmbeddings), scale);
        scores = scores.view(batch, heads, length, length);

        // XSoftmax: masked scores take the dtype's lowest value before softmax and are zeroed after it.
        var masked = pairMask.logical_not();
        var probabilities = softmax(scores.masked_fill(masked, TransformerParts.Lowest(scores.dtype)), -1).masked_fill(masked, 0.0f);
        probabilities = dropout.forward(probabilities);
        var context = bmm(probabilities.view(-1, length, length), value);
        return context.view(batch, heads, length, -1).permute(0, 2, 1, 3).contiguous().view(batch, length, -1);
    }

    /// <summary>transpose_for_scores: [batch, seq, heads × size] → [batch × heads, seq, size].</summary>
    private Tensor Heads(Tensor x)
    {
        long batch = x.shape[0], length = x.shape[1];
        return x.view(batch, length, heads, -1).permute(0, 2, 1, 3).contiguous().view(-1, length, x.shape[2] / heads);
    }

    /// <summary>disentangled_attention_bias: the c2p and p2c scores [batch × heads, seq, seq].</summary>
    private Tensor RelativeBias(Tensor query, Tensor key, Tensor relativePositions, Tensor relativeEmbeddings, double scale)
    {
        long batchHeads = query.shape[0], length = query.shape[1];
        long copies = batchHeads / heads;
        var positions = relativeEmbeddings[..(2 * span)].unsqueeze(0);
        Tensor Projected(Linear projection) => Heads(projection.forward(positions)).repeat(copies, 1, 1);
        var score = zeros(batchHeads, length, length, dtype: query.dtype, device: query.device);
        if (contentToPosition)
        {
            var positionKey = Projected(shareAttKey ? key_proj : pos_key_proj!);
            var c2p = bmm(query, positionKey.transpose(-1, -2));
            var index = (relativePositions + span).clamp(0, 2 * span - 1).unsqueeze(0).expand(batchHeads, length, length);
            score = score + c2p.gather(-1, index) / scale;
        }
        if (positionToContent)
        {
            var positionQuery = Projected(shareAttKey ? query_proj : pos_query_proj!);
            var p2c = bmm(key, positionQuery.transpose(-1, -2));
            var index = (span - relativePositions).clamp(0, 2 * span - 1).unsqueeze(0).expand(batchHeads, length, length);
            score = score + p2c.gather(-1, index).transpose(-1, -2) / scale;
        }
        return score;
    }
}

/// <summary>DebertaV2SelfOutput and DebertaV2Output: dense → dropout → LayerNorm(x + residual): [batch, seq, in] → [batch, seq, hidden].</summary>
public sealed class DebertaV2ResidualOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public DebertaV2ResidualOutput(TransformerConfig config, int inputSize) : base(nameof(DebertaV2ResidualOutput))
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor residual) => LayerNorm.forward(dropout.forward(dense.forward(x)) + residual);
}

/// <summary>DebertaV2Attention: disentangled self-attention then its residual output ([batch, seq, hidden] → [batch, seq, hidden]).</summary>
public sealed class DebertaV2Attention : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly DisentangledSelfAttention self;
    private readonly DebertaV2ResidualOutput output;

    public DebertaV2Attention(TransformerConfig config) : base(nameof(DebertaV2Attention))
    {
        self = new DisentangledSelfAttention(config);
        output = new DebertaV2ResidualOutput(config, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor pairMask, Tensor relativePositions, Tensor relativeEmbeddings) =>
        output.forward(self.forward(hidden, pairMask, relativePositions, relativeEmbeddings), hidden);
}

/// <summary>DebertaV2Intermediate: dense + activation, [batch, seq, hidden] → [batch, seq, intermediate].</summary>
public sealed class DebertaV2Intermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly string activation;

    public DebertaV2Intermediate(TransformerConfig config) : base(nameof(DebertaV2Intermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        activation = config.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => TransformerParts.Activate(activation, dense.forward(hidden));
}

/// <summary>One encoder block (DebertaV2Layer): [batch, seq, hidden] → [batch, seq, hidden].</summary>
public sealed class DebertaV2Layer : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly DebertaV2Attention attention;
    private readonly DebertaV2Intermediate intermediate;
    private readonly DebertaV2ResidualOutput output;

    public DebertaV2Layer(TransformerConfig config) : base(nameof(DebertaV2Layer))
    {
        attention = new DebertaV2Attention(config);
        intermediate = new DebertaV2Intermediate(config);
        output = new DebertaV2ResidualOutput(config, config.IntermediateSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor pairMask, Tensor relativePositions, Tensor relativeEmbeddings)
    {
        var attended = attention.forward(hidden, pairMask, relativePositions, relativeEmbeddings);
        return output.forward(intermediate.forward(attended), attended);
    }
}

/// <summary>DeBERTa-v2's ConvLayer after the first block: conv1d over the embeddings (zero at padding), activation,
/// LayerNorm(block output + conv), × mask: [batch, seq, hidden] → [batch, seq, hidden].</summary>
public sealed class ConvLayer : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Conv1d conv;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
    private readonly string activation;

    public ConvLayer(TransformerConfig config) : base(nameof(ConvLayer))
    {
        int kernel = config.ConvKernelSize;
        conv = nn.Conv1d(config.HiddenSize, config.HiddenSize, kernel, padding: (kernel - 1) / 2, groups: config.ConvGroups);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        activation = config.ConvAct;
        RegisterComponents();
    }

    /// <summary>Embeddings [batch, seq, hidden], the first block's output [batch, seq, hidden], mask [batch, seq] (1/0).</summary>
    public override Tensor forward(Tensor embeddings, Tensor residual, Tensor attentionMask)
    {
        var output = conv.forward(embeddings.permute(0, 2, 1).contiguous()).permute(0, 2, 1).contiguous();
        using var keep = attentionMask.unsqueeze(-1).to_type(output.dtype);
        output = DebertaV2Encoder.Activate(activation, dropout.forward(output * keep));
        return LayerNorm.forward(residual + output) * keep;
    }
}

/// <summary>DebertaV2Encoder (keys <c>encoder.layer.N.*</c>, <c>encoder.rel_embeddings</c>, <c>encoder.LayerNorm</c>,
/// <c>encoder.conv.*</c>): relative positions and embeddings shared by every block, [batch, seq, hidden] → [batch, seq, hidden].</summary>
public sealed class DebertaV2Encoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<DebertaV2Layer> layer;
    private readonly Embedding? rel_embeddings;
    private readonly LayerNorm? LayerNorm;
    private readonly ConvLayer? conv;
    private readonly int buckets;
    private readonly int maxRelativePositions;

    public DebertaV2Encoder(TransformerConfig config) : base(nameof(DebertaV2Encoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new DebertaV2Layer(config)).ToArray());
        buckets = config.PositionBuckets;
        maxRelativePositions = MaxRelativePositions(config);
        if (config.RelativeAttention) rel_embeddings = nn.Embedding(2 * PositionSpan(config), config.HiddenSize);
        if (NormalisesRelativeEmbeddings(config)) LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        if (config.ConvKernelSize > 0) conv = new ConvLayer(config);
        RegisterComponents();
    }

    /// <summary>Embeddings [batch, seq, hidden] and the 1/0 attention mask [batch, seq] → last hidden states.</summary>
    public override Tensor forward(Tensor embeddings, Tensor attentionMask)
    {
        long length = embeddings.shape[1];
        // get_attention_mask: token i attends to token j when both are real.
        using var extended = attentionMask.unsqueeze(1).unsqueeze(2);
        using var pairMask = (extended * extended.squeeze(-2).unsqueeze(-1)).to_type(ScalarType.Bool);
        using var relativePositions = RelativePositions(length, buckets, maxRelativePositions, embeddings.device);
        var relativeEmbeddings = rel_embeddings?.weight ?? zeros(0, embeddings.shape[2], device: embeddings.device);
        if (LayerNorm is not null) relativeEmbeddings = LayerNorm.forward(relativeEmbeddings);
        var hidden = embeddings;
        for (int i = 0; i < layer.Count; i++)
        {
            hidden = layer[i].forward(hidden, pairMask, relativePositions, relativeEmbeddings);
            if (i == 0 && conv is not null) hidden = conv.forward(embeddings, hidden, attentionMask);
        }
        return hidden;
    }

    /// <summary>build_relative_position for a query and key of <paramref name="length"/>: query index minus key index
    /// [seq, seq] (int64), log-bucketed (make_log_bucket_position) when <paramref name="buckets"/> and
    /// <paramref name="maxPosition"/> are both &gt; 0. The bucketing runs in float32 tensor ops as Hugging Face's does,
    /// so the ceil lands on the same integers.</summary>
    public static Tensor RelativePositions(long length, int buckets, int maxPosition, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var ids = arange(length, dtype: ScalarType.Int64, device: device);
        var relative = ids.unsqueeze(1) - ids.unsqueeze(0);
        if (buckets <= 0 || maxPosition <= 0) return relative.MoveToOuterDisposeScope();
        int mid = buckets / 2;
        var sign = relative.sign();
        var absolute = where(relative.lt(mid).logical_and(relative.gt(-mid)), tensor(mid - 1L, device: device), relative.abs());
        var logDenominator = log(tensor((float)((maxPosition - 1) / (double)mid), device: device));
        var logPosition = ceil(log(absolute.to_type(ScalarType.Float32) / mid) / logDenominator * (mid - 1)) + mid;
        var bucketed = where(absolute.le(mid), relative.to_type(ScalarType.Float32), logPosition * sign);
        return bucketed.to_type(ScalarType.Int64).MoveToOuterDisposeScope();
    }

    /// <summary><c>max_relative_positions</c>, or <c>max_position_embeddings</c> when it is below 1.</summary>
    internal static int MaxRelativePositions(TransformerConfig config) =>
        config.MaxRelativePositions < 1 ? config.MaxPositionEmbeddings : config.MaxRelativePositions;

    /// <summary>The attention span (pos_ebd_size): <c>position_buckets</c> when set, else the maximum relative position;
    /// the relative embedding table has 2 × span rows.</summary>
    internal static int PositionSpan(TransformerConfig config) => config.PositionBuckets > 0 ? config.PositionBuckets : MaxRelativePositions(config);

    internal static bool NormalisesRelativeEmbeddings(TransformerConfig config) =>
        config.NormRelEbd.ToLowerInvariant().Split('|').Select(x => x.Trim()).Contains("layer_norm");

    /// <summary>ACT2FN for the DeBERTa activations: the BERT set plus <c>tanh</c> (ConvLayer's default).</summary>
    internal static Tensor Activate(string name, Tensor x) => name == "tanh" ? tanh(x) : TransformerParts.Activate(name, x);
}

/// <summary>ContextPooler: the first ([CLS]) position → dropout → dense → <c>pooler_hidden_act</c>, [batch, seq, hidden] → [batch, hidden].</summary>
public sealed class ContextPooler : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly Dropout dropout;
    private readonly string activation;

    public ContextPooler(TransformerConfig config) : base(nameof(ContextPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.PoolerDropout);
        activation = config.PoolerHiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => DebertaV2Encoder.Activate(activation, dense.forward(dropout.forward(hidden[.., 0])));
}

/// <summary>The bare DeBERTa-v2/v3 encoder (DebertaV2Model), keys <c>embeddings.*</c> and <c>encoder.*</c>. Built from a
/// config it carries Hugging Face's initialisation (seed with <c>torch.manual_seed</c> first).</summary>
public sealed class DebertaV2Model : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly DebertaV2Embeddings embeddings;
    private readonly DebertaV2Encoder encoder;

    /// <exception cref="SentioException">The config uses a DeBERTa branch Sentio does not implement (message names the key).</exception>
    public DebertaV2Model(TransformerConfig config) : base(nameof(DebertaV2Model))
    {
        Check(config);
        embeddings = new DebertaV2Embeddings(config);
        encoder = new DebertaV2Encoder(config);
        RegisterComponents();
        TransformerParts.Initialize(this, config.InitializerRange);
        TransformerParts.ZeroRow(embeddings.WordEmbeddings, config.PadTokenId);
    }

    /// <summary>Last hidden states: input ids [batch, seq] (int64), attention mask [batch, seq] (1 token / 0 padding),
    /// token type ids [batch, seq] → [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds) =>
        encoder.forward(embeddings.forward(inputIds, tokenTypeIds, attentionMask), attentionMask);

    /// <summary>Every config branch of modeling_deberta_v2.py that Sentio does not implement is an error, never a
    /// silent difference.</summary>
    private static void Check(TransformerConfig config)
    {
        if (config.ModelType != "deberta-v2") throw new SentioException($"config: model_type '{config.ModelType}' is not deberta-v2");
        foreach (var term in config.PosAttType)
            if (term is not ("c2p" or "p2c"))
                throw new SentioException($"config: pos_att_type '{term}' is not supported; DeBERTa-v2 uses c2p and p2c");
        foreach (var (key, expected) in new[] { ("embedding_size", config.HiddenSize), ("pooler_hidden_size", config.HiddenSize), ("attention_head_size", config.HeadSize) })
            if (config.Extra[key] is System.Text.Json.Nodes.JsonValue value && (!value.TryGetValue(out int size) || size != expected))
                throw new SentioException($"config: {key} {value.ToJsonString()} is not supported; Sentio implements {key} = {expected}");
        foreach (var (key, name) in new[] { ("conv_act", config.ConvAct), ("pooler_hidden_act", config.PoolerHiddenAct) })
            if (name is not ("tanh" or "gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu"))
                throw new SentioException($"config: {key} '{name}' is not supported; use tanh, gelu, gelu_new, gelu_pytorch_tanh or relu");
        if (config.ConvKernelSize > 0 && (config.ConvGroups <= 0 || config.HiddenSize % config.ConvGroups != 0))
            throw new SentioException($"config: conv_groups {config.ConvGroups} does not divide hidden_size {config.HiddenSize}");
        if (config.NormRelEbd.ToLowerInvariant().Split('|').Select(x => x.Trim()).Any(x => x is not ("none" or "layer_norm")))
            throw new SentioException($"config: norm_rel_ebd '{config.NormRelEbd}' is not supported; use none or layer_norm");
    }
}

/// <summary>DebertaV2ForSequenceClassification: last hidden states → <c>pooler</c> (ContextPooler) → dropout
/// (<c>cls_dropout</c>, else hidden dropout) → <c>classifier</c>; keys <c>deberta.*</c>, <c>pooler.*</c>, <c>classifier.*</c>.
/// One logit per label of <see cref="TransformerConfig.Labels"/>.</summary>
public sealed class DebertaV2ForSequenceClassification : nn.Module<Tensor, Tensor, Tensor, Tensor>, ITransformerClassifier
{
    private readonly DebertaV2Model deberta;
    private readonly ContextPooler pooler;
    private readonly Dropout dropout;
    private readonly Linear classifier;
    private readonly TransformerConfig config;

    /// <summary>A model with Hugging Face's random initialisation (seed with <c>torch.manual_seed</c> first).</summary>
    /// <exception cref="SentioException">The config is not a supported DeBERTa-v2 config or has no labels.</exception>
    public DebertaV2ForSequenceClassification(TransformerConfig config) : base(nameof(DebertaV2ForSequenceClassification))
    {
        if (config.Labels.Count == 0) throw new SentioException("config: id2label is empty; a classifier needs labels");
        this.config = config;
        deberta = new DebertaV2Model(config);
        pooler = new ContextPooler(config);
        dropout = nn.Dropout(config.EffectiveClassifierDropout);
        classifier = nn.Linear(config.HiddenSize, config.Labels.Count);
        RegisterComponents();
        TransformerParts.Initialize(pooler, config.InitializerRange);
        TransformerParts.Initialize(classifier, config.InitializerRange);
    }

    public TransformerConfig Config => config;
    public nn.Module Module => this;

    /// <summary>Input ids, attention mask and token type ids, each [batch, seq] → logits [batch, labels].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds) =>
        classifier.forward(dropout.forward(pooler.forward(deberta.forward(inputIds, attentionMask, tokenTypeIds))));

    public Tensor Logits(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) =>
        forward(inputIds, attentionMask, TransformerParts.TokenTypesOrZeros(inputIds, tokenTypeIds));

    public Tensor LastHiddenState(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) =>
        deberta.forward(inputIds, attentionMask, TransformerParts.TokenTypesOrZeros(inputIds, tokenTypeIds));

    /// <summary>The ContextPooler's output: ids, mask, token types [batch, seq] → [batch, hidden].</summary>
    public Tensor PooledOutput(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) =>
        pooler.forward(LastHiddenState(inputIds, attentionMask, tokenTypeIds));
}
