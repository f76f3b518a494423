using System.Numerics.Tensors;
using Vitmix.Engine;

namespace Vitmix.Model;

/// <summary>
/// Reverse-mode differentiation of a recorded <see cref="ForwardTrace"/>: from dL/dlogits back to the input,
/// optionally recording dL/dA for every block's attention probabilities and accumulating parameter gradients.
/// Samples are independent, so a batch of per-sample scores differentiates each sample on its own.
/// The pass runs block by block (<see cref="BackwardBlock"/>) so a caller can interleave it with the relevance pass
/// and drop each block's activations as soon as both are done with them.
/// </summary>
public sealed class BackwardPass
{
    readonly VisionTransformer _model;
    readonly ForwardTrace _trace;
    readonly VitWeights? _grads;
    int _b => _trace.Batch;

    /// <param name="model">The network the trace was recorded on.</param>
    /// <param name="trace">A recorded forward pass (<see cref="VisionTransformer.Run"/> with record).</param>
    /// <param name="gradients">When non-null, parameter gradients are added into it (see <see cref="VitGradients.ZerosLike"/>).
    /// LayerScale γ receives no gradient (treated as frozen).</param>
    public BackwardPass(VisionTransformer model, ForwardTrace trace, VitWeights? gradients = null)
    {
        _model = model;
        _trace = trace;
        _grads = gradients;
    }

    /// <summary>dL/dA per block (B,H,N,N), filled by <see cref="BackwardBlock"/> when <see cref="RecordAttentionGradients"/>.</summary>
    public float[]?[] AttentionGradients { get; private set; } = [];
    public bool RecordAttentionGradients { get; init; }

    /// <summary>Runs the whole pass and returns dL/dinput (B,C,H,W).</summary>
    public float[] Run(ReadOnlySpan<float> dLogits)
    {
        var d = Head(dLogits);
        for (int l = _model.Config.Depth - 1; l >= 0; l--) d = BackwardBlock(l, d);
        return Embedding(d);
    }

    /// <summary>From dL/dlogits (B,K) to dL/d(residual stream after the last block) (B,N,D).</summary>
    public float[] Head(ReadOnlySpan<float> dLogits)
    {
        var c = _model.Config;
        var w = _model.Weights;
        int b = _b, d = c.EmbedDim, k = c.NumClasses, heads = _model.HeadCount, n = c.NumTokens;
        if (AttentionGradients.Length == 0) AttentionGradients = new float[]?[c.Depth];
        var dPooled = new float[b * heads * d];
        var dl = new float[k];
        for (int i = 0; i < b; i++)
        {
            // Distilled DeiT averages its two heads: each receives half the gradient.
            TensorPrimitives.Multiply(dLogits.Slice(i * k, k), 1f / heads, dl);
            for (int t = 0; t < heads; t++)
            {
                var hw = t == 0 ? w.HeadWeight : w.HeadDistWeight!;
                Gemm.Multiply(false, false, 1, d, k, 1f, dl, k, hw, d, 0f, dPooled.AsSpan((i * heads + t) * d, d), d);
                if (_grads != null)
                {
                    var gw = t == 0 ? _grads.HeadWeight : _grads.HeadDistWeight!;
                    var gb = t == 0 ? _grads.HeadBias : _grads.HeadDistBias!;
                    Gemm.Multiply(true, false, k, d, 1, 1f, dl, k, _trace.Pooled.AsSpan((i * heads + t) * d, d), d, 1f, gw, d);
                    TensorPrimitives.Add(gb, dl, gb);
                }
            }
        }
        var dRaw = new float[b * heads * d];
        var (nw, gnw, gnb) = c.FcNorm ? (w.FcNormWeight!, _grads?.FcNormWeight, _grads?.FcNormBias) : (w.NormWeight!, _grads?.NormWeight, _grads?.NormBias);
        LayerNorm.Backward(_trace.PooledRaw, dPooled, b * heads, d, nw, _trace.PooledMean, _trace.PooledRstd, dRaw,
            gnw ?? default(Span<float>), gnb ?? default(Span<float>));
        var dx = new float[b * n * d];
        for (int i = 0; i < b; i++)
        {
            if (c.Pool == GlobalPool.Token)
                for (int t = 0; t < heads; t++)
                    dRaw.AsSpan((i * heads + t) * d, d).CopyTo(dx.AsSpan((i * n + t) * d, d));
            else
                for (int t = c.NumPrefixTokens; t < n; t++)
                    TensorPrimitives.Multiply(dRaw.AsSpan(i * d, d), 1f / c.NumPatches, dx.AsSpan((i * n + t) * d, d));
        }
        return dx;
    }

    /// <summary>dL/d(block output) → dL/d(block input) for block <paramref name="l"/>.</summary>
    public float[] BackwardBlock(int l, float[] dOut)
    {
        var c = _model.Config;
        var w = _model.Weights.Blocks[l];
        var g = _grads?.Blocks[l];
        var t = _trace.Blocks[l] ?? throw new InvalidOperationException($"block {l} activations were already released");
        int b = _b, n = c.NumTokens, d = c.EmbedDim, hm = c.MlpHidden, rows = b * n;

        // x_out = middle + ls2·fc2(gelu(fc1(norm2(middle))))
        var dBranch = Scaled(dOut, w.LayerScale2, rows, d);
        var dHidden = new float[rows * hm];
        LinearBackward(dBranch, t.Hidden, w.Fc2Weight, dHidden, rows, hm, d, g?.Fc2Weight, g?.Fc2Bias);
        var dFc1 = dHidden; // in place: GELU backward
        Gelu.Backward(t.Fc1, dHidden, dFc1);
        var dNorm2 = new float[rows * d];
        LinearBackward(dFc1, t.Norm2, w.Fc1Weight, dNorm2, rows, d, hm, g?.Fc1Weight, g?.Fc1Bias);
        var dMiddle = new float[rows * d];
        LayerNorm.Backward(t.Middle, dNorm2, rows, d, w.Norm2Weight, t.Norm2Mean, t.Norm2Rstd, dMiddle,
            g?.Norm2Weight ?? default(Span<float>), g?.Norm2Bias ?? default(Span<float>));
        TensorPrimitives.Add(dMiddle, dOut, dMiddle);

        // middle = x + ls1·proj(attention(norm1(x)))
        var dAttnBranch = Scaled(dMiddle, w.LayerScale1, rows, d);
        var dContext = new float[rows * d];
        LinearBackward(dAttnBranch, t.Context, w.ProjWeight, dContext, rows, d, d, g?.ProjWeight, g?.ProjBias);
        var dQkv = new float[rows * 3 * d];
        AttentionBackward(t, dContext, dQkv, l);
        var dNorm1 = new float[rows * d];
        LinearBackward(dQkv, t.Norm1, w.QkvWeight, dNorm1, rows, d, 3 * d, g?.QkvWeight, g?.QkvBias);
        var dx = new float[rows * d];
        LayerNorm.Backward(t.Input, dNorm1, rows, d, w.Norm1Weight, t.Norm1Mean, t.Norm1Rstd, dx,
            g?.Norm1Weight ?? default(Span<float>), g?.Norm1Bias ?? default(Span<float>));
        TensorPrimitives.Add(dx, dMiddle, dx);
        return dx;
    }

    /// <summary>dL/d(tokens after position embedding) → dL/dinput (B,C,H,W); accumulates embedding gradients.</summary>
    public float[] Embedding(float[] dTokens)
    {
        var c = _model.Config;
        int b = _b, n = c.NumTokens, d = c.EmbedDim, p = c.NumPatches, prefix = c.NumPrefixTokens;
        if (_grads != null)
        {
            int offset = c.NoEmbedClass ? prefix * d : 0;
            for (int i = 0; i < b; i++)
            {
                TensorPrimitives.Add(_grads.PosEmbed, dTokens.AsSpan(i * n * d + offset, c.NumPositions * d), _grads.PosEmbed);
                int tok = 0;
                if (c.ClassToken) { TensorPrimitives.Add(_grads.ClassToken!, dTokens.AsSpan((i * n + tok) * d, d), _grads.ClassToken); tok++; }
                if (c.Distilled) { TensorPrimitives.Add(_grads.DistToken!, dTokens.AsSpan((i * n + tok) * d, d), _grads.DistToken); tok++; }
                if (c.RegisterTokens > 0)
                    TensorPrimitives.Add(_grads.RegisterTokens!, dTokens.AsSpan((i * n + tok) * d, c.RegisterTokens * d), _grads.RegisterTokens);
            }
        }
        var dPatchTokens = new float[b * p * d];
        for (int i = 0; i < b; i++)
            dTokens.AsSpan((i * n + prefix) * d, p * d).CopyTo(dPatchTokens.AsSpan(i * p * d));
        var dPatches = new float[b * p * c.PatchDim];
        LinearBackward(dPatchTokens, _trace.Patches, _model.Weights.PatchWeight, dPatches, b * p, c.PatchDim, d,
            _grads?.PatchWeight, _grads?.PatchBias);
        var dInput = new float[_trace.Input.Length];
        Im2Col.Fold(dPatches, b, c.InChannels, c.ImageHeight, c.ImageWidth, c.PatchSize, dInput);
        return dInput;
    }

    void AttentionBackward(BlockTrace t, float[] dContext, float[] dQkv, int l)
    {
        var c = _model.Config;
        int b = _b, n = c.NumTokens, d = c.EmbedDim, h = c.NumHeads, hd = c.HeadDim;
        float scale = 1f / MathF.Sqrt(hd);
        float[]? record = RecordAttentionGradients ? new float[b * h * n * n] : null;
        var dA = new float[n * n];
        for (int i = 0; i < b; i++)
            for (int head = 0; head < h; head++)
            {
                int q = i * n * 3 * d + head * hd, kOff = q + d, vOff = q + 2 * d;
                var a = t.Attention.AsSpan((i * h + head) * n * n, n * n);
                var dCtx = dContext.AsSpan(i * n * d + head * hd);
                Gemm.Multiply(false, true, n, n, hd, 1f, dCtx, d, t.Qkv.AsSpan(vOff), 3 * d, 0f, dA, n);
                if (record != null) dA.AsSpan().CopyTo(record.AsSpan((i * h + head) * n * n, n * n));
                Gemm.Multiply(true, false, n, hd, n, 1f, a, n, dCtx, d, 0f, dQkv.AsSpan(vOff), 3 * d);
                Softmax.RowsBackward(a, dA, dA, n, n);
                Gemm.Multiply(false, false, n, hd, n, scale, dA, n, t.Qkv.AsSpan(kOff), 3 * d, 0f, dQkv.AsSpan(q), 3 * d);
                Gemm.Multiply(true, false, n, hd, n, scale, dA, n, t.Qkv.AsSpan(q), 3 * d, 0f, dQkv.AsSpan(kOff), 3 * d);
            }
        if (record != null) AttentionGradients[l] = record;
    }

    /// <summary>y = x·Wᵀ + b: dx = dy·W; dW += dyᵀ·x; db += Σ_rows dy.</summary>
    internal static void LinearBackward(float[] dy, float[] x, float[] weight, float[] dx, int rows, int inDim, int outDim,
        float[]? dWeight, float[]? dBias)
    {
        Gemm.Multiply(false, false, rows, inDim, outDim, 1f, dy, outDim, weight, inDim, 0f, dx, inDim);
        if (dWeight != null) Gemm.Multiply(true, false, outDim, inDim, rows, 1f, dy, outDim, x, inDim, 1f, dWeight, inDim);
        if (dBias != null)
            for (int r = 0; r < rows; r++) TensorPrimitives.Add(dBias, dy.AsSpan(r * outDim, outDim), dBias);
    }

    static float[] Scaled(float[] dy, float[]? gamma, int rows, int d)
    {
        if (gamma == null) return dy;
        var r = new float[dy.Length];
        for (int i = 0; i < rows; i++) TensorPrimitives.Multiply(dy.AsSpan(i * d, d), gamma, r.AsSpan(i * d, d));
        return r;
    }
}
