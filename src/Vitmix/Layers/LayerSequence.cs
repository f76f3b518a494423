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
    public static Tensor Backward(IReadOnlyList<Layer> layers, Tensor outputGradient, BackwardContext context) =>
        Reverse(layers, outputGradient, context, (layer, g) => layer.Backward(g, context));

    /// <summary>The relevance pass of <paramref name="layers"/>, last layer first.</summary>
    public static Tensor Relevance(IReadOnlyList<Layer> layers, Tensor outputRelevance, RelevanceContext context) =>
        Reverse(layers, outputRelevance, context, (layer, r) => layer.Relevance(r, context));

    static Tensor Reverse(IReadOnlyList<Layer> layers, Tensor output, PassContext context, Func<Layer, Tensor, Tensor> step)
    {
        var t = output;
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            var next = step(layers[i], t);
            if (!ReferenceEquals(t.Data, output.Data) && !ReferenceEquals(t.Data, next.Data)) context.Return(t);
            t = next;
        }
        return t;
    }
}
