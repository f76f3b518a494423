using Vitmix.Data;

namespace Vitmix.Training;

/// <summary>Random training augmentations, each off when its range is zero.</summary>
public sealed record AugmentationOptions
{
    /// <summary>Mirror left-right with probability ½.</summary>
    public bool HorizontalFlip { get; init; } = true;
    /// <summary>Mirror top-bottom with probability ½ (off by default).</summary>
    public bool VerticalFlip { get; init; }
    /// <summary>Maximum rotation in degrees (uniform in ±).</summary>
    public float RotationDegrees { get; init; } = 15f;
    /// <summary>Maximum translation as a fraction of the size (uniform in ±).</summary>
    public float Translation { get; init; } = 0.1f;
    /// <summary>RandomResizedCrop area range (torchvision's scale); (1, 1) disables it.</summary>
    public float MinCropArea { get; init; } = 0.6f;
    /// <summary>Upper end of the crop area range, as a fraction of the image area.</summary>
    public float MaxCropArea { get; init; } = 1f;

    /// <summary>No augmentation at all: the output is the plain bilinear squash resize.</summary>
    public static AugmentationOptions None { get; } = new()
    {
        HorizontalFlip = false, RotationDegrees = 0, Translation = 0, MinCropArea = 1, MaxCropArea = 1,
    };
}

/// <summary>
/// Turns an RGB image into the model's normalised input (C,H,W): one inverse affine map (random resized crop,
/// rotation, translation, flips) sampled bilinearly with edge clamping, then x/255 and (x − mean)/std. With no
/// randomness it is a plain bilinear squash resize. When an output pixel covers more than one source pixel (a large
/// photo shrunk to a 224 px model), it averages an n×n grid of bilinear samples over its footprint instead of taking
/// one, so fine texture does not alias; n = 1 (no shrinking) is the single sample.
/// </summary>
public static class Augmentation
{
    /// <summary>
    /// Writes <paramref name="image"/> as a (3, <paramref name="outH"/>, <paramref name="outW"/>) row-major input into
    /// <paramref name="output"/>, normalised with per-channel <paramref name="mean"/> and <paramref name="std"/> (on the
    /// [0, 1] scale). The augmentations of <paramref name="options"/> are drawn from <paramref name="rng"/>; a null
    /// <paramref name="rng"/> draws none.
    /// </summary>
    public static void Apply(RgbImage image, int outH, int outW, float[] mean, float[] std, AugmentationOptions options,
        Random? rng, Span<float> output)
    {
        double sx = (double)image.Width / outW, sy = (double)image.Height / outH; // output px → source px
        double cx = image.Width / 2.0, cy = image.Height / 2.0, ox = 0, oy = 0, angle = 0;
        bool flipH = false, flipV = false;
        if (rng != null)
        {
            if (options.MinCropArea < 1f || options.MaxCropArea < 1f)
            {
                double area = options.MinCropArea + rng.NextDouble() * (options.MaxCropArea - options.MinCropArea);
                double logRatio = Math.Log(3.0 / 4) + rng.NextDouble() * (Math.Log(4.0 / 3) - Math.Log(3.0 / 4));
                double ratio = Math.Exp(logRatio);
                double w = Math.Min(1, Math.Sqrt(area * ratio)), h = Math.Min(1, Math.Sqrt(area / ratio));
                sx *= w; sy *= h;
                cx = image.Width * (w / 2 + rng.NextDouble() * (1 - w));
                cy = image.Height * (h / 2 + rng.NextDouble() * (1 - h));
            }
            angle = (rng.NextDouble() * 2 - 1) * options.RotationDegrees * Math.PI / 180;
            ox = (rng.NextDouble() * 2 - 1) * options.Translation * image.Width;
            oy = (rng.NextDouble() * 2 - 1) * options.Translation * image.Height;
            flipH = options.HorizontalFlip && rng.Next(2) == 1;
            flipV = options.VerticalFlip && rng.Next(2) == 1;
        }
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        int n = Math.Clamp((int)Math.Ceiling(Math.Max(sx, sy) - 1e-9), 1, MaxSupersampling);
        Sample(image, outH, outW, mean, std, output, n, sx, sy, cx + ox, cy + oy, cos, sin, flipH, flipV);
    }

    // Beyond 8×8 samples per pixel the averaging is smooth enough; keeps a huge photo's cost bounded.
    const int MaxSupersampling = 8;

    /// <summary>Each output pixel: the mean of n×n bilinear samples spread over its footprint (n = 1: its centre).</summary>
    static void Sample(RgbImage image, int outH, int outW, float[] mean, float[] std, Span<float> output, int n,
        double sx, double sy, double centreX, double centreY, double cos, double sin, bool flipH, bool flipV)
    {
        int plane = outH * outW;
        var px = image.Pixels;
        int w = image.Width, h = image.Height;
        double inv = 1.0 / (n * n);
        Span<double> acc = stackalloc double[3];
        for (int y = 0; y < outH; y++)
            for (int x = 0; x < outW; x++)
            {
                acc.Clear();
                for (int b = 0; b < n; b++)
                    for (int a = 0; a < n; a++)
                    {
                        // Sample point (a, b) of the output pixel's n×n grid, in source pixels from the crop centre.
                        double u = (x + (a + 0.5) / n - outW / 2.0) * sx, v = (y + (b + 0.5) / n - outH / 2.0) * sy;
                        if (flipH) u = -u;
                        if (flipV) v = -v;
                        double srcX = Math.Clamp(centreX + cos * u - sin * v - 0.5, 0, w - 1);
                        double srcY = Math.Clamp(centreY + sin * u + cos * v - 0.5, 0, h - 1);
                        int x0 = (int)srcX, y0 = (int)srcY;
                        int x1 = Math.Min(x0 + 1, w - 1), y1 = Math.Min(y0 + 1, h - 1);
                        double fx = srcX - x0, fy = srcY - y0;
                        for (int c = 0; c < 3; c++)
                        {
                            double top = px[(y0 * w + x0) * 3 + c] * (1 - fx) + px[(y0 * w + x1) * 3 + c] * fx;
                            double bottom = px[(y1 * w + x0) * 3 + c] * (1 - fx) + px[(y1 * w + x1) * 3 + c] * fx;
                            acc[c] += top * (1 - fy) + bottom * fy;
                        }
                    }
                for (int c = 0; c < 3; c++)
                    output[c * plane + y * outW + x] = (float)((acc[c] * inv / 255.0 - mean[c]) / std[c]);
            }
    }
}
