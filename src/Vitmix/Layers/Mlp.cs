using Vitmix.Engine;
using Vitmix.Relevance;

namespace Vitmix.Layers;

/// <summary>
/// The transformer's MLP: fc2(act(fc1(x))), act the exact erf GELU unless the model says otherwise (QuickGELU for
/// OpenAI's CLIP, <see cref="MlpActivation"/>).
/// </summary>
public sealed class Mlp : Layer
{
    sealed record Record(Tensor PreActivation, Tensor Hidden);

    /// <param name="name">State-dict prefix (<c>blocks.0.mlp</c>).</param>
    /// <param name="fc1">The expanding layer (dim → hidden).</param>
    /// <param name="fc2">The projecting layer (hidden → dim).</param>
    /// <param name="activation">The non-linearity between them.</param>
    public Mlp(string name, Linear fc1, Linear fc2, MlpActivation activation = MlpActivation.Gelu) : base(name)
    {
        Activation = activation;
        if (fc1.OutFeatures != fc2.InFeatures) throw new ArgumentException($"{name}: fc1 gives {fc1.OutFeatures} features, fc2 takes {fc2.InFeatures}");
        Fc1 = fc1;
        Fc2 = fc2;
    }

    /// <summary>The expanding layer.</summary>
    public Linear Fc1 { get; }

    /// <summary>The projecting layer.</summary>
    public Linear Fc2 { get; }

    /// <summary>The non-linearity between the two layers.</summary>
    public MlpActivation Activation { get; }

    void Activate(Tensor pre, Tensor hidden, PassContext context)
    {
        if (Activation == MlpActivation.QuickGelu) context.Backend.QuickGelu(pre, hidden);
        else if (Activation == MlpActivation.GeluTanh) context.Backend.GeluTanh(pre, hidden);
        else context.Backend.Gelu(pre, hidden);
    }

    /// <inheritdoc/>
    public override string Kind => "mlp";

    /// <inheritdoc/>
    public override IReadOnlyList<Layer> Children => [Fc1, Fc2];

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        var pre = Fc1.Forward(input, context);
        if (!context.Recording)
        {
            Activate(pre, pre, context);
            var y0 = Fc2.Forward(pre, context);
            context.Return(pre);
            return y0;
        }
        var hidden = context.Rent(pre.Shape);
        Activate(pre, hidden, context);
        context.Save(this, new Record(pre, hidden));
        return Fc2.Forward(hidden, context);
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var r = context.Saved<Record>(this);
        var dHidden = Fc2.Backward(outputGradient, context);
        if (Activation == MlpActivation.QuickGelu) context.Backend.QuickGeluBackward(r.PreActivation, dHidden, dHidden);
        else if (Activation == MlpActivation.GeluTanh) context.Backend.GeluTanhBackward(r.PreActivation, dHidden, dHidden);
        else context.Backend.GeluBackward(r.PreActivation, dHidden, dHidden);
        var dx = Fc1.Backward(dHidden, context);
        context.Return(dHidden);
        return dx;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var r = context.Saved<Record>(this);
        var rHidden = Fc2.Relevance(outputRelevance, context);
        var rPre = context.Composite.Activation.Apply(context, r.PreActivation, r.Hidden, rHidden);
        var rx = Fc1.Relevance(rPre, context);
        if (!ReferenceEquals(rPre.Data, rHidden.Data)) context.Return(rPre);
        context.Return(rHidden);
        return rx;
    }
}
