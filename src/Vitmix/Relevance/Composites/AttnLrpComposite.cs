using Vitmix.Relevance.Rules;

namespace Vitmix.Relevance.Composites;

/// <summary>
/// AttnLRP (Achtibat et al., ICML 2024, "AttnLRP: Attention-Aware Layer-Wise Relevance Propagation for Transformers";
/// reference code rachtibat/LRP-eXplains-Transformers, lxt/explicit/functional.py and lxt/efficient/patches.py): the
/// ε-rule on every linear layer, the patch embedding, the residual additions and tokens + position embeddings; the
/// softmax's Taylor rule R_x = x ⊙ (R − s·ΣR); the uniform rule (half to each factor) on q·kᵀ and A·v; the identity
/// rule on GELU (and SiLU, whose gated product with SwiGLU's value takes the uniform rule too) and on LayerNorm's division by its standard deviation (held constant, the centring and affine part
/// by the ε-rule); relevance summed where an activation feeds two paths; LRP-0 through the readout. For ε → 0 this is
/// gradient × input of the network with those changes to its backward, which is how LXT's efficient variant runs it.
/// </summary>
public sealed class AttnLrpComposite(float epsilon = 1e-6f) : EpsilonLrpComposite(epsilon)
{
    /// <summary>The composite with ε = 1e-6 (LXT's default for linear layers).</summary>
    public static AttnLrpComposite Instance { get; } = new();

    /// <inheritdoc/>
    public override string Name => "attnlrp";

    /// <inheritdoc/>
    public override IElementwiseRule Softmax { get; } = new SoftmaxTaylorRule();

    /// <inheritdoc/>
    public override IProductRule AttentionValues => SharedProductRule.Halved;

    /// <inheritdoc/>
    public override IProductRule AttentionScores => SharedProductRule.Halved;

    /// <summary>SwiGLU: the uniform rule on silu(g) ⊙ v and the identity rule on the SiLU (LXT's gated_mlp_forward).</summary>
    public override IGateRule GatedProduct => GateRule.Uniform;
}
