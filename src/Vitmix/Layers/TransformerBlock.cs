using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// A pre-norm transformer block (timm's Block): x + ls1·attn(norm1(x)), then + ls2·mlp(norm2(·)), as two residual
/// connections. The unit the explanation pass releases once its backward and relevance are done.
/// </summary>
public sealed class TransformerBlock : Layer
{
    /// <param name="name">State-dict prefix (<c>blocks.3</c>).</param>
    /// <param name="index">Position in the encoder.</param>
    /// <param name="attention">The attention layer of the first residual branch.</param>
    /// <param name="residuals">The residual connections, in order.</param>
    public TransformerBlock(string name, int index, Attention attention, IReadOnlyList<Residual> residuals) : base(name)
    {
        Index = index;
        Attention = attention;
        Residuals = residuals;
    }

    /// <summary>Position in the encoder.</summary>
    public int Index { get; }

    /// <summary>The block's attention layer.</summary>
    public Attention Attention { get; }

    /// <summary>The residual connections, in order.</summary>
    public IReadOnlyList<Residual> Residuals { get; }

    /// <inheritdoc/>
    public override string Kind => "transformer block";

    /// <inheritdoc/>
    public override IReadOnlyList<Layer> Children => Residuals;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context) => LayerSequence.Forward(Residuals, input, context);

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context) => LayerSequence.Backward(Residuals, outputGradient, context);

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context) => LayerSequence.Relevance(Residuals, outputRelevance, context);
}
