using Vitmix.Engine;
using Vitmix.Layers;
using Vitmix.Relevance;
using Vitmix.Relevance.Composites;

namespace Vitmix.Model.Relevance;

/// <summary>
/// Layer-wise relevance propagation over a recorded forward pass: from the relevance of the logits (usually one-hot of
/// the target) back through the model's layers, each applying the rules its <see cref="LrpComposite"/> picks. With the
/// default composite this is the relevance pass of Chefer, Gur &amp; Wolf (2021). Stepped layer by layer like
/// <see cref="BackwardPass"/>, so the two can be interleaved.
/// </summary>
public sealed class RelevancePass
{
    readonly VisionTransformer _model;
    readonly ForwardTrace _trace;
    readonly RelevanceContext _context;

    /// <param name="model">The network the trace was recorded on.</param>
    /// <param name="trace">A recorded forward pass.</param>
    /// <param name="composite">The rules; default Chefer et al.'s transformer attribution.</param>
    /// <param name="keepAttentionRelevance">Keep every block's attention relevance (<see cref="AttentionRelevance"/>).</param>
    public RelevancePass(VisionTransformer model, ForwardTrace trace, LrpComposite? composite = null, bool keepAttentionRelevance = true)
    {
        _model = model;
        _trace = trace;
        if (keepAttentionRelevance) trace.Outputs.Request(PassTaps.AttentionRelevance);
        _context = new RelevanceContext(trace.Context, composite ?? TransformerAttributionComposite.Instance);
    }

    /// <summary>The rules in use.</summary>
    public LrpComposite Composite => _context.Composite;

    /// <summary>Relevance of every block's attention probabilities (B, H, N, N), filled as the pass goes.</summary>
    public float[]?[] AttentionRelevance => _trace.Outputs.AttentionRelevance.Select(t => t?.Data).ToArray();

    /// <summary>Runs the whole pass and returns the relevance of the input (B, C, H, W).</summary>
    public float[] Run(ReadOnlySpan<float> logitRelevance)
    {
        var r = Start(logitRelevance);
        for (int i = _model.Layers.Count - 1; i >= 0; i--) r = Step(_model.Layers[i], r);
        return r.Data;
    }

    /// <summary>The pass's starting relevance: a copy of the logits' relevance (B, K).</summary>
    public Tensor Start(ReadOnlySpan<float> logitRelevance)
    {
        int k = _model.Config.NumClasses;
        if (logitRelevance.Length != _trace.Batch * k) throw new ArgumentException($"{logitRelevance.Length} logit relevances for a batch of {_trace.Batch} × {k} classes");
        var r = _context.Rent(_trace.Batch, k);
        logitRelevance.CopyTo(r.Data);
        return r;
    }

    /// <summary>The relevance at <paramref name="layer"/>'s input from the relevance at its output (which is given back).</summary>
    public Tensor Step(Layer layer, Tensor outputRelevance)
    {
        var r = layer.Relevance(outputRelevance, _context);
        if (!ReferenceEquals(r.Data, outputRelevance.Data)) _context.Return(outputRelevance);
        return r;
    }
}
