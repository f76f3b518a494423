using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>How the token sequence is read out into the classifier's input.</summary>
public enum ReadoutKind
{
    /// <summary>The first token rows: the class token, and the distillation token for a distilled DeiT (timm's 'token').</summary>
    PrefixTokens,
    /// <summary>The mean of the patch tokens, prefix tokens excluded (timm's 'avg').</summary>
    PatchMean,
    /// <summary>
    /// The class token and the mean of the patch tokens side by side, one row of 2·D (Hugging Face's
    /// Dinov2ForImageClassification: <c>cat([cls, patch_tokens.mean(1)])</c>, registers excluded from the mean).
    /// </summary>
    ClassAndPatchMean,
}

/// <summary>
/// A readout (pooling) layer: (B, N, D) tokens → the classifier's input rows. Besides its forward, backward and
/// relevance, each readout says which tokens it reads, as readout token weights w (one per token, per sample), so that
/// explainers built on a token×token matrix M (rollout, attention Grad-CAM, transformer attribution, GAE, TAM,
/// attention flow) take "the readout row" wᵀM instead of assuming the class token's row 0. A readout that is a fixed
/// selection or mean writes fixed weights; one whose weights depend on the input (an attention-pool probe) writes
/// those of the forward pass, e.g. its probe's attention averaged over heads. The weights go into
/// <see cref="PassOutputs.ReadoutWeights"/> when <see cref="PassRequirements.ReadoutWeights"/> is asked for.
/// </summary>
public abstract class ReadoutLayer(string name) : Layer(name)
{
    /// <summary>What is read out, in words for <c>vitmix info</c> and docs ("class token", "mean of patch tokens").</summary>
    public abstract string Description { get; }

    /// <summary>
    /// A (B, N) tensor for this forward pass's readout weights, kept in the pass's outputs, or null when they were not
    /// asked for. Call it from <see cref="Layer.Forward"/> and fill every row.
    /// </summary>
    protected static Tensor? KeepTokenWeights(ForwardContext context, int batch, int tokens)
    {
        if (!context.Outputs.Wants(PassRequirements.ReadoutWeights)) return null;
        var w = context.Rent(batch, tokens);
        context.Backend.Clear(w);
        if (context.Outputs.ReadoutWeights is { } old) context.Return(old);
        context.Outputs.ReadoutWeights = w;
        context.Detach(w);
        return w;
    }
}

/// <summary>
/// Pooling by fixed token weights: the class (and distillation) token, the mean of the patch tokens, or both side by
/// side (<see cref="ReadoutKind"/>). Readout token weights (docs/methods.md, "Readouts"): the class token is e₀ (also
/// for a distilled DeiT, as Chefer et al.'s DeiT code reads row 0); the patch mean is 1/P on each of the P patch
/// tokens; class and patch mean side by side is ½(e₀ + patch mean), each half of the classifier's input given equal
/// weight. Prefix tokens other than the class token (distillation, registers) get weight 0.
/// </summary>
public sealed class Readout : ReadoutLayer
{
    sealed record Record(Tensor Tokens, Tensor Output);

    /// <param name="kind">What is read out.</param>
    /// <param name="rows">Readout rows: the number of prefix tokens read (1, or 2 for a distilled DeiT); 1 otherwise.</param>
    /// <param name="prefixTokens">Prefix tokens before the patch tokens (excluded from the mean).</param>
    public Readout(ReadoutKind kind, int rows, int prefixTokens) : base("pool")
    {
        if (kind != ReadoutKind.PrefixTokens && rows != 1) throw new ArgumentException($"the {kind} readout is one row");
        if (kind != ReadoutKind.PatchMean && (rows <= 0 || rows > prefixTokens)) throw new ArgumentException($"{rows} readout rows of {prefixTokens} prefix tokens");
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
    public override string Kind => ReadoutKind switch
    {
        ReadoutKind.PatchMean => "patch-mean readout",
        ReadoutKind.ClassAndPatchMean => "class-and-patch-mean readout",
        _ => "prefix-token readout",
    };

    /// <inheritdoc/>
    public override string Description => ReadoutKind switch
    {
        ReadoutKind.PatchMean => "mean of patch tokens",
        ReadoutKind.ClassAndPatchMean => "class token and mean of patch tokens, concatenated",
        _ => Rows == 2 ? "class and distillation tokens" : "class token",
    };

    /// <summary>The readout token weights of a sequence of <paramref name="tokens"/> tokens, into <paramref name="w"/> (cleared first).</summary>
    public void TokenWeights(int tokens, Span<float> w)
    {
        w[..tokens].Clear();
        int patches = tokens - PrefixTokens;
        switch (ReadoutKind)
        {
            case ReadoutKind.PrefixTokens: w[0] = 1f; break;
            case ReadoutKind.PatchMean: w[PrefixTokens..tokens].Fill(1f / patches); break;
            default:
                w[0] = 0.5f;
                w[PrefixTokens..tokens].Fill(0.5f / patches);
                break;
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        if (context.Packed is { } packed) return ForwardPacked(input, packed, context);
        int b = input.Dim(0), n = input.Dim(1), d = input.Dim(2);
        var ops = context.Backend;
        Tensor y;
        switch (ReadoutKind)
        {
            case ReadoutKind.PatchMean:
                y = context.Rent(b, 1, d);
                ops.MeanOfRows(input, b, n, d, PrefixTokens, n - PrefixTokens, y);
                break;
            case ReadoutKind.ClassAndPatchMean:
            {
                y = context.Rent(b, 1, 2 * d);
                var mean = context.Rent(b, 1, d);
                ops.MeanOfRows(input, b, n, d, PrefixTokens, n - PrefixTokens, mean);
                for (int i = 0; i < b; i++)
                {
                    ops.Copy(input, (long)i * n * d, y, (long)i * 2 * d, d);
                    ops.Copy(mean, (long)i * d, y, (long)i * 2 * d + d, d);
                }
                context.Return(mean);
                break;
            }
            default:
                y = context.Rent(b, Rows, d);
                for (int i = 0; i < b; i++) ops.Copy(input, (long)i * n * d, y, (long)i * Rows * d, (long)Rows * d);
                break;
        }
        if (KeepTokenWeights(context, b, n) is { } w)
            for (int i = 0; i < b; i++) TokenWeights(n, w.Data.AsSpan(i * n, n));
        context.Save(this, new Record(input, y));
        return y;
    }

    /// <summary>(1, T, D) packed sequences → (S, R, D'): each sequence read out from its own rows.</summary>
    Tensor ForwardPacked(Tensor input, PackedSequences packed, ForwardContext context)
    {
        int s = packed.Count, d = input.Dim(2);
        bool both = ReadoutKind == ReadoutKind.ClassAndPatchMean;
        var y = both ? context.Rent(s, 1, 2 * d) : context.Rent(s, Rows, d);
        var mean = ReadoutKind == ReadoutKind.PrefixTokens ? null : context.Rent(1, 1, d);
        for (int i = 0; i < s; i++)
        {
            int first = packed.Start(i), length = packed.Length(i);
            if (ReadoutKind != ReadoutKind.PrefixTokens)
            {
                if (length <= PrefixTokens) throw new ArgumentException($"packed sequence {i} has no patch token to average");
                // class token first when both are read out
                if (both) context.Backend.Copy(input, (long)first * d, y, (long)i * 2 * d, d);
                // the batched pass's MeanOfRows over this sequence's patch rows, so a packed pass gives its logits bit for bit
                context.Backend.MeanOfRows(input, 1, packed.TotalTokens, d, first + PrefixTokens, length - PrefixTokens, mean!);
                context.Backend.Copy(mean!, 0, y, both ? (long)i * 2 * d + d : (long)i * d, d);
            }
            else
            {
                if (length < Rows) throw new ArgumentException($"packed sequence {i} has {length} tokens for {Rows} readout rows");
                context.Backend.Copy(input, (long)first * d, y, (long)i * Rows * d, (long)Rows * d);
            }
        }
        if (mean != null) context.Return(mean);
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
        switch (ReadoutKind)
        {
            case ReadoutKind.PatchMean:
                // every patch row receives the mean's gradient over the number of patches
                for (int i = 0; i < b; i++)
                    for (int t = PrefixTokens; t < n; t++) ops.Copy(outputGradient, (long)i * d, dx, ((long)i * n + t) * d, d);
                ops.Scale(dx, 1f / (n - PrefixTokens), dx);
                break;
            case ReadoutKind.ClassAndPatchMean:
                for (int i = 0; i < b; i++)
                    for (int t = PrefixTokens; t < n; t++) ops.Copy(outputGradient, (long)i * 2 * d + d, dx, ((long)i * n + t) * d, d);
                ops.Scale(dx, 1f / (n - PrefixTokens), dx);
                for (int i = 0; i < b; i++) ops.Copy(outputGradient, (long)i * 2 * d, dx, (long)i * n * d, d);
                break;
            default:
                for (int i = 0; i < b; i++) ops.Copy(outputGradient, (long)i * Rows * d, dx, (long)i * n * d, (long)Rows * d);
                break;
        }
        return dx;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var r = context.Saved<Record>(this);
        int b = r.Tokens.Dim(0), n = r.Tokens.Dim(1), d = r.Tokens.Dim(2);
        var rule = context.Composite.Pooling;
        var ops = context.Backend;
        if (ReadoutKind == ReadoutKind.PatchMean)
            return rule.Mean(context, r.Tokens, b, n, d, PrefixTokens, n - PrefixTokens, r.Output, outputRelevance);
        if (ReadoutKind == ReadoutKind.ClassAndPatchMean)
        {
            // Each half of the concatenation takes its own relevance: the class half to row 0, the mean half to the patches.
            var (classOut, meanOut) = Halves(context, r.Output, b, d);
            var (classRel, meanRel) = Halves(context, outputRelevance, b, d);
            var rx = rule.Mean(context, r.Tokens, b, n, d, PrefixTokens, n - PrefixTokens, meanOut, meanRel);
            var rClass = rule.Select(context, classOut, classRel);
            for (int i = 0; i < b; i++) ops.AddAt(rx, (long)i * n * d, rClass, (long)i * d, d);
            foreach (var t in new[] { classOut, meanOut, classRel, meanRel }) context.Return(t);
            if (!ReferenceEquals(rClass.Data, classRel.Data)) context.Return(rClass);
            return rx;
        }
        var rSelected = rule.Select(context, r.Output, outputRelevance);
        var rt = context.Rent(r.Tokens.Shape);
        ops.Clear(rt);
        for (int i = 0; i < b; i++) ops.Copy(rSelected, (long)i * Rows * d, rt, (long)i * n * d, (long)Rows * d);
        context.Return(rSelected);
        return rt;
    }

    static (Tensor First, Tensor Second) Halves(PassContext context, Tensor joined, int b, int d)
    {
        var first = context.Rent(b, 1, d);
        var second = context.Rent(b, 1, d);
        for (int i = 0; i < b; i++)
        {
            context.Backend.Copy(joined, (long)i * 2 * d, first, (long)i * d, d);
            context.Backend.Copy(joined, (long)i * 2 * d + d, second, (long)i * d, d);
        }
        return (first, second);
    }
}
