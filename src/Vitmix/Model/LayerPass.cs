using Vitmix.Layers;

namespace Vitmix.Model;

/// <summary>
/// A pass that goes back through a recorded forward pass, last layer first, from a value per logit: the backward
/// pass (gradients) and the relevance pass (LRP) are both this loop, with their own step per layer. A caller can step
/// it layer by layer (<see cref="Step"/>) to interleave two passes and release each layer once both are done with it.
/// </summary>
public abstract class LayerPass
{
    readonly VisionTransformer _model;
    readonly ForwardTrace _trace;
    readonly PassContext _context;

    /// <param name="model">The network the trace was recorded on.</param>
    /// <param name="trace">A recorded forward pass.</param>
    /// <param name="context">The pass's context (backward or relevance), over <paramref name="trace"/>.</param>
    private protected LayerPass(VisionTransformer model, ForwardTrace trace, PassContext context)
    {
        _model = model;
        _trace = trace;
        _context = context;
    }

    /// <summary>What the layers leave for explainers.</summary>
    private protected PassOutputs Outputs => _trace.Outputs;

    /// <summary>Runs the whole pass from <paramref name="start"/> (B, K) and returns the value at the input (B, C, H, W).</summary>
    public float[] Run(ReadOnlySpan<float> start)
    {
        var t = Start(start);
        for (int i = _model.Layers.Count - 1; i >= 0; i--) t = Step(_model.Layers[i], t);
        return t.Data;
    }

    /// <summary>The pass's starting value: a copy of <paramref name="start"/>, one value per logit (B, K).</summary>
    public Tensor Start(ReadOnlySpan<float> start)
    {
        int k = _model.Config.NumClasses;
        if (start.Length != _trace.Batch * k) throw new ArgumentException($"{start.Length} values for a batch of {_trace.Batch} × {k} classes");
        var t = _context.Rent(_trace.Batch, k);
        start.CopyTo(t.Data);
        return t;
    }

    /// <summary>The value at <paramref name="layer"/>'s input from the value at its output (which is given back).</summary>
    public Tensor Step(Layer layer, Tensor output)
    {
        var input = Through(layer, output);
        if (!ReferenceEquals(input.Data, output.Data)) _context.Return(output);
        return input;
    }

    /// <summary>One layer's step of this pass.</summary>
    private protected abstract Tensor Through(Layer layer, Tensor output);
}
