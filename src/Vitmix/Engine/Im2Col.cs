namespace Vitmix.Engine;

/// <summary>Non-overlapping patch extraction: a stride-p, kernel-p convolution seen as a matrix product.</summary>
public static unsafe class Im2Col
{
    /// <summary>
    /// (B,C,H,W) → (B·gh·gw, C·p·p): patches row-major over the grid, each flattened in (c, ky, kx) order,
    /// the order of a Conv2d weight reshaped to (D, C·p·p).
    /// </summary>
    public static void Unfold(ReadOnlySpan<float> images, int b, int channels, int height, int width, int p, Span<float> patches)
    {
        Check(images.Length, patches.Length, b, channels, height, width, p);
        fixed (float* pi = images, pp = patches)
            Walk(pi, pp, b, channels, height, width, p, fold: false);
    }

    /// <summary>Inverse scatter of <see cref="Unfold"/> (the transposed convolution's layout step).</summary>
    public static void Fold(ReadOnlySpan<float> patches, int b, int channels, int height, int width, int p, Span<float> images)
    {
        Check(images.Length, patches.Length, b, channels, height, width, p);
        fixed (float* pi = images, pp = patches)
            Walk(pi, pp, b, channels, height, width, p, fold: true);
    }

    static void Check(long images, long patches, int b, int channels, int height, int width, int p)
    {
        if (b < 0 || channels <= 0 || p <= 0 || height < 0 || width < 0 || height % p != 0 || width % p != 0)
            throw new ArgumentException($"patches of {p} px do not tile {b} images of {channels}x{height}x{width}");
        long pixels = (long)b * channels * height * width;
        if (images < pixels || patches < pixels)
            throw new ArgumentException($"{b} images of {channels}x{height}x{width} need {pixels} values; the images hold {images}, the patches {patches}");
    }

    /// <summary>Visits every patch row once, copying image → patches (unfold) or patches → image (fold).</summary>
    static void Walk(float* images, float* patches, int b, int channels, int height, int width, int p, bool fold)
    {
        int gh = height / p, gw = width / p, pd = channels * p * p;
        long rowBytes = (long)p * sizeof(float);
        for (int i = 0; i < b; i++)
            for (int r = 0; r < gh; r++)
                for (int col = 0; col < gw; col++)
                {
                    float* patch = patches + (((long)i * gh + r) * gw + col) * pd;
                    for (int ch = 0; ch < channels; ch++)
                        for (int ky = 0; ky < p; ky++)
                        {
                            float* pixel = images + (((long)i * channels + ch) * height + (long)r * p + ky) * width + (long)col * p;
                            float* row = patch + (ch * p + ky) * p;
                            if (fold) Buffer.MemoryCopy(row, pixel, rowBytes, rowBytes);
                            else Buffer.MemoryCopy(pixel, row, rowBytes, rowBytes);
                        }
                }
    }
}
