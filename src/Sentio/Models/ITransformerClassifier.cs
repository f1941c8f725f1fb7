using Sentio.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Sentio.Models;

/// <summary>A Hugging Face style encoder with a sequence classification head (BERT, DistilBERT, RoBERTa), whose
/// <c>state_dict()</c> keys are exactly Hugging Face's, so checkpoints move both ways unchanged.</summary>
public interface ITransformerClassifier : IDisposable
{
    /// <summary>The configuration the model was built from.</summary>
    TransformerConfig Config { get; }

    /// <remarks>Key prefixes, the classifier layer and the other per-family facts are <c>Config.Family</c>'s
    /// (<see cref="EncoderFamily"/>).</remarks>
    /// <summary>The model as a TorchSharp module (parameters, train/eval, state_dict).</summary>
    nn.Module Module { get; }

    /// <summary>Classification logits: input ids [batch, seq] (int64), attention mask [batch, seq] (1 = token, 0 = padding),
    /// token type ids [batch, seq] or null for all zeros → [batch, labels].</summary>
    Tensor Logits(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null);

    /// <summary>The encoder's last hidden states: [batch, seq] ids and mask (and token types or null) → [batch, seq, hidden].</summary>
    Tensor LastHiddenState(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null);
}

/// <summary>Pieces the three encoder files share because Hugging Face shares them too (modeling_utils, activations).</summary>
internal static class TransformerParts
{
    /// <summary>Hugging Face's ACT2FN for the names Sentio supports: <c>gelu</c> is the exact erf form; <c>gelu_new</c> and
    /// <c>gelu_pytorch_tanh</c> are the tanh approximation.</summary>
    public static Tensor Activate(string name, Tensor x) => name switch
    {
        "gelu" => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" => 0.5 * x * (1.0 + tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x.pow(3.0)))),
        "relu" => nn.functional.relu(x),
        _ => throw new SentioException($"hidden_act '{name}' is not supported"),
    };

    /// <summary>get_extended_attention_mask: [batch, seq] 1/0 → [batch, 1, 1, seq], 0 where attended and the dtype's
    /// lowest value where masked, added to the attention scores.</summary>
    public static Tensor AdditiveMask(Tensor attentionMask)
    {
        using var extended = attentionMask.unsqueeze(1).unsqueeze(2).to_type(ScalarType.Float32);
        return (1.0f - extended) * float.MinValue;
    }

    /// <summary>torch.finfo(dtype).min, what Hugging Face fills masked attention scores with: float32's lowest overflows
    /// bfloat16 and float16, whose scores autocast produces (training.precision bf16 / fp16).</summary>
    public static double Lowest(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => -3.3895313892515355e38,
        ScalarType.Float16 => -65504.0,
        _ => float.MinValue,
    };

    /// <summary>_init_weights: Linear and Embedding weights ~ N(0, initializer_range), biases 0, LayerNorm 1 / 0.
    /// Padding rows of embeddings are zeroed by the embedding modules themselves.</summary>
    public static void Initialize(nn.Module module, double std)
    {
        using var _ = no_grad();
        foreach (var child in module.modules())
        {
            switch (child)
            {
                case TorchSharp.Modules.Linear linear:
                    nn.init.normal_(linear.weight, 0.0, std);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case TorchSharp.Modules.Embedding embedding:
                    nn.init.normal_(embedding.weight, 0.0, std);
                    break;
                case TorchSharp.Modules.LayerNorm norm:
                    nn.init.ones_(norm.weight);
                    nn.init.zeros_(norm.bias);
                    break;
            }
        }
    }

    /// <summary>Zeroes an embedding's padding row, as nn.Embedding(padding_idx=...) and _init_weights do.</summary>
    public static void ZeroRow(TorchSharp.Modules.Embedding embedding, long row)
    {
        using var _ = no_grad();
        embedding.weight![row].zero_();
    }

    /// <summary>Token type ids when the caller gave none: zeros shaped like the input ids.</summary>
    public static Tensor TokenTypesOrZeros(Tensor inputIds, Tensor? tokenTypeIds) => tokenTypeIds ?? zeros_like(inputIds);
}
