using Vitmix.Relevance;
using Vitmix.Relevance.Composites;

namespace Vitmix.Explain;

/// <summary>
/// AttnLRP (Achtibat et al., ICML 2024): LRP with the softmax's Taylor rule, the uniform rule on q·kᵀ and A·v, the
/// identity rule on GELU and on LayerNorm's division, the ε-rule elsewhere (<see cref="AttnLrpComposite"/>).
/// </summary>
[Explainer("attnlrp", Aliases = ["attn-lrp"], Summary = "AttnLRP, LRP with softmax and bilinear rules onto the pixels (Achtibat et al. 2024)",
    Outputs = ExplainerOutputs.Grid | ExplainerOutputs.Pixels, InAll = true, Order = 52)]
public sealed class AttnLrp : CompositeLrpExplainer
{
    readonly float epsilon = 1e-6f;
    AttnLrpComposite? composite;

    /// <inheritdoc/>
    public override string Name => "attnlrp";

    /// <summary>The stabiliser ε of the ε-rules.</summary>
    [ExplainerOption("attnlrp-epsilon", Description = "AttnLRP: the stabiliser ε of its epsilon rules (LXT's 1e-6)", Minimum = 0, ValueName = "EPSILON")]
    public float Epsilon
    {
        get => epsilon;
        init => epsilon = value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(Epsilon), "epsilon must be finite and ≥ 0");
    }

    /// <inheritdoc/>
    protected override LrpComposite Composite => composite ??= new AttnLrpComposite(Epsilon);
}
