namespace Vitmix.Data;

/// <summary>
/// Resizes 8-bit RGB images exactly as Pillow's <c>Image.resize(size, filter)</c> does (libImaging/Resample.c),
/// because timm, torchvision and Hugging Face all resize PIL images before normalising.
/// </summary>
/// <remarks>
/// Matched from Pillow ≥ 7: separable convolution, horizontal pass first into an 8-bit intermediate, then the
/// vertical pass; the kernel support is scaled by the downscale factor (antialiasing); tap window
/// [(int)(centre − support + 0.5), (int)(centre + support + 0.5)) clipped to the image; weights filter((i − centre + 0.5)/scale)
/// normalised to sum 1 in double, then converted to 22-bit fixed point (round half away from zero); each output
/// sum starts at 2^21 (rounding) and is clipped to 0..255 after the shift. A pass whose size does not change
/// is skipped, and a same-size resize is a copy. Nearest follows Pillow's affine nearest path:
/// source index = floor((i + 0.5) · in/out), with the position accumulated step by step as Pillow does.
/// </remarks>
public static class ImageResampler
{
    const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes to <paramref name="width"/> × <paramref name="height"/>.</summary>
    public static RgbImage Resize(RgbImage image, int width, int height, ResampleFilter filter)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"resize target {width}x{height}: both sides must be positive");
        if (width == image.Width && height == image.Height) return image with { Pixels = (byte[])image.Pixels.Clone() };
        if (filter == ResampleFilter.Nearest) return Nearest(image, width, height);

        var (support, kernel) = Kernel(filter);
        var (hBounds, hWeights, hSize) = Coefficients(image.Width, width, support, kernel);
        var (vBounds, vWeights, vSize) = Coefficients(image.Height, height, support, kernel);

        var src = image;
        bool needH = width != image.Width, needV = height != image.Height;
        if (needH)
        {
            // Only the source rows the vertical pass reads are resampled horizontally (as Pillow does).
            int first = needV ? vBounds[0] : 0;
            int last = needV ? vBounds[(height - 1) * 2] + vBounds[(height - 1) * 2 + 1] : image.Height;
            if (needV) for (int i = 0; i < height; i++) vBounds[i * 2] -= first;
            src = Horizontal(image, first, last - first, width, hBounds, hWeights, hSize);
        }
        if (needV) src = Vertical(src, height, vBounds, vWeights, vSize);
        return src;
    }

    static (double Support, Func<double, double> Filter) Kernel(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Box => (0.5, x => x > -0.5 && x <= 0.5 ? 1.0 : 0.0),
        ResampleFilter.Bilinear => (1.0, x => { x = Math.Abs(x); return x < 1.0 ? 1.0 - x : 0.0; }),
        ResampleFilter.Hamming => (1.0, Hamming),
        ResampleFilter.Bicubic => (2.0, Bicubic),
        ResampleFilter.Lanczos => (3.0, x => x >= -3.0 && x < 3.0 ? Sinc(x) * Sinc(x / 3.0) : 0.0),
        _ => throw new ArgumentException($"no convolution kernel for {filter}"),
    };

    /// <summary>Keys' cubic convolution with a = −0.5, Pillow's BICUBIC.</summary>
    static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    static double Hamming(double x)
    {
        if (x < 0.0) x = -x;
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        return Math.Sin(x) / x * (0.54 + 0.46 * Math.Cos(x));
    }

    static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    /// <summary>
    /// Pillow's precompute_coeffs + normalize_coeffs_8bpc: per output index the first source index, the tap
    /// count, and <c>kSize</c> fixed-point weights.
    /// </summary>
    internal static (int[] Bounds, int[] Weights, int KSize) Coefficients(int inSize, int outSize, double filterSupport, Func<double, double> filter)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = filterSupport * filterScale;
        int kSize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var weights = new int[outSize * kSize];
        var k = new double[kSize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++)
            {
                double w = filter((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < kSize; x++)
            {
                double v = x < xmax ? (ww != 0.0 ? k[x] / ww : k[x]) : 0.0;
                // (int) truncates toward zero in C and C#: ±0.5 makes it round half away from zero.
                weights[xx * kSize + x] = v < 0 ? (int)(-0.5 + v * (1 << PrecisionBits)) : (int)(0.5 + v * (1 << PrecisionBits));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return (bounds, weights, kSize);
    }

    static byte Clip8(int v)
    {
        if (v >= 1 << PrecisionBits << 8) return 255;
        if (v <= 0) return 0;
        return (byte)(v >> PrecisionBits);
    }

    static RgbImage Horizontal(RgbImage image, int firstRow, int rows, int outWidth, int[] bounds, int[] weights, int kSize)
    {
        var src = image.Pixels;
        var dst = new byte[outWidth * rows * 3];
        int inStride = image.Width * 3;
        for (int y = 0; y < rows; y++)
        {
            int rowOff = (y + firstRow) * inStride;
            for (int xx = 0; xx < outWidth; xx++)
            {
                int xmin = bounds[xx * 2], xmax = bounds[xx * 2 + 1];
                var k = weights.AsSpan(xx * kSize, kSize);
                int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                for (int x = 0; x < xmax; x++)
                {
                    int p = rowOff + (x + xmin) * 3;
                    s0 += src[p] * k[x];
                    s1 += src[p + 1] * k[x];
                    s2 += src[p + 2] * k[x];
                }
                int o = (y * outWidth + xx) * 3;
                dst[o] = Clip8(s0); dst[o + 1] = Clip8(s1); dst[o + 2] = Clip8(s2);
            }
        }
        return new RgbImage(dst, outWidth, rows);
    }

    static RgbImage Vertical(RgbImage image, int outHeight, int[] bounds, int[] weights, int kSize)
    {
        var src = image.Pixels;
        int w = image.Width, stride = w * 3;
        var dst = new byte[w * outHeight * 3];
        for (int yy = 0; yy < outHeight; yy++)
        {
            int ymin = bounds[yy * 2], ymax = bounds[yy * 2 + 1];
            var k = weights.AsSpan(yy * kSize, kSize);
            for (int xx = 0; xx < w; xx++)
            {
                int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                for (int y = 0; y < ymax; y++)
                {
                    int p = (y + ymin) * stride + xx * 3;
                    s0 += src[p] * k[y];
                    s1 += src[p + 1] * k[y];
                    s2 += src[p + 2] * k[y];
                }
                int o = (yy * w + xx) * 3;
                dst[o] = Clip8(s0); dst[o + 1] = Clip8(s1); dst[o + 2] = Clip8(s2);
            }
        }
        return new RgbImage(dst, w, outHeight);
    }

    /// <summary>Pillow's nearest resize (ImagingScaleAffine): positions accumulated from (0.5 · scale) in steps of scale.</summary>
    static RgbImage Nearest(RgbImage image, int width, int height)
    {
        var xs = NearestIndices(image.Width, width);
        var ys = NearestIndices(image.Height, height);
        var dst = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int s = (ys[y] * image.Width + xs[x]) * 3, d = (y * width + x) * 3;
                dst[d] = image.Pixels[s]; dst[d + 1] = image.Pixels[s + 1]; dst[d + 2] = image.Pixels[s + 2];
            }
        }
        return new RgbImage(dst, width, height);
    }

    internal static int[] NearestIndices(int inSize, int outSize)
    {
        double a = (double)inSize / outSize;
        double pos = a * 0.5;
        var idx = new int[outSize];
        for (int i = 0; i < outSize; i++)
        {
            idx[i] = Math.Clamp((int)pos, 0, inSize - 1);
            pos += a;
        }
        return idx;
    }
}
