using Vitmix.Engine;
using Vitmix.Layers;
using Vitmix.Model;

namespace Vitmix.Explain;

/// <summary>
/// The gradient of each sample's target logit with respect to one block's attention probabilities, on a batch of
/// inputs other than the explained one (TAM's scaled copies): a recorded forward and a backward that stops at that
/// block, since nothing below it is read.
/// </summary>
public static class AttentionGradientProbe
{
    /// <summary>d y_target / d A of block <paramref name="block"/> for every sample of <paramref name="batch"/> (B, H, N, N), in a new array.</summary>
    /// <param name="model">The network.</param>
    /// <param name="batch">Normalised inputs (B, C, H, W).</param>
    /// <param name="block">The block whose attention is differentiated.</param>
    /// <param name="target">The class whose logit is differentiated, the same for every sample.</param>
    public static float[] Compute(VisionTransformer model, Tensor batch, int block, int target)
    {
        var c = model.Config;
        if ((uint)block >= (uint)c.Depth) throw new ArgumentOutOfRangeException(nameof(block), $"block {block} of a {c.Depth}-block model");
        if ((uint)target >= (uint)c.NumClasses) throw new ArgumentOutOfRangeException(nameof(target), $"class {target} of {c.NumClasses}");
        using var trace = model.Run(batch, record: true, PassRequirements.AttentionGradients);
        int b = trace.Batch, k = c.NumClasses;
        var oneHot = new float[b * k];
        for (int i = 0; i < b; i++) oneHot[i * k + target] = 1f;
        var backward = new BackwardPass(model, trace);
        var g = backward.Start(oneHot);
        int stop = IndexOf(model, model.Blocks[block]);
        for (int i = model.Layers.Count - 1; i >= stop; i--)
        {
            g = backward.Step(model.Layers[i], g);
            trace.Release(model.Layers[i]);
        }
        model.Buffers.Return(g.Data);
        var outputs = trace.Outputs;
        // The tensor came from the arena, perhaps longer than its shape: the copy is cut to the batch's own length.
        var result = outputs.AttentionGradients[block]!.Data.AsSpan(0, b * c.NumHeads * c.NumTokens * c.NumTokens).ToArray();
        outputs.Release(model.Buffers);
        return result;
    }

    static int IndexOf(VisionTransformer model, Layer layer)
    {
        for (int i = 0; i < model.Layers.Count; i++) if (ReferenceEquals(model.Layers[i], layer)) return i;
        throw new InvalidOperationException($"{layer.Name} is not a top-level layer of the model");
    }
}
