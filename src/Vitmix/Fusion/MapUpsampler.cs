namespace Vitmix.Fusion;

/// <summary>
/// Bilinear resize with PyTorch's <c>F.interpolate(mode="bilinear", align_corners=False)</c> semantics and no
/// antialiasing: output i reads source x = scale·(i + 0.5) − 0.5 with scale = src/dst, clamped below at 0; the upper
/// neighbour is clamped at src−1; all float32, rows then columns combined as PyTorch's CPU kernel does
/// (h0·(w0·a + w1·b) + h1·(w0·c + w1·d)). Works for any sizes, non-square and non-integer factors included.
/// </summary>
/// <remarks>A private twin of the engine's bilinear resize, kept so fusion can be checked against the golden files on its own.</remarks>
internal static class MapUpsampler
{
    public static void Resize(ReadOnlySpan<float> src, int srcH, int srcW, Span<float> dst, int dstH, int dstW)
    {
        if (srcH <= 0 || srcW <= 0 || dstH <= 0 || dstW <= 0)
            throw new ArgumentException($"cannot resize {srcH}x{srcW} to {dstH}x{dstW}");
        if (src.Length < srcH * srcW || dst.Length < dstH * dstW)
            throw new ArgumentException($"buffers of {src.Length} and {dst.Length} values are too small for {srcH}x{srcW} -> {dstH}x{dstW}");
        Span<int> x0 = dstW <= 1024 ? stackalloc int[dstW] : new int[dstW];
        Span<int> x1 = dstW <= 1024 ? stackalloc int[dstW] : new int[dstW];
        Span<float> wx0 = dstW <= 1024 ? stackalloc float[dstW] : new float[dstW];
        Span<float> wx1 = dstW <= 1024 ? stackalloc float[dstW] : new float[dstW];
        Indices(srcW, dstW, x0, x1, wx0, wx1);
        float scaleH = (float)srcH / dstH;
        for (int i = 0; i < dstH; i++)
        {
            Index(scaleH, i, srcH, out int y0, out int y1, out float wy0, out float wy1);
            var r0 = src.Slice(y0 * srcW, srcW);
            var r1 = src.Slice(y1 * srcW, srcW);
            var o = dst.Slice(i * dstW, dstW);
            for (int j = 0; j < dstW; j++)
            {
                float top = wx0[j] * r0[x0[j]] + wx1[j] * r0[x1[j]];
                float bottom = wx0[j] * r1[x0[j]] + wx1[j] * r1[x1[j]];
                o[j] = wy0 * top + wy1 * bottom;
            }
        }
    }

    public static float[] Resize(ReadOnlySpan<float> src, int srcH, int srcW, int dstH, int dstW)
    {
        var dst = new float[dstH * dstW];
        Resize(src, srcH, srcW, dst, dstH, dstW);
        return dst;
    }

    static void Indices(int srcSize, int dstSize, Span<int> i0, Span<int> i1, Span<float> w0, Span<float> w1)
    {
        float scale = (float)srcSize / dstSize;
        for (int i = 0; i < dstSize; i++) Index(scale, i, srcSize, out i0[i], out i1[i], out w0[i], out w1[i]);
    }

    static void Index(float scale, int dst, int srcSize, out int i0, out int i1, out float w0, out float w1)
    {
        float x = scale * (dst + 0.5f) - 0.5f;
        if (x < 0f) x = 0f;
        i0 = (int)x;
        i1 = i0 < srcSize - 1 ? i0 + 1 : i0;
        w1 = x - i0;
        w0 = 1f - w1;
    }
}
