using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Sentio.Models;

/// <summary>Sentio's transformer classifiers as ONNX graphs, written node by node after the TorchSharp forward passes in
/// Bert.cs, DistilBert.cs and Roberta.cs (eval mode: dropout is the identity). Inputs are int64 <c>input_ids</c>,
/// <c>attention_mask</c> and, for encoders with token types (<c>type_vocab_size</c> &gt; 0), <c>token_type_ids</c>, each
/// [batch, sequence]; outputs are float32 <c>logits</c> and <c>probabilities</c> (their sigmoid), each [batch, labels].
/// Weights are initializers under their state-dict names, in the state dict's [out, in] layout (a Transpose node feeds
/// MatMul; runtimes fold it once at load).</summary>
internal static class TransformerOnnx
{
    public static readonly string[] OutputNames = ["logits", "probabilities"];

    /// <summary>The graph's input names for <paramref name="config"/>, in order.</summary>
    public static IReadOnlyList<string> InputNames(TransformerConfig config) =>
        config.TypeVocabSize > 0 ? ["input_ids", "attention_mask", "token_type_ids"] : ["input_ids", "attention_mask"];

    /// <summary>The whole classifier — encoder, pooling and head — as one graph named <paramref name="name"/>.</summary>
    /// <param name="head">The feature_extract MLP head; null in fine_tune mode.</param>
    /// <exception cref="SentioException">An encoder family or config branch the exporter does not write (message names it).</exception>
    public static ModelProto Build(ITransformerClassifier model, FeatureHead? head, TransformerPooling pooling, string name)
    {
        var config = model.Config;
        RequireSupported(config);
        var weights = new Dictionary<string, Tensor>(model.Module.state_dict(), StringComparer.Ordinal);
        if (head != null)
            foreach (var (key, value) in head.state_dict()) weights[FeatureHeadPrefix + key] = value;
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

    private static void RequireSupported(TransformerConfig config)
    {
        if (config.ModelType == "deberta-v2")
            throw new SentioException("ONNX export: deberta-v2 (disentangled relative-position attention) is not supported yet; export a bert, distilbert or roberta model");
    }

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
    }
}
