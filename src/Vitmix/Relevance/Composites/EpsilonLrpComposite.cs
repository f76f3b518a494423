using Vitmix.Relevance.Rules;

namespace Vitmix.Relevance.Composites;

/// <summary>
/// What AttnLRP and CP-LRP share: the ε-rule on every linear layer, the patch embedding, the residual additions and
/// tokens + position embeddings; LayerNorm with its standard deviation held constant (the centring and affine part by
/// the ε-rule); the identity on GELU and LayerScale; relevance summed where an activation feeds two paths; LRP-0
/// through the readout. They differ only in the attention: the softmax and the two products.
/// </summary>
public abstract class EpsilonLrpComposite : LrpComposite
{
    /// <summary>The identity rule, for the element-wise maps the ε-composites pass relevance through unchanged.</summary>
    protected static readonly IdentityRule Identity = new();

    readonly EpsilonRule linearRule;

    /// <param name="epsilon">The stabiliser ε of every ε-rule.</param>
    protected EpsilonLrpComposite(float epsilon)
    {
        linearRule = new EpsilonRule(epsilon);
        (Epsilon, Input) = (epsilon, linearRule);
        Residual = PositionEmbedding = new EpsilonAdditionRule(epsilon);
        LayerNorm = new ConstantDeviationLayerNormRule(epsilon);
    }

    /// <summary>The stabiliser ε of every ε-rule.</summary>
    public float Epsilon { get; }

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
    public override IElementwiseRule Activation => Identity;

    /// <summary>LayerScale multiplies by a constant: the ε-rule of a one-input map passes relevance unchanged.</summary>
    public override IElementwiseRule LayerScale => Identity;

    /// <inheritdoc/>
    public override IPoolingRule Pooling { get; } = new RatioPoolingRule();
}
