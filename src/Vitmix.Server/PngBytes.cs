using SkiaSharp;
using Vitmix.Rendering;

namespace Vitmix.Server;

/// <summary>PNG encodings kept in memory (downloads, the shown image): the server never writes a file.</summary>
public static class PngBytes
{
    /// <summary>An RGB image.</summary>
    public static byte[] Rgb(ReadOnlySpan<byte> rgb, int width, int height)
    {
        var rgba = new byte[width * height * 4];
        for (int i = 0; i < width * height; i++)
        {
            rgba[4 * i] = rgb[3 * i]; rgba[4 * i + 1] = rgb[3 * i + 1]; rgba[4 * i + 2] = rgb[3 * i + 2]; rgba[4 * i + 3] = 255;
        }
        return Encode(rgba, width, height, SKColorType.Rgba8888, width * 4);
    }

    /// <summary>A binary mask as 8-bit grey, 0 → 0 and anything else → 255 (as explain's mask PNGs).</summary>
    public static byte[] Mask(ReadOnlySpan<byte> mask, int width, int height)
    {
        var grey = new byte[width * height];
        for (int i = 0; i < grey.Length; i++) grey[i] = mask[i] != 0 ? (byte)255 : (byte)0;
        return Encode(grey, width, height, SKColorType.Gray8, width);
    }

    /// <summary>A map normalised to [0, 1] coloured by <paramref name="colormap"/> (as explain's heatmap PNGs).</summary>
    public static byte[] Heatmap(ReadOnlySpan<float> normalized, int width, int height, string colormap)
    {
        var lut = Colormaps.Get(colormap);
        var rgb = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++)
        {
            int c = 3 * Colormaps.Index(normalized[i]);
            rgb[3 * i] = lut[c]; rgb[3 * i + 1] = lut[c + 1]; rgb[3 * i + 2] = lut[c + 2];
        }
        return Rgb(rgb, width, height);
    }

    static byte[] Encode(byte[] pixels, int width, int height, SKColorType type, int rowBytes)
    {
        var info = new SKImageInfo(width, height, type, SKAlphaType.Opaque);
        using var image = SKImage.FromPixelCopy(info, pixels, rowBytes)
            ?? throw new InvalidOperationException($"SkiaSharp could not wrap a {width}x{height} {type} image");
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the PNG");
        return data.ToArray();
    }
}
