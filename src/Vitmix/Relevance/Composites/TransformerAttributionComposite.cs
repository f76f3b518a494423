using Vitmix.Relevance.Rules;

namespace Vitmix.Relevance.Composites;

/// <summary>
/// The rules of Chefer, Gur &amp; Wolf (CVPR 2021, "Transformer Interpretability Beyond Attention Visualization"), as
/// their reference code (Transformer-Explainability, baselines/ViT/layers_ours.py) applies them: alpha 1 / beta 0 on
/// every linear layer, LayerNorm, GELU, softmax and LayerScale passing relevance, the normalised rule on residual
/// additions and on tokens + position embeddings, gradient × input halved on attention's two products, LRP-0 through
/// the readout, and z^B onto the pixels.
/// </summary>
public sealed class TransformerAttributionComposite : LrpComposite
{
    /// <summary>The composite (rules hold no state, so one instance serves every pass).</summary>
    public static TransformerAttributionComposite Instance { get; } = new();

    static readonly AlphaBetaRule alphaBeta = new(1f, 0f);
    static readonly IdentityRule identity = new();
    static readonly NormalizedResidualRule residual = new();
    static readonly SharedProductRule product = SharedProductRule.Halved;

    /// <inheritdoc/>
    public override string Name => "transformer-attribution";

    /// <inheritdoc/>
    public override ILinearRule Linear(LinearRole role) => alphaBeta;

    /// <inheritdoc/>
    public override IInputRule Input { get; } = new ZBoxRule();

    /// <inheritdoc/>
    public override IAdditionRule PositionEmbedding => residual;

    /// <inheritdoc/>
    public override IAdditionRule Residual => residual;

    /// <inheritdoc/>
    public override ICloneRule Clone { get; } = new StabilizedCloneRule();

    /// <inheritdoc/>
    public override INormalizationRule LayerNorm => identity;

    /// <inheritdoc/>
    public override IElementwiseRule Activation => identity;

    /// <inheritdoc/>
    public override IElementwiseRule LayerScale => identity;

    /// <inheritdoc/>
    public override IElementwiseRule Softmax => identity;

    /// <inheritdoc/>
    public override IProductRule AttentionValues => product;

    /// <inheritdoc/>
    public override IProductRule AttentionScores => product;

    /// <inheritdoc/>
    public override IPoolingRule Pooling { get; } = new RatioPoolingRule();
}
