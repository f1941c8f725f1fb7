using Sentio.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Models;

// DistilBERT, after Hugging Face's modeling_distilbert.py (eager attention, learned positions). Field names are the
// state-dict names. Its LayerNorms use eps 1e-12 whatever the config says, as Hugging Face's do.

/// <summary>Word + position embeddings, LayerNorm, dropout (no token types): ids [batch, seq] → [batch, seq, dim].</summary>
public sealed class DistilBertEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public DistilBertEmbeddings(TransformerConfig config) : base(nameof(DistilBertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, 1e-12);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    internal Embedding WordEmbeddings => word_embeddings;

    /// <summary>create_sinusoidal_embeddings: row p, column j is sin (even j) or cos (odd j) of p / 10000^(2⌊j/2⌋/dim).</summary>
    internal void UseSinusoidalPositions()
    {
        long positions = position_embeddings.weight!.shape[0], dim = position_embeddings.weight.shape[1];
        var table = new float[positions * dim];
        for (long p = 0; p < positions; p++)
            for (long j = 0; j < dim; j++)
            {
                double angle = p / Math.Pow(10000, 2 * (j / 2) / (double)dim);
                table[p * dim + j] = (float)(j % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle));
            }
        using var _ = no_grad();
        using var values = tensor(table, [positions, dim]);
        position_embeddings.weight.copy_(values);
    }

    public override Tensor forward(Tensor inputIds)
    {
        using var positionIds = arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0).expand_as(inputIds);
        return dropout.forward(LayerNorm.forward(word_embeddings.forward(inputIds) + position_embeddings.forward(positionIds)));
    }
}

/// <summary>MultiHeadSelfAttention (<c>q_lin</c>, <c>k_lin</c>, <c>v_lin</c>, <c>out_lin</c>): [batch, seq, dim] → [batch, seq, dim].</summary>
public sealed class MultiHeadSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear q_lin;
    private readonly Linear k_lin;
    private readonly Linear v_lin;
    private readonly Linear out_lin;
    private readonly Dropout dropout;
    private readonly int heads;
    private readonly int headSize;

    public MultiHeadSelfAttention(TransformerConfig config) : base(nameof(MultiHeadSelfAttention))
    {
        heads = config.NumAttentionHeads;
        headSize = config.HeadSize;
        q_lin = nn.Linear(config.HiddenSize, config.HiddenSize);
        k_lin = nn.Linear(config.HiddenSize, config.HiddenSize);
        v_lin = nn.Linear(config.HiddenSize, config.HiddenSize);
        out_lin = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.AttentionProbsDropoutProb);
        RegisterComponents();
    }

    /// <summary>Hidden states [batch, seq, dim] and attention mask [batch, seq] (1/0) → [batch, seq, dim]. Masked keys get
    /// the scores' dtype's lowest value before the softmax (masked_fill, as Hugging Face).</summary>
    public override Tensor forward(Tensor hidden, Tensor attentionMask)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Heads(Tensor x) => x.view(batch, -1, heads, headSize).transpose(1, 2);
        var q = Heads(q_lin.forward(hidden)) / Math.Sqrt(headSize);
        var k = Heads(k_lin.forward(hidden));
        var v = Heads(v_lin.forward(hidden));
        var scores = matmul(q, k.transpose(2, 3));
        using var masked = attentionMask.eq(0).view(batch, 1, 1, length).expand_as(scores);
        scores = scores.masked_fill(masked, TransformerParts.Lowest(scores.dtype));
        var weights = dropout.forward(softmax(scores, -1));
        var context = matmul(weights, v).transpose(1, 2).contiguous().view(batch, -1, heads * headSize);
        return out_lin.forward(context);
    }
}

/// <summary>The feed-forward block (<c>lin1</c>, activation, <c>lin2</c>, dropout): [batch, seq, dim] → [batch, seq, dim].</summary>
public sealed class FFN : nn.Module<Tensor, Tensor>
{
    private readonly Linear lin1;
    private readonly Linear lin2;
    private readonly Dropout dropout;
    private readonly string activation;

    public FFN(TransformerConfig config) : base(nameof(FFN))
    {
        lin1 = nn.Linear(config.HiddenSize, config.IntermediateSize);
        lin2 = nn.Linear(config.IntermediateSize, config.HiddenSize);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        activation = config.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => dropout.forward(lin2.forward(TransformerParts.Activate(activation, lin1.forward(x))));
}

/// <summary>One DistilBERT block: attention → <c>sa_layer_norm</c>(+x) → ffn → <c>output_layer_norm</c>(+sa):
/// [batch, seq, dim] → [batch, seq, dim].</summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly MultiHeadSelfAttention attention;
    private readonly LayerNorm sa_layer_norm;
    private readonly FFN ffn;
    private readonly LayerNorm output_layer_norm;

    public TransformerBlock(TransformerConfig config) : base(nameof(TransformerBlock))
    {
        attention = new MultiHeadSelfAttention(config);
        sa_layer_norm = nn.LayerNorm(config.HiddenSize, 1e-12);
        ffn = new FFN(config);
        output_layer_norm = nn.LayerNorm(config.HiddenSize, 1e-12);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor attentionMask)
    {
        var attended = sa_layer_norm.forward(attention.forward(hidden, attentionMask) + hidden);
        return output_layer_norm.forward(ffn.forward(attended) + attended);
    }
}

/// <summary>The block stack (keys <c>transformer.layer.N.*</c>): [batch, seq, dim] → [batch, seq, dim].</summary>
public sealed class DistilBertTransformer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<TransformerBlock> layer;

    public DistilBertTransformer(TransformerConfig config) : base("Transformer")
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new TransformerBlock(config)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor attentionMask)
    {
        foreach (var block in layer) hidden = block.forward(hidden, attentionMask);
        return hidden;
    }
}

/// <summary>The bare DistilBERT encoder (DistilBertModel), keys <c>embeddings.*</c> and <c>transformer.*</c>.</summary>
public sealed class DistilBertModel : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly DistilBertEmbeddings embeddings;
    private readonly DistilBertTransformer transformer;

    public DistilBertModel(TransformerConfig config) : base(nameof(DistilBertModel))
    {
        embeddings = new DistilBertEmbeddings(config);
        transformer = new DistilBertTransformer(config);
        RegisterComponents();
        TransformerParts.Initialize(this, config.InitializerRange);
        TransformerParts.ZeroRow(embeddings.WordEmbeddings, config.PadTokenId);
        if (config.SinusoidalPositions) embeddings.UseSinusoidalPositions();
    }

    /// <summary>Input ids [batch, seq] (int64) and attention mask [batch, seq] (1/0) → last hidden states [batch, seq, dim].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask) =>
        transformer.forward(embeddings.forward(inputIds), attentionMask);
}

/// <summary>DistilBertForSequenceClassification: [CLS] → <c>pre_classifier</c> → ReLU → dropout (seq_classif_dropout) →
/// <c>classifier</c>; keys <c>distilbert.*</c>, <c>pre_classifier.*</c>, <c>classifier.*</c>.</summary>
public sealed class DistilBertForSequenceClassification : nn.Module<Tensor, Tensor, Tensor>, ITransformerClassifier
{
    private readonly DistilBertModel distilbert;
    private readonly Linear pre_classifier;
    private readonly Dropout dropout;
    private readonly Linear classifier;
    private readonly TransformerConfig config;

    /// <summary>A model with Hugging Face's random initialisation (seed with <c>torch.manual_seed</c> first).</summary>
    /// <exception cref="SentioException">The config is not a DistilBERT config or has no labels.</exception>
    public DistilBertForSequenceClassification(TransformerConfig config) : base(nameof(DistilBertForSequenceClassification))
    {
        if (config.ModelType != "distilbert") throw new SentioException($"config: model_type '{config.ModelType}' is not distilbert");
        if (config.Labels.Count == 0) throw new SentioException("config: id2label is empty; a classifier needs labels");
        this.config = config;
        distilbert = new DistilBertModel(config);
        pre_classifier = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.EffectiveClassifierDropout);
        classifier = nn.Linear(config.HiddenSize, config.Labels.Count);
        RegisterComponents();
        TransformerParts.Initialize(pre_classifier, config.InitializerRange);
        TransformerParts.Initialize(classifier, config.InitializerRange);
    }

    public TransformerConfig Config => config;
    public nn.Module Module => this;

    /// <summary>Input ids and attention mask [batch, seq] → logits [batch, labels].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        var first = distilbert.forward(inputIds, attentionMask)[.., 0];
        return classifier.forward(dropout.forward(nn.functional.relu(pre_classifier.forward(first))));
    }

    /// <summary>DistilBERT has no token types; <paramref name="tokenTypeIds"/> is ignored.</summary>
    public Tensor Logits(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) => forward(inputIds, attentionMask);

    public Tensor LastHiddenState(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) =>
        distilbert.forward(inputIds, attentionMask);
}
