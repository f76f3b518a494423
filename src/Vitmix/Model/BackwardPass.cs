using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Model;

/// <summary>
/// Reverse-mode differentiation of a recorded forward pass: from dL/dlogits back through the model's layers, last
/// first, optionally keeping dL/dA for every block's attention probabilities and accumulating parameter gradients.
/// Samples are independent, so a batch of per-sample scores differentiates each sample on its own. The pass can be
/// stepped layer by layer (<see cref="Step"/>) so a caller can interleave it with the relevance pass and release each
/// layer's activations as soon as both are done with it.
/// </summary>
public sealed class BackwardPass
{
    readonly VisionTransformer _model;
    readonly ForwardTrace _trace;
    readonly BackwardContext _context;

    /// <param name="model">The network the trace was recorded on.</param>
    /// <param name="trace">A recorded forward pass (<see cref="VisionTransformer.Run"/> with record).</param>
    /// <param name="gradients">When non-null, parameter gradients are added into it (see <see cref="VitGradients.ZerosLike"/>).</param>
    public BackwardPass(VisionTransformer model, ForwardTrace trace, VitWeights? gradients = null)
    {
        _model = model;
        _trace = trace;
        var named = gradients?.Named().ToDictionary(p => p.Name, p => p.Data);
        var byName = named == null ? null : model.Layers.SelectMany(l => l.SelfAndDescendants()).SelectMany(l => l.Parameters)
            .ToDictionary(p => p.Name, p => new Tensor(named.TryGetValue(p.Name, out var g) ? g
                : throw new ArgumentException($"the gradients have no entry for parameter {p.Name}"), p.Value.Shape));
        _context = new BackwardContext(trace.Context, byName);
    }

    /// <summary>Keep dL/dA of every block's attention probabilities (<see cref="AttentionGradients"/>).</summary>
    public bool RecordAttentionGradients
    {
        get => _trace.Outputs.Wants(PassTaps.AttentionGradients);
        init { if (value) _trace.Outputs.Request(PassTaps.AttentionGradients); }
    }

    /// <summary>dL/dA per block (B, H, N, N), filled as the pass goes when <see cref="RecordAttentionGradients"/>.</summary>
    public float[]?[] AttentionGradients => _trace.Outputs.AttentionGradients.Select(t => t?.Data).ToArray();

    /// <summary>Runs the whole pass and returns dL/dinput (B, C, H, W).</summary>
    public float[] Run(ReadOnlySpan<float> dLogits)
    {
        var g = Start(dLogits);
        for (int i = _model.Layers.Count - 1; i >= 0; i--) g = Step(_model.Layers[i], g);
        return g.Data;
    }

    /// <summary>The pass's starting gradient: a copy of dL/dlogits (B, K).</summary>
    public Tensor Start(ReadOnlySpan<float> dLogits)
    {
        int k = _model.Config.NumClasses;
        if (dLogits.Length != _trace.Batch * k) throw new ArgumentException($"{dLogits.Length} logit gradients for a batch of {_trace.Batch} × {k} classes");
        var g = _context.Rent(_trace.Batch, k);
        dLogits.CopyTo(g.Data);
        return g;
    }

    /// <summary>The gradient at <paramref name="layer"/>'s input from the gradient at its output (which is given back).</summary>
    public Tensor Step(Layer layer, Tensor outputGradient)
    {
        var g = layer.Backward(outputGradient, _context);
        if (!ReferenceEquals(g.Data, outputGradient.Data)) _context.Return(outputGradient);
        return g;
    }
}
