using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Model;

/// <summary>
/// A forward pass that recorded what its layers' backward and relevance need (<see cref="VisionTransformer.Run"/>),
/// with its logits and the intermediate results it was asked to keep. Disposing it gives the recorded activations
/// back to the model's buffer arena.
/// </summary>
public sealed class ForwardTrace : IDisposable
{
    internal ForwardTrace(VisionTransformer model, ForwardContext context, Tensor input, float[] logits) =>
        (Model, Context, Input, Logits) = (model, context, input, logits);

    /// <summary>The network the pass ran on.</summary>
    public VisionTransformer Model { get; }

    /// <summary>The recorded pass, which the backward and relevance passes read.</summary>
    public ForwardContext Context { get; }

    /// <summary>The normalised image batch (B, C, H, W).</summary>
    public Tensor Input { get; }

    /// <summary>Samples in the batch.</summary>
    public int Batch => Context.Batch;

    /// <summary>(B, K) logits.</summary>
    public float[] Logits { get; }

    /// <summary>What the pass keeps for explainers (attention probabilities when asked for).</summary>
    public PassOutputs Outputs => Context.Outputs;

    /// <summary>Gives back what <paramref name="layer"/> (a top-level layer) recorded; later passes cannot step through it.</summary>
    public void Release(Layer layer) => Context.Release(layer);

    /// <summary>Gives every recorded activation back (the outputs stay with whoever took them).</summary>
    public void Dispose() => Context.ReleaseAll();
}
