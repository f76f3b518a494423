using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>A residual connection around a branch: y = x + branch(x) (timm's pre-norm blocks have two).</summary>
public sealed class Residual : Layer
{
    sealed record Record(Tensor Input, Tensor BranchOutput);

    /// <param name="name">A name for messages (<c>blocks.0.attn-residual</c>).</param>
    /// <param name="branch">The branch's layers in order (e.g. norm1, attn, ls1).</param>
    public Residual(string name, IReadOnlyList<Layer> branch) : base(name) => Branch = branch;

    /// <summary>The branch's layers in order.</summary>
    public IReadOnlyList<Layer> Branch { get; }

    /// <inheritdoc/>
    public override string Kind => "residual";

    /// <inheritdoc/>
    public override IReadOnlyList<Layer> Children => Branch;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        var branch = LayerSequence.Forward(Branch, input, context);
        if (context.LeadingRowsKept is { } kept && !branch.Shape.AsSpan().SequenceEqual(input.Shape))
            return AddToKeptRows(input, branch, kept, context);
        var y = context.Rent(input.Shape);
        context.Backend.Add(input, branch, y);
        if (context.Recording) context.Save(this, new Record(input, branch));
        else if (!ReferenceEquals(branch.Data, input.Data)) context.Return(branch);
        return y;
    }

    /// <summary>The branch narrowed the tokens to the leading rows of each sequence (<see cref="ForwardContext.LeadingRowsFrom"/>): the skip keeps the same rows.</summary>
    static Tensor AddToKeptRows(Tensor input, Tensor branch, int[] kept, ForwardContext context)
    {
        int d = input.Dim(2);
        if (branch.Dim(0) * branch.Dim(1) != kept.Length || branch.Dim(2) != d)
            throw new InvalidOperationException($"a branch output {branch} for {kept.Length} kept rows of {input}");
        var y = context.Rent(branch.Shape);
        for (int r = 0; r < kept.Length; r++) context.Backend.Copy(input, (long)kept[r] * d, y, (long)r * d, d);
        context.Backend.Add(y, branch, y);
        context.Return(branch);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var dBranch = LayerSequence.Backward(Branch, outputGradient, context);
        var dx = context.Rent(outputGradient.Shape);
        context.Backend.Add(dBranch, outputGradient, dx);
        if (!ReferenceEquals(dBranch.Data, outputGradient.Data)) context.Return(dBranch);
        return dx;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var r = context.Saved<Record>(this);
        var (rSkip, rBranchOut) = context.Composite.Residual.Apply(context, r.Input, r.BranchOutput, outputRelevance);
        var rBranchIn = LayerSequence.Relevance(Branch, rBranchOut, context);
        if (ReferenceEquals(rBranchIn.Data, rBranchOut.Data))
        {
            // a branch of pass-through rules: the clone rule must not overwrite the branch's own buffer twice
            var copy = context.Rent(rBranchIn.Shape);
            context.Backend.Copy(rBranchIn, 0, copy, 0, rBranchIn.Length);
            rBranchIn = copy;
        }
        context.Return(rBranchOut);
        var rx = context.Composite.Clone.Apply(context, r.Input, rSkip, rBranchIn);
        if (!ReferenceEquals(rx.Data, rSkip.Data)) context.Return(rSkip);
        if (!ReferenceEquals(rx.Data, rBranchIn.Data)) context.Return(rBranchIn);
        return rx;
    }
}
