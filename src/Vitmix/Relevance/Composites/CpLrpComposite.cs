using Vitmix.Relevance.Rules;

namespace Vitmix.Relevance.Composites;

/// <summary>
/// CP-LRP (Ali et al., ICML 2022, "XAI for Transformers: Better Explanations through Conservative Propagation"; LXT's
/// efficient patches cp_multi_head_attention_forward and layer_norm_forward): the attention probabilities are held
/// constant, so A·v is a linear map of v that takes all of its relevance and nothing reaches the softmax, q or k;
/// LayerNorm's standard deviation is held constant; everything else is the ε-rule as in <see cref="AttnLrpComposite"/>.
/// For ε → 0 this is gradient × input of the network with the probabilities and LayerNorm's σ detached.
/// </summary>
public sealed class CpLrpComposite : LrpComposite
{
    /// <summary>The composite with ε = 1e-6.</summary>
    public static CpLrpComposite Instance { get; } = new();

    static readonly IdentityRule identity = new();

    /// <param name="epsilon">The stabiliser ε of every ε-rule.</param>
    public CpLrpComposite(float epsilon = 1e-6f)
    {
        var linear = new EpsilonRule(epsilon);
        (Epsilon, linearRule, Input) = (epsilon, linear, linear);
        Residual = PositionEmbedding = new EpsilonAdditionRule(epsilon);
        LayerNorm = new ConstantDeviationLayerNormRule(epsilon);
    }

    readonly EpsilonRule linearRule;

    /// <summary>The stabiliser ε of every ε-rule.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    public override string Name => "cplrp";

    /// <inheritdoc/>
    public override ILinearRule Linear(LinearRole role) => linearRule;

    /// <inheritdoc/>
    public override IInputRule Input { get; }

    /// <inheritdoc/>
    public override IAdditionRule PositionEmbedding { get; }

    /// <inheritdoc/>
    public override IAdditionRule Residual { get; }

    /// <inheritdoc/>
    public override ICloneRule Clone { get; } = new SumCloneRule();

    /// <inheritdoc/>
    public override INormalizationRule LayerNorm { get; }

    /// <inheritdoc/>
    public override IElementwiseRule Activation => identity;

    /// <inheritdoc/>
    public override IElementwiseRule LayerScale => identity;

    /// <summary>The probabilities take no relevance (A·v gives it all to v), so there is none to pass on, and the identity costs nothing.</summary>
    public override IElementwiseRule Softmax => identity;

    /// <inheritdoc/>
    public override IProductRule AttentionValues => SharedProductRule.SecondFactorOnly;

    /// <inheritdoc/>
    public override IProductRule AttentionScores => SharedProductRule.Detached;

    /// <inheritdoc/>
    public override IPoolingRule Pooling { get; } = new RatioPoolingRule();
}
