using Vitmix.Engine;
using Vitmix.Layers;
using Vitmix.Relevance;
using Vitmix.Relevance.Composites;

namespace Vitmix.Model.Relevance;

/// <summary>
/// Layer-wise relevance propagation over a recorded forward pass: from the relevance of the logits (usually one-hot of
/// the target) back through the model's layers, each applying the rules its <see cref="LrpComposite"/> picks. With the
/// default composite this is the relevance pass of Chefer, Gur &amp; Wolf (2021).
/// </summary>
public sealed class RelevancePass : LayerPass
{
    readonly RelevanceContext _context;

    /// <param name="model">The network the trace was recorded on.</param>
    /// <param name="trace">A recorded forward pass.</param>
    /// <param name="composite">The rules; default Chefer et al.'s transformer attribution.</param>
    /// <param name="keepAttentionRelevance">Keep every block's attention relevance (<see cref="AttentionRelevance"/>).</param>
    public RelevancePass(VisionTransformer model, ForwardTrace trace, LrpComposite? composite = null, bool keepAttentionRelevance = true)
        : this(model, trace, new RelevanceContext(trace.Context, composite ?? TransformerAttributionComposite.Instance))
    {
        if (keepAttentionRelevance) Outputs.Request(PassRequirements.AttentionRelevance);
    }

    RelevancePass(VisionTransformer model, ForwardTrace trace, RelevanceContext context) : base(model, trace, context) => _context = context;

    /// <summary>The rules in use.</summary>
    public LrpComposite Composite => _context.Composite;

    /// <summary>Relevance of every block's attention probabilities (B, H, N, N), filled as the pass goes.</summary>
    public float[]?[] AttentionRelevance => Outputs.AttentionRelevance.Select(t => t?.Data).ToArray();

    private protected override Tensor Through(Layer layer, Tensor output) => layer.Relevance(output, _context);
}
