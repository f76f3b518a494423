using Vitmix.Engine;
using Vitmix.Relevance;

namespace Vitmix.Layers;

/// <summary>
/// The classifier: logits = head(row 0), or for a distilled DeiT the mean of head(row 0) and head_dist(row 1), as
/// timm's VisionTransformerDistilled does at eval. (B, R, D) readout rows → (B, K) logits.
/// </summary>
public sealed class ClassifierHead : Layer
{
    /// <param name="heads">One linear map per readout row: head, then head_dist.</param>
    public ClassifierHead(IReadOnlyList<Linear> heads) : base("head")
    {
        if (heads.Count is < 1 or > 2) throw new ArgumentException($"{heads.Count} classifier heads (expected 1 or 2)");
        Heads = heads;
    }

    /// <summary>The linear maps, one per readout row.</summary>
    public IReadOnlyList<Linear> Heads { get; }

    /// <summary>Number of classes.</summary>
    public int Classes => Heads[0].OutFeatures;

    /// <inheritdoc/>
    public override string Kind => Heads.Count == 1 ? "classifier head" : "classifier and distillation heads";

    /// <inheritdoc/>
    public override IReadOnlyList<Layer> Children => Heads;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        int b = input.Dim(0), d = input.Dim(2);
        if (input.Dim(1) != Heads.Count) throw new ArgumentException($"{Name}: {input.Dim(1)} readout rows for {Heads.Count} heads");
        if (Heads.Count == 1) return Heads[0].Forward(input.Reshape(b, d), context);
        var rows = Split(context, input);
        var logits = Heads[0].Forward(rows[0], context);
        var distilled = Heads[1].Forward(rows[1], context);
        context.Backend.Add(logits, distilled, logits);
        context.Backend.Scale(logits, 0.5f, logits);
        if (!context.Recording)
        {
            context.Return(distilled);
            foreach (var r in rows) context.Return(r);
        }
        return logits;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context) =>
        Shared(outputGradient, context, (head, g) => head.Backward(g, context));

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context) =>
        Shared(outputRelevance, context, (head, r) => head.Relevance(r, context));

    /// <summary>The logits are the mean of the heads: each head takes its share back to its readout row.</summary>
    Tensor Shared(Tensor output, PassContext context, Func<Linear, Tensor, Tensor> through)
    {
        var share = context.Rent(output.Shape);
        context.Backend.Scale(output, 1f / Heads.Count, share);
        var parts = Heads.Select(h => through(h, share)).ToList();
        context.Return(share);
        return Join(context, parts);
    }

    static Tensor[] Split(PassContext context, Tensor input)
    {
        int b = input.Dim(0), rows = input.Dim(1), d = input.Dim(2);
        var parts = new Tensor[rows];
        for (int t = 0; t < rows; t++)
        {
            parts[t] = context.Rent(b, d);
            for (int i = 0; i < b; i++) context.Backend.Copy(input, ((long)i * rows + t) * d, parts[t], (long)i * d, d);
        }
        return parts;
    }

    static Tensor Join(PassContext context, IReadOnlyList<Tensor> parts)
    {
        int b = parts[0].Dim(0), d = parts[0].Dim(1), rows = parts.Count;
        if (rows == 1) return parts[0].Reshape(b, 1, d);
        var joined = context.Rent(b, rows, d);
        for (int t = 0; t < rows; t++)
        {
            for (int i = 0; i < b; i++) context.Backend.Copy(parts[t], (long)i * d, joined, ((long)i * rows + t) * d, d);
            context.Return(parts[t]);
        }
        return joined;
    }
}
