using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>LayerScale (Touvron et al. 2021, CaiT): a learned per-channel factor γ on a residual branch, y = x ⊙ γ.</summary>
public sealed class LayerScale : Layer
{
    /// <param name="name">State-dict prefix (<c>blocks.0.ls1</c>); the parameter is NAME.gamma.</param>
    /// <param name="gamma">(dim) factors.</param>
    public LayerScale(string name, float[] gamma) : base(name) => Gamma = new Parameter(name + ".gamma", new Tensor(gamma, gamma.Length));

    /// <summary>The per-channel factor γ.</summary>
    public Parameter Gamma { get; }

    int Dim => Gamma.Value.Length;

    /// <inheritdoc/>
    public override string Kind => "layer scale";

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Parameters => [Gamma];

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        var y = context.Rent(input.Shape);
        context.Backend.MultiplyColumns(input, Gamma.Value, y, checked((int)(input.Length / Dim)), Dim);
        context.Save(this, new Tensor[] { input, y });
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var x = context.Saved<Tensor[]>(this)[0];
        int rows = checked((int)(x.Length / Dim));
        var dx = context.Rent(x.Shape);
        context.Backend.MultiplyColumns(outputGradient, Gamma.Value, dx, rows, Dim);
        if (context.GradientOf(Gamma) is { } dGamma) context.Backend.AccumulateColumnProducts(outputGradient, x, dGamma, rows, Dim);
        return dx;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var saved = context.Saved<Tensor[]>(this);
        return context.Composite.LayerScale.Apply(context, saved[0], saved[1], outputRelevance);
    }
}
