using Vitmix.Engine;
using Vitmix.Relevance;

namespace Vitmix.Layers;

/// <summary>
/// Multi-head self-attention (Vaswani et al. 2017) as timm's ViT computes it: a fused qkv projection whose 3·D outputs
/// are q, k and v, each head taking D/H consecutive features; softmax(q·kᵀ/√(D/H))·v per head; heads concatenated; an
/// output projection. Its attention probabilities, their gradients and their relevances are what the attention-based
/// explainers read. With a <see cref="Layers.RelativePositionBias"/> (BEiT) a constant is added to the logits before the
/// softmax; relevance treats it as a bias of the logits, which keeps its share (LRP-0) of their relevance. With a
/// <see cref="Layers.RotaryPositionEmbedding"/> (EVA-02) q and k of the patch tokens are rotated after the projection;
/// the record keeps the rotated qkv, which is what the kernel's backward and the product rules read.
/// </summary>
public sealed class Attention : Layer
{
    sealed record Record(Tensor Qkv, Tensor Probabilities, Tensor Context);

    /// <param name="name">State-dict prefix (<c>blocks.0.attn</c>).</param>
    /// <param name="block">The block's index, under which the pass's outputs keep this layer's maps.</param>
    /// <param name="qkv">The fused projection (D → 3D).</param>
    /// <param name="projection">The output projection (D → D).</param>
    /// <param name="heads">Number of heads; divides D.</param>
    public Attention(string name, int block, Linear qkv, Linear projection, int heads) : base(name)
    {
        int d = projection.InFeatures;
        if (qkv.OutFeatures != 3 * d || qkv.InFeatures != d || heads <= 0 || d % heads != 0)
            throw new ArgumentException($"{name}: qkv {qkv.InFeatures}→{qkv.OutFeatures}, projection {d}, {heads} heads do not fit");
        (Block, Qkv, Projection, Heads) = (block, qkv, projection, heads);
    }

    /// <summary>The block's index.</summary>
    public int Block { get; }

    /// <summary>The fused query/key/value projection.</summary>
    public Linear Qkv { get; }

    /// <summary>The output projection.</summary>
    public Linear Projection { get; }

    /// <summary>Number of heads.</summary>
    public int Heads { get; }

    /// <summary>BEiT's relative position bias added to the logits, or null.</summary>
    public RelativePositionBias? RelativePositionBias { get; init; }

    /// <summary>EVA-02's rotary position embedding of q and k, or null.</summary>
    public RotaryPositionEmbedding? Rope { get; init; }

    int Dim => Projection.InFeatures;
    int HeadDim => Dim / Heads;

    /// <inheritdoc/>
    public override string Kind => "attention";

    /// <inheritdoc/>
    public override IReadOnlyList<Layer> Children => [Qkv, Projection];

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        int b = input.Dim(0), n = input.Dim(1);
        // q, k, v gathered from the whole sequence's when a subset pass was given them (its norm1 output is then unread)
        var qkv = context.TakeGivenQkv(this) ?? Qkv.Forward(input, context);
        if (qkv.Dim(0) != b || qkv.Dim(1) != n || qkv.Dim(2) != 3 * Dim) throw new InvalidOperationException($"{Name}: q, k, v {qkv} for input {input}");
        if (context.LeadingRowsFrom is { } leading && leading.Block == Block && !context.Recording && !context.Outputs.Wants(PassRequirements.Attention))
            return ForwardLeadingRows(qkv, leading.Rows, context);
        if (context.Packed is { } packed) return ForwardPacked(qkv, packed, context);
        Rope?.Rotate(qkv, context.KeptPatches, b, n, Heads, inverse: false);
        var probabilities = context.Recording || context.Outputs.Wants(PassRequirements.Attention) ? context.Rent(b, Heads, n, n) : null;
        var attended = context.Rent(b, n, Dim);
        if (RelativePositionBias is { } rpb)
        {
            var (bias, stride) = rpb.For(context, context.KeptPatches, b, n);
            context.Backend.Attention(qkv, probabilities, attended, b, n, Heads, HeadDim, bias, stride);
            context.Return(bias);
        }
        else context.Backend.Attention(qkv, probabilities, attended, b, n, Heads, HeadDim);
        if (probabilities != null)
        {
            context.Save(this, new Record(qkv, probabilities, attended));
            if (context.Outputs.Wants(PassRequirements.Attention))
            {
                context.Outputs.AttentionProbabilities[Block] = probabilities;
                context.Detach(probabilities);
            }
        }
        var y = Projection.Forward(attended, context);
        if (!context.Recording)
        {
            context.Return(qkv);
            context.Return(attended);
        }
        return y;
    }

    /// <summary>
    /// Only the first <paramref name="rows"/> queries of each sequence (every key and value): the outputs are (S, rows, D)
    /// and the pass continues on those rows alone (<see cref="ForwardContext.LeadingRowsFrom"/>).
    /// </summary>
    Tensor ForwardLeadingRows(Tensor qkv, int rows, ForwardContext context)
    {
        int b = qkv.Dim(0), n = qkv.Dim(1);
        var packed = context.Packed;
        if (packed != null && (RelativePositionBias != null || Rope != null))
            throw new InvalidOperationException($"{Name}: a {(Rope != null ? "rotary position embedding" : "relative position bias")} needs each sequence's token positions; run packed lengths as separate batches");
        if (packed == null) Rope?.Rotate(qkv, context.KeptPatches, b, n, Heads, inverse: false);
        int sequences = packed?.Count ?? b;
        var attended = context.Rent(sequences, rows, Dim);
        if (RelativePositionBias is { } rpb)
        {
            var (bias, stride) = rpb.For(context, context.KeptPatches, b, n);
            context.Backend.AttentionLeadingRows(qkv, attended, b, n, null, Heads, HeadDim, rows, bias, stride);
            context.Return(bias);
        }
        else context.Backend.AttentionLeadingRows(qkv, attended, b, n, packed?.Offsets, Heads, HeadDim, rows);
        context.Return(qkv);
        var kept = new int[sequences * rows];
        for (int s = 0; s < sequences; s++)
            for (int j = 0; j < rows; j++) kept[s * rows + j] = (packed?.Start(s) ?? s * n) + j;
        context.NarrowToLeadingRows(kept);
        var y = Projection.Forward(attended, context);
        context.Return(attended);
        return y;
    }

    /// <summary>Each packed sequence attends to itself only; nothing is kept (packed passes are inference).</summary>
    Tensor ForwardPacked(Tensor qkv, PackedSequences packed, ForwardContext context)
    {
        if (context.Outputs.Wants(PassRequirements.Attention)) throw new InvalidOperationException($"{Name}: a packed pass keeps no attention maps");
        if (RelativePositionBias != null || Rope != null)
            throw new InvalidOperationException($"{Name}: a {(Rope != null ? "rotary position embedding" : "relative position bias")} needs each sequence's token positions; run packed lengths as separate batches");
        var attended = context.Rent(1, packed.TotalTokens, Dim);
        context.Backend.AttentionPacked(qkv, attended, packed.Offsets, Heads, HeadDim);
        context.Return(qkv);
        var y = Projection.Forward(attended, context);
        context.Return(attended);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var r = context.Saved<Record>(this);
        int b = r.Qkv.Dim(0), n = r.Qkv.Dim(1);
        var dAttended = Projection.Backward(outputGradient, context);
        var dQkv = context.Rent(r.Qkv.Shape);
        Tensor? dProbabilities = null;
        if (context.Outputs.Wants(PassRequirements.AttentionGradients))
            context.Outputs.AttentionGradients[Block] = dProbabilities = context.Rent(b, Heads, n, n);
        context.Backend.AttentionBackward(r.Qkv, r.Probabilities, dAttended, dQkv, dProbabilities, b, n, Heads, HeadDim);
        context.Return(dAttended);
        // the rotation's transpose carries the gradients of the rotated q and k back to the projection's outputs
        Rope?.Rotate(dQkv, context.Forward.KeptPatches, b, n, Heads, inverse: true);
        var dx = Qkv.Backward(dQkv, context);
        context.Return(dQkv);
        return dx;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var r = context.Saved<Record>(this);
        int b = r.Qkv.Dim(0), n = r.Qkv.Dim(1), d = Dim, hd = HeadDim, h = Heads;
        var rAttended = Projection.Relevance(outputRelevance, context);
        var rQkv = context.Rent(r.Qkv.Shape);
        var rProbabilities = context.Rent(b, h, n, n);

        // Per-(sample, head) matrices: q, k, v inside the fused projection, probabilities, and the heads' outputs.
        long tokenRow = (long)n * 3 * d, probabilityMatrix = (long)n * n;
        HeadView Part(Tensor t, int part) => new(t, (long)part * d, tokenRow, hd, 3 * d);
        HeadView Square(Tensor t) => new(t, 0, h * probabilityMatrix, probabilityMatrix, n);
        HeadView Features(Tensor t) => new(t, 0, (long)n * d, hd, d);

        // attended = P·v, then P = softmax(S), then S = q·kᵀ (the 1/√d scale is part of the softmax input, not of the product)
        context.Composite.AttentionValues.Apply(context, new HeadProduct(b, h, n, n, hd, Square(r.Probabilities), Part(r.Qkv, 2),
            false, Features(r.Context), Features(rAttended), Square(rProbabilities), Part(rQkv, 2)));
        // The forward pass keeps the probabilities only: a softmax rule that reads the logits S = q·kᵀ/√d (AttnLRP's)
        // gets them recomputed, the same product and scale as the forward kernel's.
        var softmax = context.Composite.Softmax;
        var rpb = RelativePositionBias;
        Tensor? logits = null, biased = null;
        if (softmax.ReadsInput || rpb != null)
        {
            logits = context.Rent(b, h, n, n);
            context.Backend.MatMulPerHead(b, h, false, true, n, n, hd, 1f / MathF.Sqrt(hd), Part(r.Qkv, 0), Part(r.Qkv, 1), 0f, Square(logits));
        }
        if (rpb != null)
        {
            // the softmax's input is q·kᵀ/√d + bias
            biased = context.Rent(b, h, n, n);
            context.Backend.Copy(logits!, 0, biased, 0, logits!.Length);
            var (bias, stride) = rpb.For(context, null, b, n);
            long square = (long)h * n * n;
            for (int i = 0; i < b; i++) context.Backend.AddAt(biased, i * square, bias, i * stride, square);
            context.Return(bias);
        }
        var rLogits = softmax.Apply(context, biased ?? logits ?? r.Probabilities, r.Probabilities, rProbabilities);
        var rScores = rLogits;
        if (biased != null)
        {
            // LRP-0 through the addition of a constant: the product q·kᵀ/√d keeps its share z / (z + bias)
            rScores = context.Rent(b, h, n, n);
            context.Backend.SafeDivide(rLogits, biased, rScores);
            context.Backend.Multiply(rScores, logits!, rScores);
            if (!ReferenceEquals(rLogits.Data, rProbabilities.Data)) context.Return(rLogits);
            context.Return(biased);
        }
        if (logits != null) context.Backend.Scale(logits, MathF.Sqrt(hd), logits);   // back to q·kᵀ, the product's output
        context.Composite.AttentionScores.Apply(context, new HeadProduct(b, h, n, hd, n, Part(r.Qkv, 0), Part(r.Qkv, 1),
            true, logits == null ? null : Square(logits), Square(rScores), Part(rQkv, 0), Part(rQkv, 1)));
        if (!ReferenceEquals(rScores.Data, rProbabilities.Data)) context.Return(rScores);
        if (logits != null) context.Return(logits);
        context.Return(rAttended);

        // relevance of the rotated q and k → of the projection's q and k (LRP-0 through the fixed rotation)
        Rope?.Relevance(r.Qkv, rQkv, context.Forward.KeptPatches, b, n, h);
        if (context.Outputs.Wants(PassRequirements.AttentionRelevance)) context.Outputs.AttentionRelevance[Block] = rProbabilities;
        else context.Return(rProbabilities);
        var rx = Qkv.Relevance(rQkv, context);
        context.Return(rQkv);
        return rx;
    }
}
