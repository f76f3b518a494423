using Vitmix.Engine;
using Vitmix.Relevance;

namespace Vitmix.Layers;

/// <summary>y = x·Wᵀ + b over the last dimension (a torch.nn.Linear), with the rule its composite gives its role.</summary>
public sealed class Linear : Layer
{
    /// <param name="name">State-dict prefix (<c>blocks.0.attn.qkv</c>); the parameters are NAME.weight and NAME.bias.</param>
    /// <param name="weight">(out, in) values.</param>
    /// <param name="bias">(out) values, or null.</param>
    /// <param name="role">Where the layer sits, for the composite.</param>
    public Linear(string name, float[] weight, float[]? bias, int inFeatures, int outFeatures, LinearRole role) : base(name)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Role = role;
        Weight = new Parameter(name + ".weight", new Tensor(weight, outFeatures, inFeatures));
        Bias = bias == null ? null : new Parameter(name + ".bias", new Tensor(bias, outFeatures));
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Where the layer sits, for the composite.</summary>
    public LinearRole Role { get; }

    /// <summary>The (out, in) weight.</summary>
    public Parameter Weight { get; }

    /// <summary>The bias, or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>
    /// Accumulate the weight gradient row by row instead of in one product. The classifier head's gradient was
    /// always summed sample by sample, and keeping that order lets training reproduce earlier weights bit for bit.
    /// </summary>
    public bool AccumulatesPerRow { get; init; }

    /// <inheritdoc/>
    public override string Kind => "linear";

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Parameters => Bias == null ? [Weight] : [Weight, Bias];

    int Rows(Tensor x)
    {
        if (x.Dim(-1) != InFeatures) throw new ArgumentException($"{Name}: input {x} does not end in {InFeatures} features");
        return checked((int)(x.Length / InFeatures));
    }

    int[] OutputShape(Tensor x)
    {
        var shape = (int[])x.Shape.Clone();
        shape[^1] = OutFeatures;
        return shape;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        var y = context.Rent(OutputShape(input));
        context.Backend.Linear(input, Weight.Value, Bias?.Value, y, Rows(input), InFeatures, OutFeatures);
        context.Save(this, input);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var x = context.Saved<Tensor>(this);
        int rows = Rows(x);
        var dx = context.Rent(x.Shape);
        var dW = context.GradientOf(Weight);
        var ops = context.Backend;
        ops.LinearBackward(outputGradient, x, Weight.Value, dx, rows, InFeatures, OutFeatures,
            AccumulatesPerRow ? null : dW, Bias == null ? null : context.GradientOf(Bias));
        if (AccumulatesPerRow && dW != null)
            for (int r = 0; r < rows; r++)
                ops.MatMul(true, false, OutFeatures, InFeatures, 1, 1f, outputGradient, (long)r * OutFeatures, OutFeatures,
                    x, (long)r * InFeatures, InFeatures, 1f, dW, 0, InFeatures);
        return dx;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var x = context.Saved<Tensor>(this);
        var r = context.Composite.Linear(Role).Apply(context, x, Weight.Value, Bias?.Value, outputRelevance, Rows(x), InFeatures, OutFeatures);
        return r.Rank == x.Rank ? r : r.Reshape(x.Shape);
    }
}
