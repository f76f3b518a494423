using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// EVA-02's MLP (Fang et al. 2023), SwiGLU (Shazeer 2020) with an optional sub-LayerNorm: fc1 gives the gate g and the
/// value v (2·hidden features, gate first), then h = silu(g) ⊙ v, then norm(h) (timm scale_mlp, EVA-02 base and
/// large), then fc2 (timm GluMlp / SwiGLU, layers/mlp.py).
/// Relevance through the gated product follows the composite's <see cref="Relevance.LrpComposite.GatedProduct"/>: the
/// gate a constant (all to the value v; CP-LRP and transformer attribution) or AttnLRP's uniform rule (half each).
/// </summary>
public sealed class GatedMlp : Layer
{
    sealed record Record(Tensor PreActivation, Tensor Product);

    /// <param name="name">State-dict prefix (<c>blocks.0.mlp</c>).</param>
    /// <param name="fc1">dim → 2·hidden: gate rows, then value rows.</param>
    /// <param name="norm">The sub-LayerNorm over the hidden features, or null.</param>
    /// <param name="fc2">hidden → dim.</param>
    public GatedMlp(string name, Linear fc1, LayerNormalization? norm, Linear fc2) : base(name)
    {
        if (fc1.OutFeatures != 2 * fc2.InFeatures)
            throw new ArgumentException($"{name}: fc1 gives {fc1.OutFeatures} features, a gated MLP needs twice fc2's {fc2.InFeatures}");
        (Fc1, Norm, Fc2) = (fc1, norm, fc2);
    }

    /// <summary>The gate and value projection.</summary>
    public Linear Fc1 { get; }

    /// <summary>The sub-LayerNorm, or null.</summary>
    public LayerNormalization? Norm { get; }

    /// <summary>The output projection.</summary>
    public Linear Fc2 { get; }

    int Hidden => Fc2.InFeatures;

    /// <inheritdoc/>
    public override string Kind => "gated mlp";

    /// <inheritdoc/>
    public override IReadOnlyList<Layer> Children => Norm == null ? [Fc1, Fc2] : [Fc1, Norm, Fc2];

    int[] HiddenShape(Tensor pre)
    {
        var shape = (int[])pre.Shape.Clone();
        shape[^1] = Hidden;
        return shape;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        var pre = Fc1.Forward(input, context);
        int rows = checked((int)(pre.Length / (2 * Hidden)));
        var product = context.Rent(HiddenShape(pre));
        SwiGlu.Forward(pre.Data, product.Data, rows, Hidden);
        if (context.Recording) context.Save(this, new Record(pre, product));
        else context.Return(pre);
        var hidden = product;
        if (Norm != null)
        {
            hidden = Norm.Forward(product, context);
            if (!context.Recording) context.Return(product);
        }
        var y = Fc2.Forward(hidden, context);
        if (!context.Recording) context.Return(hidden);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var r = context.Saved<Record>(this);
        var dHidden = Fc2.Backward(outputGradient, context);
        var dProduct = dHidden;
        if (Norm != null)
        {
            dProduct = Norm.Backward(dHidden, context);
            context.Return(dHidden);
        }
        var dPre = context.Rent(r.PreActivation.Shape);
        SwiGlu.Backward(r.PreActivation.Data, dProduct.Data, dPre.Data, checked((int)(r.PreActivation.Length / (2 * Hidden))), Hidden);
        context.Return(dProduct);
        var dx = Fc1.Backward(dPre, context);
        context.Return(dPre);
        return dx;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var r = context.Saved<Record>(this);
        var rHidden = Fc2.Relevance(outputRelevance, context);
        var rProduct = Norm == null ? rHidden : Norm.Relevance(rHidden, context);
        var rPre = context.Rent(r.PreActivation.Shape);
        context.Composite.GatedProduct.Apply(context, r.PreActivation, rProduct, rPre, checked((int)(r.PreActivation.Length / (2 * Hidden))), Hidden);
        if (!ReferenceEquals(rProduct.Data, rHidden.Data)) context.Return(rProduct);
        context.Return(rHidden);
        var rx = Fc1.Relevance(rPre, context);
        context.Return(rPre);
        return rx;
    }
}
