using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Fusion.Thresholds;

namespace Vitmix.Fusion;

/// <summary>A map brought to image resolution: the normalised map, the binary mask (0/1) and the threshold used.</summary>
/// <param name="Normalized">Height × Width values in [0, 1], row-major.</param>
/// <param name="Mask">Height × Width labels, 1 = object, 0 = background, row-major.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Threshold">What <see cref="Thresholds.IMaskThreshold.Apply"/> returned, in the rule's own units.</param>
public sealed record MaskResult(float[] Normalized, byte[] Mask, int Height, int Width, double Threshold)
{
    /// <summary>Number of object pixels in <see cref="Mask"/>.</summary>
    public int MaskPixels => Mask.Count(b => b != 0);
}

/// <summary>
/// From a map to a mask (ViTmiX): bilinear upsampling to the image size (align_corners = False), min-max
/// normalisation, then a threshold (Otsu by default).
/// </summary>
public static class MapToMask
{
    /// <summary>Resizes a grid (or pixel) map to height × width; a map already of that size is copied unchanged.</summary>
    public static float[] Upsample(Heatmap map, int height, int width)
    {
        if (map.Values.Length != map.Height * map.Width)
            throw new ArgumentException($"map claims {map.Height}x{map.Width} but holds {map.Values.Length} values");
        if (map.Height == height && map.Width == width) return (float[])map.Values.Clone();
        var dst = new float[height * width];
        Engine.BilinearResize.Resize(map.Values, map.Height, map.Width, dst, height, width);
        return dst;
    }

    /// <summary>Upsampled and min-max normalised map (the reference's KEY__norm).</summary>
    public static float[] Normalize(Heatmap map, int height, int width)
    {
        var u = Upsample(map, height, width);
        MinMaxNormalization.Apply(u, u);
        return u;
    }

    /// <summary>The whole chain: upsample, normalise, threshold (<paramref name="threshold"/> defaults to Otsu).</summary>
    public static MaskResult Build(Heatmap map, int height, int width, IMaskThreshold? threshold = null)
    {
        var norm = Normalize(map, height, width);
        return Threshold(norm, height, width, threshold);
    }

    /// <summary>Thresholds an already normalised map of height × width.</summary>
    public static MaskResult Threshold(float[] normalized, int height, int width, IMaskThreshold? threshold = null)
    {
        if (normalized.Length != height * width) throw new ArgumentException($"normalised map has {normalized.Length} values, expected {height}x{width}");
        var mask = new byte[normalized.Length];
        double t = (threshold ?? new OtsuThreshold()).Apply(normalized, mask);
        return new MaskResult(normalized, mask, height, width, t);
    }
}
