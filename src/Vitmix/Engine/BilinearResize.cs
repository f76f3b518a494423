namespace Vitmix.Engine;

/// <summary>
/// Bilinear resampling with PyTorch F.interpolate(mode='bilinear', align_corners=False, antialias=False) semantics:
/// output index i reads source (i + 0.5)·(in/out) − 0.5, clamped below at 0; the upper neighbour is clamped at in−1.
/// (placeholder; the engine work replaces it)
/// </summary>
public static class BilinearResize
{
    public static void Resize(ReadOnlySpan<float> src, int srcH, int srcW, Span<float> dst, int dstH, int dstW)
    {
        float sh = (float)srcH / dstH, sw = (float)srcW / dstW;
        for (int y = 0; y < dstH; y++)
        {
            float fy = Math.Max((y + 0.5f) * sh - 0.5f, 0f);
            int y0 = (int)fy; int y1 = Math.Min(y0 + 1, srcH - 1); float ly = fy - y0;
            for (int x = 0; x < dstW; x++)
            {
                float fx = Math.Max((x + 0.5f) * sw - 0.5f, 0f);
                int x0 = (int)fx; int x1 = Math.Min(x0 + 1, srcW - 1); float lx = fx - x0;
                dst[y * dstW + x] = (1 - ly) * ((1 - lx) * src[y0 * srcW + x0] + lx * src[y0 * srcW + x1])
                                  + ly * ((1 - lx) * src[y1 * srcW + x0] + lx * src[y1 * srcW + x1]);
            }
        }
    }
}
