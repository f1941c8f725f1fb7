using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Models;

/// <summary>The feature_extract head: dropout → dense → GELU → dropout → out_proj, [batch, features] → [batch, labels].</summary>
public sealed class FeatureHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly Linear out_proj;
    private readonly Dropout dropout;

    public FeatureHead(int features, int hidden, int labels, double dropoutRate) : base(nameof(FeatureHead))
    {
        dense = nn.Linear(features, hidden);
        out_proj = nn.Linear(hidden, labels);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor features) =>
        out_proj.forward(dropout.forward(nn.functional.gelu(dense.forward(dropout.forward(features)))));
}
