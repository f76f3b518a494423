using System.Numerics.Tensors;
using Vitmix.Engine;

namespace Vitmix.Model.Relevance;

/// <summary>
/// The relevance pass of Chefer, Gur &amp; Wolf (2021) over a recorded forward pass: which rule of
/// <see cref="LrpRules"/> applies where. Linear layers (head, qkv, proj, fc1, fc2) take the alpha-1/beta-0 rule;
/// LayerNorm, GELU and softmax pass relevance unchanged; residual additions split by the normalised rule; the two
/// attention products (q·kᵀ before scaling, and A·v) split gradient×input with halving; the patch embedding takes
/// the z^B rule. Every sum a rule takes is per sample. Runs block by block so a caller can interleave it with the
/// backward pass and release each block's activations as soon as both are done.
/// </summary>
public sealed class RelevancePass
{
    readonly VisionTransformer _model;
    readonly ForwardTrace _trace;
    float[] _split = [];
    float[] _scratch = [];

    public RelevancePass(VisionTransformer model, ForwardTrace trace)
    {
        _model = model;
        _trace = trace;
        AttentionRelevance = new float[]?[model.Config.Depth];
    }

    /// <summary>Relevance of every block's attention probabilities (B,H,N,N), after the halving of the A·v split.</summary>
    public float[]?[] AttentionRelevance { get; }

    /// <summary>From the start relevance at the logits (B,K), usually one-hot of the target, to the last block's output (B,N,D).</summary>
    public float[] Head(ReadOnlySpan<float> logitRelevance)
    {
        var c = _model.Config;
        var w = _model.Weights;
        int b = _trace.Batch, d = c.EmbedDim, k = c.NumClasses, heads = _model.HeadCount, n = c.NumTokens;
        var rPooled = new float[b * heads * d];
        var r = new float[k];
        for (int t = 0; t < heads; t++)
        {
            var hw = t == 0 ? w.HeadWeight : w.HeadDistWeight!;
            EnsureSplit(k, d);
            LrpRules.SplitWeights(hw, k, d, _split);
            var x = new float[d];
            var rx = new float[d];
            for (int i = 0; i < b; i++)
            {
                // A distilled DeiT averages two heads; each explains its share of the target's relevance.
                TensorPrimitives.Multiply(logitRelevance.Slice(i * k, k), 1f / heads, r);
                _trace.Pooled.AsSpan((i * heads + t) * d, d).CopyTo(x);
                LrpRules.AlphaOneBetaZero(x, _split, r, rx, 1, d, k, Scratch(2 * d + k));
                rx.CopyTo(rPooled.AsSpan((i * heads + t) * d, d));
            }
        }
        // The final LayerNorm passes relevance; pooling sends it to the pooled token(s) only.
        var rx2 = new float[b * n * d];
        for (int i = 0; i < b; i++)
        {
            if (c.Pool == GlobalPool.Token)
            {
                for (int t = 0; t < heads; t++)
                {
                    var x0 = _trace.Pooled.AsSpan((i * heads + t) * d, d);
                    var r0 = rPooled.AsSpan((i * heads + t) * d, d);
                    var dst = rx2.AsSpan((i * n + t) * d, d);
                    for (int j = 0; j < d; j++) dst[j] = x0[j] * LrpRules.SafeDivide(r0[j], x0[j]);
                }
            }
            else
            {
                // Mean over patch tokens, LRP-0: R_t = (x_t / P) ⊙ (R ⊘ mean).
                var mean = _trace.PooledRaw.AsSpan(i * d, d);
                var r0 = rPooled.AsSpan(i * d, d);
                var s = new float[d];
                LrpRules.SafeDivide(r0, mean, s);
                TensorPrimitives.Multiply(s, 1f / c.NumPatches, s);
                for (int t = c.NumPrefixTokens; t < n; t++)
                    TensorPrimitives.Multiply(_trace.Output.AsSpan((i * n + t) * d, d), s, rx2.AsSpan((i * n + t) * d, d));
            }
        }
        return rx2;
    }

    /// <summary>Relevance of block <paramref name="l"/>'s output (B,N,D) → relevance of its input.</summary>
    public float[] RelevanceBlock(int l, float[] rOut)
    {
        var c = _model.Config;
        var w = _model.Weights.Blocks[l];
        var t = _trace.Blocks[l] ?? throw new InvalidOperationException($"block {l} activations were already released");
        int b = _trace.Batch, n = c.NumTokens, d = c.EmbedDim, hm = c.MlpHidden, rows = b * n, per = n * d;

        // Second residual: output = middle + mlp branch (LayerScale γ passes relevance unchanged).
        var rMiddleSkip = new float[rows * d];
        var rBranch = new float[rows * d];
        for (int i = 0; i < b; i++)
            LrpRules.ResidualSplit(rOut.AsSpan(i * per, per), t.Middle.AsSpan(i * per, per), t.MlpBranch.AsSpan(i * per, per),
                rMiddleSkip.AsSpan(i * per, per), rBranch.AsSpan(i * per, per));
        var rHidden = new float[rows * hm];
        Linear(t.Hidden, w.Fc2Weight, rBranch, rHidden, rows, hm, d);   // fc2 (GELU passes)
        var rNorm2 = new float[rows * d];
        Linear(t.Norm2, w.Fc1Weight, rHidden, rNorm2, rows, d, hm);     // fc1 (LN2 passes)
        LrpRules.BranchPoint(t.Middle, rMiddleSkip, rNorm2, rMiddleSkip);

        // First residual: middle = input + attention branch.
        var rInputSkip = new float[rows * d];
        var rAttn = rBranch;
        for (int i = 0; i < b; i++)
            LrpRules.ResidualSplit(rMiddleSkip.AsSpan(i * per, per), t.Input.AsSpan(i * per, per), t.AttnBranch.AsSpan(i * per, per),
                rInputSkip.AsSpan(i * per, per), rAttn.AsSpan(i * per, per));
        var rContext = rNorm2;
        Linear(t.Context, w.ProjWeight, rAttn, rContext, rows, d, d);
        var rQkv = new float[rows * 3 * d];
        AttentionRelevance[l] = Attention(t, rContext, rQkv);
        var rNorm1 = rAttn;
        Linear(t.Norm1, w.QkvWeight, rQkv, rNorm1, rows, d, 3 * d);      // qkv (LN1 passes)
        LrpRules.BranchPoint(t.Input, rInputSkip, rNorm1, rInputSkip);
        return rInputSkip;
    }

    /// <summary>
    /// Full LRP to pixels: the residual rule on (tokens, position embedding) keeping the token part, prefix tokens
    /// dropped, then the z^B rule through the patch embedding with the bounds l = min and h = max of each sample's
    /// input; summed over channels → (B, H, W).
    /// </summary>
    public float[] Pixels(float[] rTokens)
    {
        var c = _model.Config;
        int b = _trace.Batch, n = c.NumTokens, d = c.EmbedDim, p = c.NumPatches, prefix = c.NumPrefixTokens, pd = c.PatchDim;
        var rPatchTokens = new float[b * p * d];
        var pos = new float[n * d];
        int posOffset = c.NoEmbedClass ? prefix * d : 0;
        _model.Weights.PosEmbed.CopyTo(pos, posOffset);
        var ra = new float[n * d];
        var rb = new float[n * d];
        for (int i = 0; i < b; i++)
        {
            var tokens = _trace.Tokens.AsSpan(i * n * d, n * d);
            var r = rTokens.AsSpan(i * n * d, n * d);
            if (c.NoEmbedClass)
            {
                // The embedding was added to the patch tokens alone, before the prefix tokens were prepended.
                LrpRules.ResidualSplit(r[(prefix * d)..], tokens[(prefix * d)..], pos.AsSpan(prefix * d), ra.AsSpan(prefix * d), rb.AsSpan(prefix * d));
            }
            else LrpRules.ResidualSplit(r, tokens, pos, ra, rb);
            ra.AsSpan(prefix * d, p * d).CopyTo(rPatchTokens.AsSpan(i * p * d));
        }

        // z^B rule on the patch embedding seen as a linear map on unfolded patches.
        var wt = _model.Weights.PatchWeight;
        var wPos = new float[wt.Length];
        var wNeg = new float[wt.Length];
        TensorPrimitives.Max(wt, 0f, wPos);
        TensorPrimitives.Min(wt, 0f, wNeg);
        var sumPos = new float[d];
        var sumNeg = new float[d];
        for (int o = 0; o < d; o++)
        {
            sumPos[o] = TensorPrimitives.Sum(wPos.AsSpan(o * pd, pd));
            sumNeg[o] = TensorPrimitives.Sum(wNeg.AsSpan(o * pd, pd));
        }
        var pixels = new float[b * c.ImageHeight * c.ImageWidth];
        var z = new float[p * d];
        var rx = new float[p * pd];
        var tmp = new float[p * pd];
        var image = new float[c.InChannels * c.ImageHeight * c.ImageWidth];
        int plane = c.ImageHeight * c.ImageWidth;
        for (int i = 0; i < b; i++)
        {
            var x = _trace.Patches.AsSpan(i * p * pd, p * pd);
            var input = _trace.Input.AsSpan(i * c.InChannels * plane, c.InChannels * plane);
            float lo = TensorPrimitives.Min(input), hi = TensorPrimitives.Max(input);
            Gemm.Multiply(false, true, p, d, pd, 1f, x, pd, wt, pd, 0f, z, d);
            for (int q = 0; q < p; q++)
                for (int o = 0; o < d; o++)
                    z[q * d + o] = z[q * d + o] - lo * sumPos[o] - hi * sumNeg[o] + 1e-9f;
            var r = rPatchTokens.AsSpan(i * p * d, p * d);
            TensorPrimitives.Divide(r, z, z); // S = R / Za, plain division as the reference
            Gemm.Multiply(false, false, p, pd, d, 1f, z, d, wt, pd, 0f, rx, pd);
            TensorPrimitives.Multiply(rx, x, rx);
            Gemm.Multiply(false, false, p, pd, d, 1f, z, d, wPos, pd, 0f, tmp, pd);
            TensorPrimitives.MultiplyAdd(tmp, -lo, rx, rx);
            Gemm.Multiply(false, false, p, pd, d, 1f, z, d, wNeg, pd, 0f, tmp, pd);
            TensorPrimitives.MultiplyAdd(tmp, -hi, rx, rx);
            Im2Col.Fold(rx, 1, c.InChannels, c.ImageHeight, c.ImageWidth, c.PatchSize, image);
            var dst = pixels.AsSpan(i * plane, plane);
            image.AsSpan(0, plane).CopyTo(dst);
            for (int ch = 1; ch < c.InChannels; ch++) TensorPrimitives.Add(dst, image.AsSpan(ch * plane, plane), dst);
        }
        return pixels;
    }

    /// <summary>Relevance through attention for every (sample, head); returns R_A (B,H,N,N) and fills rQkv.</summary>
    float[] Attention(BlockTrace t, float[] rContext, float[] rQkv)
    {
        var c = _model.Config;
        int b = _trace.Batch, n = c.NumTokens, d = c.EmbedDim, h = c.NumHeads, hd = c.HeadDim;
        var rA = new float[b * h * n * n];
        var s = new float[n * hd];
        var g = new float[n * hd];
        var nn = new float[n * n];
        var z = new float[n * n];
        for (int i = 0; i < b; i++)
            for (int head = 0; head < h; head++)
            {
                int qOff = i * n * 3 * d + head * hd, kOff = qOff + d, vOff = qOff + 2 * d;
                var qkv = t.Qkv.AsSpan();
                var a = t.Attention.AsSpan((i * h + head) * n * n, n * n);
                var ra = rA.AsSpan((i * h + head) * n * n, n * n);
                // context = A·v: S = R ⊘ context, R_A = A ⊙ (S·vᵀ)/2, R_v = v ⊙ (Aᵀ·S)/2
                for (int r = 0; r < n; r++)
                {
                    int off = (i * n + r) * d + head * hd;
                    LrpRules.SafeDivide(rContext.AsSpan(off, hd), t.Context.AsSpan(off, hd), s.AsSpan(r * hd, hd));
                }
                Gemm.Multiply(false, true, n, n, hd, 1f, s, hd, qkv[vOff..], 3 * d, 0f, nn, n);
                TensorPrimitives.Multiply(a, nn, ra);
                TensorPrimitives.Multiply(ra, 0.5f, ra);
                Gemm.Multiply(true, false, n, hd, n, 1f, a, n, s, hd, 0f, g, hd);
                HalfProduct(qkv, vOff, g, rQkv, n, hd, 3 * d);
                // scores = q·kᵀ before the 1/√d scaling; softmax passes R_A unchanged.
                Gemm.Multiply(false, true, n, n, hd, 1f, qkv[qOff..], 3 * d, qkv[kOff..], 3 * d, 0f, z, n);
                LrpRules.SafeDivide(ra, z, z);
                Gemm.Multiply(false, false, n, hd, n, 1f, z, n, qkv[kOff..], 3 * d, 0f, g, hd);
                HalfProduct(qkv, qOff, g, rQkv, n, hd, 3 * d);
                Gemm.Multiply(true, false, n, hd, n, 1f, z, n, qkv[qOff..], 3 * d, 0f, g, hd);
                HalfProduct(qkv, kOff, g, rQkv, n, hd, 3 * d);
            }
        return rA;
    }

    /// <summary>dst[r, off..off+hd] = src[r, off..] ⊙ g[r] / 2 over strided rows.</summary>
    static void HalfProduct(ReadOnlySpan<float> src, int offset, ReadOnlySpan<float> g, Span<float> dst, int n, int hd, int ld)
    {
        for (int r = 0; r < n; r++)
        {
            var dr = dst.Slice(offset + r * ld, hd);
            TensorPrimitives.Multiply(src.Slice(offset + r * ld, hd), g.Slice(r * hd, hd), dr);
            TensorPrimitives.Multiply(dr, 0.5f, dr);
        }
    }

    void Linear(float[] x, float[] weight, float[] rOut, float[] rIn, int rows, int inDim, int outDim)
    {
        EnsureSplit(outDim, inDim);
        LrpRules.SplitWeights(weight, outDim, inDim, _split);
        LrpRules.AlphaOneBetaZero(x, _split, rOut, rIn, rows, inDim, outDim, Scratch(rows * (2 * inDim + outDim)));
    }

    void EnsureSplit(int outDim, int inDim)
    {
        if (_split.Length < outDim * 2 * inDim) _split = new float[outDim * 2 * inDim];
    }

    Span<float> Scratch(int size)
    {
        if (_scratch.Length < size) _scratch = new float[size];
        return _scratch.AsSpan(0, size);
    }
}
