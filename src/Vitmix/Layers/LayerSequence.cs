using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// Runs layers one after another in each pass, giving back every intermediate activation as soon as the next layer
/// has consumed it (in a recorded forward pass the record keeps them instead). The first input belongs to the caller
/// and is never given back; a layer may return its input unchanged (a pass-through rule).
/// </summary>
public static class LayerSequence
{
    /// <summary>The forward pass of <paramref name="layers"/> on <paramref name="input"/>.</summary>
    public static Tensor Forward(IReadOnlyList<Layer> layers, Tensor input, ForwardContext context)
    {
        var x = input;
        foreach (var layer in layers)
        {
            var y = layer.Forward(x, context);
            if (!context.Recording && !ReferenceEquals(x.Data, input.Data) && !ReferenceEquals(x.Data, y.Data)) context.Return(x);
            x = y;
        }
        return x;
    }

    /// <summary>The backward pass of <paramref name="layers"/>, last layer first.</summary>
    public static Tensor Backward(IReadOnlyList<Layer> layers, Tensor outputGradient, BackwardContext context)
    {
        var g = outputGradient;
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            var next = layers[i].Backward(g, context);
            if (!ReferenceEquals(g.Data, outputGradient.Data) && !ReferenceEquals(g.Data, next.Data)) context.Return(g);
            g = next;
        }
        return g;
    }

    /// <summary>The relevance pass of <paramref name="layers"/>, last layer first.</summary>
    public static Tensor Relevance(IReadOnlyList<Layer> layers, Tensor outputRelevance, RelevanceContext context)
    {
        var r = outputRelevance;
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            var next = layers[i].Relevance(r, context);
            if (!ReferenceEquals(r.Data, outputRelevance.Data) && !ReferenceEquals(r.Data, next.Data)) context.Return(r);
            r = next;
        }
        return r;
    }
}
