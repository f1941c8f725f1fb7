using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Sentio.Models;

/// <summary>Sentio's transformer classifiers as ONNX graphs, written node by node after the TorchSharp forward passes in
/// Bert.cs, DistilBert.cs, Roberta.cs and DebertaV2.cs (eval mode: dropout is the identity). Inputs are int64 <c>input_ids</c>,
/// <c>attention_mask</c> and, for encoders with token types (<c>type_vocab_size</c> &gt; 0), <c>token_type_ids</c>, each
/// [batch, sequence]; outputs are float32 <c>logits</c> and <c>probabilities</c> (their sigmoid), each [batch, labels].
/// Weights are initializers under their state-dict names, in the state dict's [out, in] layout (a Transpose node feeds
/// MatMul; runtimes fold it once at load).</summary>
internal static class TransformerOnnx
{
    public static readonly string[] OutputNames = ["logits", "probabilities"];

    /// <summary>A protobuf message (the whole model.onnx) is at most 2 GiB; this leaves room for the graph around the weights.</summary>
    private const long MaxProtobufBytes = int.MaxValue - (64L << 20);

    /// <summary>The graph's input names for <paramref name="config"/>, in order.</summary>
    public static IReadOnlyList<string> InputNames(TransformerConfig config) =>
        config.TypeVocabSize > 0 ? ["input_ids", "attention_mask", "token_type_ids"] : ["input_ids", "attention_mask"];

    /// <summary>The whole classifier — encoder, pooling and head — as one graph named <paramref name="name"/>.</summary>
    /// <param name="head">The feature_extract MLP head; null in fine_tune mode.</param>
    /// <exception cref="SentioException">An encoder family or config branch the exporter does not write (message names it).</exception>
    public static ModelProto Build(ITransformerClassifier model, FeatureHead? head, TransformerPooling pooling, string name)
    {
        var config = model.Config;
        if (head != null && pooling == TransformerPooling.Pooler && config.ModelType != "bert")
            throw new SentioException($"ONNX export: pooling pooler in feature_extract mode needs BERT's pooler; {config.ModelType} has none");
        var weights = new Dictionary<string, Tensor>(model.Module.state_dict(), StringComparer.Ordinal);
        if (head != null)
            foreach (var (key, value) in head.state_dict()) weights[FeatureHeadPrefix + key] = value;
        long bytes = weights.Values.Sum(t => t.numel()) * sizeof(float);
        if (bytes >= MaxProtobufBytes)
            throw new SentioException($"ONNX export: the {bytes / 1e9:F1} GB of float32 weights exceed protobuf's 2 GB message limit; weights as external data are not supported");
        var g = new OnnxGraphBuilder(name, weights);
        var inputs = InputNames(config).Select(n => g.Input(n, DataType.Int64, "batch", "sequence")).ToArray();
        var e = new Emitter(g, config);
        string ids = inputs[0], mask = inputs[1];
        string? types = inputs.Length > 2 ? inputs[2] : null;
        string hidden = config.ModelType switch
        {
            "bert" => e.BertEncoder("bert", ids, mask, types!, positionsAfterPadding: false),
            "roberta" => e.BertEncoder("roberta", ids, mask, types!, positionsAfterPadding: true),
            "distilbert" => e.DistilBertEncoder(ids, mask),
            "deberta-v2" => e.DebertaV2Encoder(ids, mask, types),
            _ => throw new SentioException($"ONNX export: model_type '{config.ModelType}' is not supported"),
        };

        g.Scope = "head";
        string logits;
        if (head != null)
        {
            string features = pooling == TransformerPooling.Pooler ? e.BertPooler(hidden) : e.Pool(hidden, mask, pooling);
            logits = e.Linear(e.Activate("gelu", e.Linear(features, FeatureHeadPrefix + "dense")), FeatureHeadPrefix + "out_proj");
        }
        else if (pooling == TransformerPooling.Pooler) logits = e.SequenceClassificationHead(hidden);
        else logits = e.Linear(e.Pool(hidden, mask, pooling), config.Family.ClassifierLayer);
        string probabilities = g.Add("Sigmoid", [logits]);
        g.Output(logits, OutputNames[0], DataType.Float, "batch", config.Labels.Count);
        g.Output(probabilities, OutputNames[1], DataType.Float, "batch", config.Labels.Count);
        return g.Build(typeof(TransformerOnnx).Assembly.GetName().Version?.ToString() ?? "");
    }

    /// <summary>The feature_extract head's weights in the graph: <c>head.dense.*</c>, <c>head.out_proj.*</c>, as in head.safetensors
    /// under the prefix.</summary>
    public const string FeatureHeadPrefix = "head.";

    /// <summary>The node patterns the encoders share, each mirroring one TorchSharp expression.</summary>
    private sealed class Emitter(OnnxGraphBuilder g, TransformerConfig config)
    {
        /// <summary>nn.Linear: x [..., in] · Wᵀ + b → [..., out], W stored [out, in] as in the state dict.</summary>
        public string Linear(string x, string prefix)
        {
            string transposed = g.Add("Transpose", [g.Weight(prefix + ".weight")], ("perm", new long[] { 1, 0 }));
            return g.Add("Add", [g.Add("MatMul", [x, transposed]), g.Weight(prefix + ".bias")]);
        }

        public string LayerNorm(string x, string prefix, double eps) =>
            g.Add("LayerNormalization", [x, g.Weight(prefix + ".weight"), g.Weight(prefix + ".bias")], ("axis", -1L), ("epsilon", (float)eps));

        /// <summary>TransformerParts.Activate: gelu is the exact erf form, gelu_new / gelu_pytorch_tanh the tanh approximation.</summary>
        public string Activate(string name, string x)
        {
            switch (name)
            {
                case "gelu":
                    string erf = g.Add("Erf", [g.Add("Div", [x, g.Scalar(MathF.Sqrt(2f))])]);
                    return g.Add("Mul", [g.Add("Mul", [x, g.Add("Add", [erf, g.Scalar(1f)])]), g.Scalar(0.5f)]);
                case "gelu_new" or "gelu_pytorch_tanh":
                    string cubic = g.Add("Mul", [g.Scalar(0.044715f), g.Add("Pow", [x, g.Scalar(3f)])]);
                    string inner = g.Add("Mul", [g.Scalar((float)Math.Sqrt(2.0 / Math.PI)), g.Add("Add", [x, cubic])]);
                    string half = g.Add("Mul", [g.Scalar(0.5f), x]);
                    return g.Add("Mul", [half, g.Add("Add", [g.Scalar(1f), g.Add("Tanh", [inner])])]);
                case "relu":
                    return g.Add("Relu", [x]);
                case "tanh": // DeBERTa's conv_act and pooler_hidden_act only (DebertaV2Encoder.Activate)
                    return g.Add("Tanh", [x]);
                default:
                    throw new SentioException($"ONNX export: activation '{name}' is not supported");
            }
        }

        /// <summary>hidden[:, 0]: [batch, seq, hidden] → [batch, hidden].</summary>
        public string FirstToken(string hidden) => g.Add("Gather", [hidden, g.Int(0)], ("axis", 1L));

        /// <summary>cls: the first token; mean: the average over real tokens (count clamped to ≥ 1), as TransformerClassifier.Pool.</summary>
        public string Pool(string hidden, string mask, TransformerPooling pooling)
        {
            if (pooling == TransformerPooling.Cls) return FirstToken(hidden);
            string weights = g.Add("Unsqueeze", [g.Add("Cast", [mask], ("to", (long)DataType.Float)), g.Ints(-1)]);
            string sum = g.Add("ReduceSum", [g.Add("Mul", [hidden, weights]), g.Ints(1)], ("keepdims", 0L));
            string count = g.Add("Max", [g.Add("ReduceSum", [weights, g.Ints(1)], ("keepdims", 0L)), g.Scalar(1f)]);
            return g.Add("Div", [sum, count]);
        }

        /// <summary>The family's own sequence-classification head on the last hidden states (pooling pooler in fine_tune mode).</summary>
        public string SequenceClassificationHead(string hidden) => config.ModelType switch
        {
            "bert" => Linear(BertPooler(hidden), "classifier"),
            "distilbert" => Linear(g.Add("Relu", [Linear(FirstToken(hidden), "pre_classifier")]), "classifier"),
            "roberta" => Linear(g.Add("Tanh", [Linear(FirstToken(hidden), "classifier.dense")]), "classifier.out_proj"),
            "deberta-v2" => Linear(Activate(config.PoolerHiddenAct, Linear(FirstToken(hidden), "pooler.dense")), "classifier"),
            _ => throw new SentioException($"ONNX export: model_type '{config.ModelType}' has no head the exporter writes"),
        };

        /// <summary>BertPooler: tanh(dense(hidden[:, 0])).</summary>
        public string BertPooler(string hidden) => g.Add("Tanh", [Linear(FirstToken(hidden), "bert.pooler.dense")]);

        /// <summary>[batch, seq, hidden] → [batch, heads, seq, head size] (<paramref name="keyTransposed"/>: [batch, heads, head size, seq]).</summary>
        private string Heads(string x, bool keyTransposed = false)
        {
            string split = g.Add("Reshape", [x, g.Ints(0, 0, config.NumAttentionHeads, config.HeadSize)]);
            return g.Add("Transpose", [split], ("perm", keyTransposed ? new long[] { 0, 2, 3, 1 } : new long[] { 0, 2, 1, 3 }));
        }

        /// <summary>[batch, heads, seq, head size] → [batch, seq, hidden].</summary>
        private string MergeHeads(string context) =>
            g.Add("Reshape", [g.Add("Transpose", [context], ("perm", new long[] { 0, 2, 1, 3 })), g.Ints(0, 0, config.HiddenSize)]);

        /// <summary>Positions 0..seq-1 as a [seq] int64 tensor, seq read from the ids' shape at run time.</summary>
        private string PositionRange(string ids)
        {
            string length = g.Add("Gather", [g.Add("Shape", [ids]), g.Int(1)], ("axis", 0L));
            return g.Add("Range", [g.Int(0), length, g.Int(1)]);
        }

        /// <summary>BertModel / RobertaModel (whose layers are BERT's): embeddings, then the blocks with the additive mask
        /// of get_extended_attention_mask ((1 − mask) × float.MinValue on padded keys).</summary>
        public string BertEncoder(string prefix, string ids, string mask, string types, bool positionsAfterPadding)
        {
            g.Scope = prefix + ".embeddings";
            string embeddings = prefix + ".embeddings";
            string words = g.Add("Gather", [g.Weight(embeddings + ".word_embeddings.weight"), ids]);
            string tokenTypes = g.Add("Gather", [g.Weight(embeddings + ".token_type_embeddings.weight"), types]);
            string positionIds = positionsAfterPadding ? RobertaPositionIds(ids) : PositionRange(ids);
            string positions = g.Add("Gather", [g.Weight(embeddings + ".position_embeddings.weight"), positionIds]);
            string hidden = LayerNorm(g.Add("Add", [g.Add("Add", [words, tokenTypes]), positions]), embeddings + ".LayerNorm", config.LayerNormEps);

            g.Scope = prefix + ".encoder";
            string floatMask = g.Add("Cast", [mask], ("to", (long)DataType.Float));
            string additive = g.Add("Mul", [g.Add("Sub", [g.Scalar(1f), floatMask]), g.Scalar(float.MinValue)]);
            additive = g.Add("Unsqueeze", [additive, g.Ints(1, 2)]);
            for (int i = 0; i < config.NumHiddenLayers; i++)
            {
                string layer = $"{prefix}.encoder.layer.{i}";
                g.Scope = layer;
                string q = Heads(Linear(hidden, layer + ".attention.self.query"));
                string k = Heads(Linear(hidden, layer + ".attention.self.key"), keyTransposed: true);
                string v = Heads(Linear(hidden, layer + ".attention.self.value"));
                string scores = g.Add("Add", [g.Add("Div", [g.Add("MatMul", [q, k]), g.Scalar((float)Math.Sqrt(config.HeadSize))]), additive]);
                string context = MergeHeads(g.Add("MatMul", [g.Add("Softmax", [scores], ("axis", -1L)), v]));
                string attended = LayerNorm(g.Add("Add", [Linear(context, layer + ".attention.output.dense"), hidden]), layer + ".attention.output.LayerNorm", config.LayerNormEps);
                string intermediate = Activate(config.HiddenAct, Linear(attended, layer + ".intermediate.dense"));
                hidden = LayerNorm(g.Add("Add", [Linear(intermediate, layer + ".output.dense"), attended]), layer + ".output.LayerNorm", config.LayerNormEps);
            }
            return hidden;
        }

        /// <summary>create_position_ids_from_input_ids: cumsum(ids ≠ pad) × (ids ≠ pad) + pad.</summary>
        private string RobertaPositionIds(string ids)
        {
            string notPadding = g.Add("Cast", [g.Add("Not", [g.Add("Equal", [ids, g.Int(config.PadTokenId)])])], ("to", (long)DataType.Int64));
            string counted = g.Add("CumSum", [notPadding, g.Int(1)]);
            return g.Add("Add", [g.Add("Mul", [counted, notPadding]), g.Int(config.PadTokenId)]);
        }

        /// <summary>DistilBertModel: word + position embeddings, LayerNorm (eps 1e-12), blocks whose attention divides the
        /// query by √head size first and masked_fills padded keys with float.MinValue.</summary>
        public string DistilBertEncoder(string ids, string mask)
        {
            const double eps = 1e-12;
            g.Scope = "distilbert.embeddings";
            string words = g.Add("Gather", [g.Weight("distilbert.embeddings.word_embeddings.weight"), ids]);
            string positions = g.Add("Gather", [g.Weight("distilbert.embeddings.position_embeddings.weight"), PositionRange(ids)]);
            string hidden = LayerNorm(g.Add("Add", [words, positions]), "distilbert.embeddings.LayerNorm", eps);

            g.Scope = "distilbert.transformer";
            string padded = g.Add("Unsqueeze", [g.Add("Equal", [mask, g.Int(0)]), g.Ints(1, 2)]);
            for (int i = 0; i < config.NumHiddenLayers; i++)
            {
                string layer = $"distilbert.transformer.layer.{i}";
                g.Scope = layer;
                string q = g.Add("Div", [Heads(Linear(hidden, layer + ".attention.q_lin")), g.Scalar((float)Math.Sqrt(config.HeadSize))]);
                string k = Heads(Linear(hidden, layer + ".attention.k_lin"), keyTransposed: true);
                string v = Heads(Linear(hidden, layer + ".attention.v_lin"));
                string scores = g.Add("Where", [padded, g.Scalar(float.MinValue), g.Add("MatMul", [q, k])]);
                string context = MergeHeads(g.Add("MatMul", [g.Add("Softmax", [scores], ("axis", -1L)), v]));
                string attended = LayerNorm(g.Add("Add", [Linear(context, layer + ".attention.out_lin"), hidden]), layer + ".sa_layer_norm", eps);
                string ffn = Linear(Activate(config.HiddenAct, Linear(attended, layer + ".ffn.lin1")), layer + ".ffn.lin2");
                hidden = LayerNorm(g.Add("Add", [ffn, attended]), layer + ".output_layer_norm", eps);
            }
            return hidden;
        }

        /// <summary>DebertaV2Model: embeddings (× mask), then the blocks with disentangled attention — content scores plus
        /// the c2p / p2c terms gathered at the relative positions (log-bucketed when <c>position_buckets</c> &gt; 0), computed
        /// in the graph for the run-time sequence length — and the ConvLayer after the first block when <c>conv_kernel_size</c> &gt; 0.</summary>
        public string DebertaV2Encoder(string ids, string mask, string? types)
        {
            g.Scope = "deberta.embeddings";
            string embeddings = g.Add("Gather", [g.Weight("deberta.embeddings.word_embeddings.weight"), ids]);
            if (config.PositionBiasedInput)
                embeddings = g.Add("Add", [embeddings, g.Add("Gather", [g.Weight("deberta.embeddings.position_embeddings.weight"), PositionRange(ids)])]);
            if (types != null)
                embeddings = g.Add("Add", [embeddings, g.Add("Gather", [g.Weight("deberta.embeddings.token_type_embeddings.weight"), types])]);
            string keep = g.Add("Unsqueeze", [g.Add("Cast", [mask], ("to", (long)DataType.Float)), g.Ints(-1)]);
            embeddings = g.Add("Mul", [LayerNorm(embeddings, "deberta.embeddings.LayerNorm", config.LayerNormEps), keep]);

            g.Scope = "deberta.encoder";
            // get_attention_mask: token i attends to token j when both are real; XSoftmax fills the rest.
            string pair = g.Add("Mul", [g.Add("Unsqueeze", [mask, g.Ints(1, 2)]), g.Add("Unsqueeze", [mask, g.Ints(1, 3)])]);
            string masked = g.Add("Not", [g.Add("Cast", [pair], ("to", (long)DataType.Bool))]);
            string? relative = null, relativeEmbeddings = null;
            if (config.RelativeAttention)
            {
                relative = RelativePositions(ids);
                relativeEmbeddings = g.Weight("deberta.encoder.rel_embeddings.weight");
                if (Models.DebertaV2Encoder.NormalisesRelativeEmbeddings(config))
                    relativeEmbeddings = LayerNorm(relativeEmbeddings, "deberta.encoder.LayerNorm", config.LayerNormEps);
            }
            string hidden = embeddings;
            for (int i = 0; i < config.NumHiddenLayers; i++)
            {
                string layer = $"deberta.encoder.layer.{i}";
                g.Scope = layer;
                string context = DisentangledAttention(hidden, masked, relative, relativeEmbeddings, layer + ".attention.self");
                string attended = LayerNorm(g.Add("Add", [Linear(context, layer + ".attention.output.dense"), hidden]), layer + ".attention.output.LayerNorm", config.LayerNormEps);
                string intermediate = Activate(config.HiddenAct, Linear(attended, layer + ".intermediate.dense"));
                hidden = LayerNorm(g.Add("Add", [Linear(intermediate, layer + ".output.dense"), attended]), layer + ".output.LayerNorm", config.LayerNormEps);
                if (i == 0 && config.ConvKernelSize > 0) hidden = ConvLayer(embeddings, hidden, keep);
            }
            return hidden;
        }

        /// <summary>DisentangledSelfAttention on [batch, heads, seq, head size] (Sentio's [batch × heads, …] bmm, unflattened).</summary>
        private string DisentangledAttention(string hidden, string masked, string? relative, string? relativeEmbeddings, string prefix)
        {
            var terms = config.PosAttType;
            bool c2p = terms.Contains("c2p"), p2c = terms.Contains("p2c");
            float scale = (float)Math.Sqrt((float)(config.HeadSize * (1 + (c2p ? 1 : 0) + (p2c ? 1 : 0))));
            string query = Heads(Linear(hidden, prefix + ".query_proj"));
            string key = Heads(Linear(hidden, prefix + ".key_proj"));
            string value = Heads(Linear(hidden, prefix + ".value_proj"));
            string content = g.Add("MatMul", [query, g.Add("Transpose", [key], ("perm", new long[] { 0, 1, 3, 2 }))]);
            string scores = g.Add("Div", [content, g.Scalar(scale)]);
            if (relative != null && relativeEmbeddings != null)
            {
                int span = Models.DebertaV2Encoder.PositionSpan(config);
                string shape = g.Add("Shape", [content]);
                // [2 × span, hidden] → [heads, 2 × span, head size], broadcast over the batch in MatMul.
                string PositionHeads(string projection)
                {
                    string projected = g.Add("Reshape", [Linear(relativeEmbeddings, projection), g.Ints(0, config.NumAttentionHeads, config.HeadSize)]);
                    return g.Add("Transpose", [projected], ("perm", new long[] { 1, 2, 0 }));
                }
                string Index(string positions) =>
                    g.Add("Expand", [g.Add("Unsqueeze", [g.Add("Clip", [positions, g.Int(0), g.Int(2 * span - 1)]), g.Ints(0, 1)]), shape]);
                string? bias = null;
                if (c2p)
                {
                    string positionKey = PositionHeads(config.ShareAttKey ? prefix + ".key_proj" : prefix + ".pos_key_proj");
                    string gathered = g.Add("GatherElements", [g.Add("MatMul", [query, positionKey]), Index(g.Add("Add", [relative, g.Int(span)]))], ("axis", -1L));
                    bias = g.Add("Div", [gathered, g.Scalar(scale)]);
                }
                if (p2c)
                {
                    string positionQuery = PositionHeads(config.ShareAttKey ? prefix + ".query_proj" : prefix + ".pos_query_proj");
                    string gathered = g.Add("GatherElements", [g.Add("MatMul", [key, positionQuery]), Index(g.Add("Sub", [g.Int(span), relative]))], ("axis", -1L));
                    string term = g.Add("Div", [g.Add("Transpose", [gathered], ("perm", new long[] { 0, 1, 3, 2 })), g.Scalar(scale)]);
                    bias = bias == null ? term : g.Add("Add", [bias, term]);
                }
                if (bias != null) scores = g.Add("Add", [scores, bias]);
            }
            // XSoftmax: masked scores take float.MinValue before the softmax and become 0 after it.
            string probabilities = g.Add("Softmax", [g.Add("Where", [masked, g.Scalar(float.MinValue), scores])], ("axis", -1L));
            probabilities = g.Add("Where", [masked, g.Scalar(0f), probabilities]);
            return MergeHeads(g.Add("MatMul", [probabilities, value]));
        }

        /// <summary>build_relative_position: query index − key index [seq, seq] (int64), log-bucketed as
        /// make_log_bucket_position does it in float32 when position_buckets and the maximum relative position are both &gt; 0.</summary>
        private string RelativePositions(string ids)
        {
            string range = PositionRange(ids);
            string relative = g.Add("Sub", [g.Add("Unsqueeze", [range, g.Ints(1)]), g.Add("Unsqueeze", [range, g.Ints(0)])]);
            int buckets = config.PositionBuckets, maxPosition = Models.DebertaV2Encoder.MaxRelativePositions(config);
            if (buckets <= 0 || maxPosition <= 0) return relative;
            int mid = buckets / 2;
            string near = g.Add("And", [g.Add("Less", [relative, g.Int(mid)]), g.Add("Greater", [relative, g.Int(-mid)])]);
            string absolute = g.Add("Where", [near, g.Int(mid - 1), g.Add("Abs", [relative])]);
            string logDenominator = g.Add("Log", [g.Scalar((float)((maxPosition - 1) / (double)mid))]);
            string ratio = g.Add("Div", [g.Add("Cast", [absolute], ("to", (long)DataType.Float)), g.Scalar(mid)]);
            string scaled = g.Add("Mul", [g.Add("Div", [g.Add("Log", [ratio]), logDenominator]), g.Scalar(mid - 1)]);
            string logPosition = g.Add("Add", [g.Add("Ceil", [scaled]), g.Scalar(mid)]);
            string sign = g.Add("Cast", [g.Add("Sign", [relative])], ("to", (long)DataType.Float));
            string bucketed = g.Add("Where", [g.Add("LessOrEqual", [absolute, g.Int(mid)]),
                g.Add("Cast", [relative], ("to", (long)DataType.Float)), g.Add("Mul", [logPosition, sign])]);
            return g.Add("Cast", [bucketed], ("to", (long)DataType.Int64));
        }

        /// <summary>ConvLayer: conv1d over the embeddings, × mask, activation, LayerNorm(block output + conv) × mask.</summary>
        private string ConvLayer(string embeddings, string residual, string keep)
        {
            const string prefix = "deberta.encoder.conv";
            g.Scope = prefix;
            int kernel = config.ConvKernelSize, padding = (kernel - 1) / 2;
            string channelsFirst = g.Add("Transpose", [embeddings], ("perm", new long[] { 0, 2, 1 }));
            string convolved = g.Add("Conv", [channelsFirst, g.Weight(prefix + ".conv.weight"), g.Weight(prefix + ".conv.bias")],
                ("group", (long)config.ConvGroups), ("kernel_shape", new long[] { kernel }), ("pads", new long[] { padding, padding }));
            string output = g.Add("Mul", [g.Add("Transpose", [convolved], ("perm", new long[] { 0, 2, 1 })), keep]);
            output = Activate(config.ConvAct, output);
            return g.Add("Mul", [LayerNorm(g.Add("Add", [residual, output]), prefix + ".LayerNorm", config.LayerNormEps), keep]);
        }
    }
}
