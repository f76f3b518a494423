using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>LayerNorm over the last dimension (torch.nn.LayerNorm: biased variance, affine).</summary>
public sealed class LayerNormalization : Layer
{
    sealed record Record(Tensor Input, Tensor Output, Tensor Mean, Tensor Rstd);

    /// <param name="name">State-dict prefix (<c>blocks.0.norm1</c>, <c>norm</c>, <c>fc_norm</c>).</param>
    /// <param name="weight">(dim) scale.</param>
    /// <param name="bias">(dim) shift.</param>
    /// <param name="eps">Added to the variance.</param>
    public LayerNormalization(string name, float[] weight, float[] bias, float eps) : base(name)
    {
        Weight = new Parameter(name + ".weight", new Tensor(weight, weight.Length));
        Bias = new Parameter(name + ".bias", new Tensor(bias, bias.Length));
        Eps = eps;
    }

    /// <summary>The scale γ.</summary>
    public Parameter Weight { get; }

    /// <summary>The shift β.</summary>
    public Parameter Bias { get; }

    /// <summary>Added to the variance.</summary>
    public float Eps { get; }

    int Dim => Weight.Value.Length;

    /// <inheritdoc/>
    public override string Kind => "layer norm";

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Parameters => [Weight, Bias];

    int Rows(Tensor x)
    {
        if (x.Dim(-1) != Dim) throw new ArgumentException($"{Name}: input {x} does not end in {Dim} features");
        return checked((int)(x.Length / Dim));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        int rows = Rows(input);
        var y = context.Rent(input.Shape);
        if (!context.Recording)
        {
            context.Backend.LayerNorm(input, Weight.Value, Bias.Value, Eps, rows, Dim, y, null, null);
            return y;
        }
        var mean = context.Rent(rows);
        var rstd = context.Rent(rows);
        context.Backend.LayerNorm(input, Weight.Value, Bias.Value, Eps, rows, Dim, y, mean, rstd);
        context.Save(this, new Record(input, y, mean, rstd));
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var r = context.Saved<Record>(this);
        var dx = context.Rent(r.Input.Shape);
        context.Backend.LayerNormBackward(r.Input, outputGradient, Weight.Value, r.Mean, r.Rstd, Rows(r.Input), Dim, dx,
            context.GradientOf(Weight), context.GradientOf(Bias));
        return dx;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var r = context.Saved<Record>(this);
        return context.Composite.LayerNorm.Apply(context, r.Input, r.Output, Weight.Value, r.Rstd, outputRelevance, Rows(r.Input), Dim);
    }
}
