using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// One layer kind of a Vision Transformer, described once: its forward computation, its backward (gradients), and
/// where relevance flows through it, with the rule at each such site chosen by the pass's
/// <see cref="Relevance.LrpComposite"/> (zennit's split of rules and composites). The forward, backward and relevance
/// passes are loops over a model's layers (<see cref="LayerSequence"/>): a new block variant is a new layer file, not
/// an edit of three passes. A layer keeps in the forward pass's record what its backward and relevance need, and
/// reads its token count from the activation it is given, not from the config, so a pass can run on a subset of
/// tokens.
/// </summary>
public abstract class Layer
{
    /// <param name="name">Where the layer sits, in timm's module names (<c>blocks.3.attn</c>, <c>head</c>).</param>
    protected Layer(string name) => Name = name;

    /// <summary>Where the layer sits, in timm's module names (<c>blocks.3.attn</c>).</summary>
    public string Name { get; }

    /// <summary>The layer kind in words ("attention", "layer norm"), for messages and composites.</summary>
    public abstract string Kind { get; }

    /// <summary>The layers this one is made of, in forward order (a block's residual branches, attention's projections).</summary>
    public virtual IReadOnlyList<Layer> Children => [];

    /// <summary>The layer's own learnable tensors (not its children's).</summary>
    public virtual IEnumerable<Parameter> Parameters => [];

    /// <summary>Computes the output of <paramref name="input"/>, keeping in <paramref name="context"/> what the other passes need.</summary>
    public abstract Tensor Forward(Tensor input, ForwardContext context);

    /// <summary>The gradient of the input from the gradient of the output; parameter gradients are accumulated when asked for.</summary>
    public abstract Tensor Backward(Tensor outputGradient, BackwardContext context);

    /// <summary>The relevance of the input from the relevance of the output, by the rules of the context's composite.</summary>
    public abstract Tensor Relevance(Tensor outputRelevance, RelevanceContext context);

    /// <summary>This layer and every layer inside it, depth first.</summary>
    public IEnumerable<Layer> SelfAndDescendants()
    {
        yield return this;
        foreach (var child in Children)
            foreach (var l in child.SelfAndDescendants()) yield return l;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Kind})";
}
