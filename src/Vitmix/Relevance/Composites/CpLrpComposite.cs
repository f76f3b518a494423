using Vitmix.Relevance.Rules;

namespace Vitmix.Relevance.Composites;

/// <summary>
/// CP-LRP (Ali et al., ICML 2022, "XAI for Transformers: Better Explanations through Conservative Propagation"; LXT's
/// efficient patches cp_multi_head_attention_forward and layer_norm_forward): the attention probabilities are held
/// constant, so A·v is a linear map of v that takes all of its relevance and nothing reaches the softmax, q or k;
/// LayerNorm's standard deviation is held constant; everything else as in <see cref="EpsilonLrpComposite"/>.
/// For ε → 0 this is gradient × input of the network with the probabilities and LayerNorm's σ detached.
/// </summary>
public sealed class CpLrpComposite(float epsilon = 1e-6f) : EpsilonLrpComposite(epsilon)
{
    /// <summary>The composite with ε = 1e-6.</summary>
    public static CpLrpComposite Instance { get; } = new();

    /// <inheritdoc/>
    public override string Name => "cplrp";

    /// <summary>The probabilities take no relevance (A·v gives it all to v), so there is none to pass on, and the identity costs nothing.</summary>
    public override IElementwiseRule Softmax => Identity;

    /// <inheritdoc/>
    public override IProductRule AttentionValues => SharedProductRule.SecondFactorOnly;

    /// <inheritdoc/>
    public override IProductRule AttentionScores => SharedProductRule.Detached;
}
