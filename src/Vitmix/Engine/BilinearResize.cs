namespace Vitmix.Engine;

/// <summary>
/// Resampling of one-channel maps with PyTorch's F.interpolate semantics (align_corners=False,
/// antialias=False), reproduced step by step in float32 as PyTorch's CPU kernel computes it, so maps
/// match the reference code: grid maps upsampled by the patch size, pixel maps downsampled to the grid,
/// position embeddings resampled to a new grid (bicubic).
/// </summary>
public static class BilinearResize
{
    /// <summary>
    /// Bilinear: source coordinate s = (d + 0.5)·(in/out) - 0.5 clamped below at 0; the lower neighbour is
    /// floor(s), the upper one floor(s)+1 clamped at size-1, weights λ = s - floor(s) and 1 - λ.
    /// </summary>
    public static void Resize(ReadOnlySpan<float> src, int srcH, int srcW, Span<float> dst, int dstH, int dstW)
    {
        Check(src.Length, srcH, srcW, dst.Length, dstH, dstW);
        Span<int> x0 = dstW <= 1024 ? stackalloc int[dstW] : new int[dstW];
        Span<int> x1 = dstW <= 1024 ? stackalloc int[dstW] : new int[dstW];
        Span<float> lx0 = dstW <= 1024 ? stackalloc float[dstW] : new float[dstW];
        Span<float> lx1 = dstW <= 1024 ? stackalloc float[dstW] : new float[dstW];
        LinearIndices(srcW, dstW, x0, x1, lx0, lx1);
        float scaleH = (float)srcH / dstH;
        for (int oy = 0; oy < dstH; oy++)
        {
            LinearIndex(scaleH, oy, srcH, out int h0, out int h1, out float lh0, out float lh1);
            var r0 = src.Slice(h0 * srcW, srcW);
            var r1 = src.Slice(h1 * srcW, srcW);
            var d = dst.Slice(oy * dstW, dstW);
            for (int ox = 0; ox < dstW; ox++)
            {
                // PyTorch's order: interpolate along width inside each source row, then along height.
                float top = r0[x0[ox]] * lx0[ox] + r0[x1[ox]] * lx1[ox];
                float bottom = r1[x0[ox]] * lx0[ox] + r1[x1[ox]] * lx1[ox];
                d[ox] = top * lh0 + bottom * lh1;
            }
        }
    }

    /// <summary>
    /// Bicubic (Keys 1981 convolution with A = -0.75, PyTorch's choice): source coordinate
    /// s = (d + 0.5)·(in/out) - 0.5 (not clamped), taps floor(s)-1 … floor(s)+2 clamped to the border.
    /// </summary>
    public static void ResizeBicubic(ReadOnlySpan<float> src, int srcH, int srcW, Span<float> dst, int dstH, int dstW)
    {
        Check(src.Length, srcH, srcW, dst.Length, dstH, dstW);
        var xi = new int[dstW * 4];
        var xw = new float[dstW * 4];
        float scaleW = (float)srcW / dstW, scaleH = (float)srcH / dstH;
        for (int ox = 0; ox < dstW; ox++) CubicTaps(scaleW, ox, srcW, xi.AsSpan(ox * 4, 4), xw.AsSpan(ox * 4, 4));
        Span<int> yi = stackalloc int[4];
        Span<float> yw = stackalloc float[4];
        for (int oy = 0; oy < dstH; oy++)
        {
            CubicTaps(scaleH, oy, srcH, yi, yw);
            for (int ox = 0; ox < dstW; ox++)
            {
                float output = 0f;
                for (int i = 0; i < 4; i++)
                {
                    var row = src.Slice(yi[i] * srcW, srcW);
                    float t = row[xi[ox * 4]] * xw[ox * 4];
                    for (int j = 1; j < 4; j++) t += row[xi[ox * 4 + j]] * xw[ox * 4 + j];
                    output = i == 0 ? t * yw[0] : output + t * yw[i];
                }
                dst[oy * dstW + ox] = output;
            }
        }
    }

    static void LinearIndices(int inSize, int outSize, Span<int> i0, Span<int> i1, Span<float> l0, Span<float> l1)
    {
        float scale = (float)inSize / outSize;
        for (int o = 0; o < outSize; o++) LinearIndex(scale, o, inSize, out i0[o], out i1[o], out l0[o], out l1[o]);
    }

    static void LinearIndex(float scale, int o, int inSize, out int i0, out int i1, out float l0, out float l1)
    {
        float real = scale * (o + 0.5f) - 0.5f;
        if (real < 0f) real = 0f;
        i0 = Math.Min((int)MathF.Floor(real), inSize - 1);
        i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
        l1 = Math.Clamp(real - i0, 0f, 1f);
        l0 = 1f - l1;
    }

    static void CubicTaps(float scale, int o, int inSize, Span<int> index, Span<float> weight)
    {
        const float A = -0.75f;
        float real = scale * (o + 0.5f) - 0.5f;
        int i0 = (int)MathF.Floor(real);
        float t = real - i0;
        weight[0] = Cubic2(t + 1f, A);
        weight[1] = Cubic1(t, A);
        float u = 1f - t;
        weight[2] = Cubic1(u, A);
        weight[3] = Cubic2(u + 1f, A);
        for (int j = 0; j < 4; j++) index[j] = Math.Clamp(i0 - 1 + j, 0, inSize - 1);
    }

    // Keys' kernel for |x| ≤ 1 and for 1 < |x| < 2, in PyTorch's evaluation order.
    static float Cubic1(float x, float a) => ((a + 2f) * x - (a + 3f)) * x * x + 1f;
    static float Cubic2(float x, float a) => ((a * x - 5f * a) * x + 8f * a) * x - 4f * a;

    static void Check(int srcLen, int srcH, int srcW, int dstLen, int dstH, int dstW)
    {
        if (srcH <= 0 || srcW <= 0 || dstH <= 0 || dstW <= 0)
            throw new ArgumentException($"resize from {srcH}x{srcW} to {dstH}x{dstW}: sizes must be positive");
        if (srcLen < (long)srcH * srcW) throw new ArgumentException($"source has {srcLen} elements, {srcH}x{srcW} needs {srcH * srcW}", "src");
        if (dstLen < (long)dstH * dstW) throw new ArgumentException($"destination has {dstLen} elements, {dstH}x{dstW} needs {dstH * dstW}", "dst");
    }
}
