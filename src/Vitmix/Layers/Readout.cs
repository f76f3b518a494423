using System.Numerics.Tensors;
using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>How the token sequence is read out into the classifier's input.</summary>
public enum ReadoutKind
{
    /// <summary>The first token rows: the class token, and the distillation token for a distilled DeiT (timm's 'token').</summary>
    PrefixTokens,
    /// <summary>The mean of the patch tokens, prefix tokens excluded (timm's 'avg').</summary>
    PatchMean,
}

/// <summary>
/// Pooling: (B, N, D) tokens → (B, R, D) readout rows, the class (and distillation) token or the mean of the patch
/// tokens. Where a later family reads out differently (an attention-pool probe, class token and patch mean side by
/// side), it is another kind here.
/// </summary>
public sealed class Readout : Layer
{
    sealed record Record(Tensor Tokens, Tensor Output);

    /// <param name="kind">What is read out.</param>
    /// <param name="rows">Readout rows: the number of prefix tokens read (1, or 2 for a distilled DeiT); 1 for the mean.</param>
    /// <param name="prefixTokens">Prefix tokens before the patch tokens (excluded from the mean).</param>
    public Readout(ReadoutKind kind, int rows, int prefixTokens) : base("pool")
    {
        if (kind == ReadoutKind.PatchMean && rows != 1) throw new ArgumentException("the patch mean is one readout row");
        if (kind == ReadoutKind.PrefixTokens && (rows <= 0 || rows > prefixTokens)) throw new ArgumentException($"{rows} readout rows of {prefixTokens} prefix tokens");
        ReadoutKind = kind;
        Rows = rows;
        PrefixTokens = prefixTokens;
    }

    /// <summary>What is read out.</summary>
    public ReadoutKind ReadoutKind { get; }

    /// <summary>Readout rows per sample.</summary>
    public int Rows { get; }

    /// <summary>Prefix tokens before the patch tokens.</summary>
    public int PrefixTokens { get; }

    /// <inheritdoc/>
    public override string Kind => ReadoutKind == ReadoutKind.PatchMean ? "patch-mean readout" : "prefix-token readout";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        if (context.Packed is { } packed) return ForwardPacked(input, packed, context);
        int b = input.Dim(0), n = input.Dim(1), d = input.Dim(2);
        var y = context.Rent(b, Rows, d);
        if (ReadoutKind == ReadoutKind.PatchMean) context.Backend.MeanOfRows(input, b, n, d, PrefixTokens, n - PrefixTokens, y);
        else
            for (int i = 0; i < b; i++) context.Backend.Copy(input, (long)i * n * d, y, (long)i * Rows * d, (long)Rows * d);
        context.Save(this, new Record(input, y));
        return y;
    }

    /// <summary>(1, T, D) packed sequences → (S, R, D): each sequence read out from its own rows.</summary>
    Tensor ForwardPacked(Tensor input, PackedSequences packed, ForwardContext context)
    {
        int s = packed.Count, d = input.Dim(2);
        var y = context.Rent(s, Rows, d);
        for (int i = 0; i < s; i++)
        {
            int first = packed.Start(i), length = packed.Length(i);
            if (ReadoutKind == ReadoutKind.PatchMean)
            {
                if (length <= PrefixTokens) throw new ArgumentException($"packed sequence {i} has no patch token to average");
                // the same sum and division as the batched MeanOfRows, so a packed pass gives the batched logits bit for bit
                var mean = y.Data.AsSpan(i * d, d);
                var rows = input.Data.AsSpan((first + PrefixTokens) * d, (length - PrefixTokens) * d);
                mean.Clear();
                for (int t = 0; t < length - PrefixTokens; t++) TensorPrimitives.Add(mean, rows.Slice(t * d, d), mean);
                TensorPrimitives.Divide(mean, length - PrefixTokens, mean);
            }
            else
            {
                if (length < Rows) throw new ArgumentException($"packed sequence {i} has {length} tokens for {Rows} readout rows");
                context.Backend.Copy(input, (long)first * d, y, (long)i * Rows * d, (long)Rows * d);
            }
        }
        return y;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var r = context.Saved<Record>(this);
        int b = r.Tokens.Dim(0), n = r.Tokens.Dim(1), d = r.Tokens.Dim(2);
        var dx = context.Rent(r.Tokens.Shape);
        var ops = context.Backend;
        ops.Clear(dx);
        if (ReadoutKind == ReadoutKind.PatchMean)
        {
            // every patch row receives the mean's gradient over the number of patches
            for (int i = 0; i < b; i++)
                for (int t = PrefixTokens; t < n; t++) ops.Copy(outputGradient, (long)i * d, dx, ((long)i * n + t) * d, d);
            ops.Scale(dx, 1f / (n - PrefixTokens), dx);
        }
        else
            for (int i = 0; i < b; i++) ops.Copy(outputGradient, (long)i * Rows * d, dx, (long)i * n * d, (long)Rows * d);
        return dx;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var r = context.Saved<Record>(this);
        int b = r.Tokens.Dim(0), n = r.Tokens.Dim(1), d = r.Tokens.Dim(2);
        var rule = context.Composite.Pooling;
        if (ReadoutKind == ReadoutKind.PatchMean)
            return rule.Mean(context, r.Tokens, b, n, d, PrefixTokens, n - PrefixTokens, r.Output, outputRelevance);
        var rSelected = rule.Select(context, r.Output, outputRelevance);
        var rx = context.Rent(r.Tokens.Shape);
        context.Backend.Clear(rx);
        for (int i = 0; i < b; i++) context.Backend.Copy(rSelected, (long)i * Rows * d, rx, (long)i * n * d, (long)Rows * d);
        context.Return(rSelected);
        return rx;
    }
}
