namespace Vitmix.Engine;

/// <summary>Non-overlapping patch extraction: a stride-p, kernel-p convolution seen as a matrix product.</summary>
public static class Im2Col
{
    /// <summary>
    /// (B,C,H,W) → (B·gh·gw, C·p·p): patches row-major over the grid, each flattened in (c, ky, kx) order,
    /// the order of a Conv2d weight reshaped to (D, C·p·p).
    /// </summary>
    public static void Unfold(ReadOnlySpan<float> images, int b, int channels, int height, int width, int p, Span<float> patches)
    {
        int gh = height / p, gw = width / p, pd = channels * p * p;
        for (int i = 0; i < b; i++)
            for (int r = 0; r < gh; r++)
                for (int col = 0; col < gw; col++)
                {
                    var dst = patches.Slice(((i * gh + r) * gw + col) * pd, pd);
                    for (int ch = 0; ch < channels; ch++)
                        for (int ky = 0; ky < p; ky++)
                            images.Slice(((i * channels + ch) * height + r * p + ky) * width + col * p, p)
                                .CopyTo(dst.Slice((ch * p + ky) * p, p));
                }
    }

    /// <summary>Inverse scatter of <see cref="Unfold"/> (the transposed convolution's layout step).</summary>
    public static void Fold(ReadOnlySpan<float> patches, int b, int channels, int height, int width, int p, Span<float> images)
    {
        int gh = height / p, gw = width / p, pd = channels * p * p;
        for (int i = 0; i < b; i++)
            for (int r = 0; r < gh; r++)
                for (int col = 0; col < gw; col++)
                {
                    var src = patches.Slice(((i * gh + r) * gw + col) * pd, pd);
                    for (int ch = 0; ch < channels; ch++)
                        for (int ky = 0; ky < p; ky++)
                            src.Slice((ch * p + ky) * p, p)
                                .CopyTo(images.Slice(((i * channels + ch) * height + r * p + ky) * width + col * p, p));
                }
    }
}
