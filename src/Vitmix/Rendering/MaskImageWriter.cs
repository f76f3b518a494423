using Vitmix.IO;
using SkiaSharp;
using Vitmix.Data;
using Vitmix.Data.Datasets;

namespace Vitmix.Rendering;

/// <summary>PNG output of masks and heatmap overlays (SkiaSharp encoding, atomic writes).</summary>
public static class MaskImageWriter
{
    /// <summary>Writes a binary mask as an 8-bit grey PNG, 0 → 0 and anything else → 255.</summary>
    public static void WriteMask(string path, ReadOnlySpan<byte> mask, int width, int height)
    {
        if (mask.Length != width * height) throw new ArgumentException($"{path}: mask has {mask.Length} pixels, expected {width}x{height}");
        var grey = new byte[mask.Length];
        for (int i = 0; i < grey.Length; i++) grey[i] = mask[i] != 0 ? (byte)255 : (byte)0;
        WritePng(path, grey, width, height, SKColorType.Gray8, width);
    }

    /// <summary>Writes a map normalised to [0, 1] coloured by <paramref name="colormap"/>.</summary>
    public static void WriteHeatmap(string path, ReadOnlySpan<float> normalized, int width, int height, string colormap = "oklab")
    {
        if (normalized.Length != width * height) throw new ArgumentException($"{path}: map has {normalized.Length} pixels, expected {width}x{height}");
        var lut = Colormaps.Get(colormap);
        var rgba = new byte[normalized.Length * 4];
        for (int i = 0; i < normalized.Length; i++)
        {
            int c = 3 * Colormaps.Index(normalized[i]);
            rgba[4 * i] = lut[c]; rgba[4 * i + 1] = lut[c + 1]; rgba[4 * i + 2] = lut[c + 2]; rgba[4 * i + 3] = 255;
        }
        WritePng(path, rgba, width, height, SKColorType.Rgba8888, width * 4);
    }

    /// <summary>
    /// Writes the image with the coloured map blended on top: out = (1 − alpha)·image + alpha·colour(m). A map of
    /// another size is first resized to the image (bilinear). With <paramref name="maskOutline"/>, the mask's boundary
    /// pixels are drawn white.
    /// </summary>
    public static void WriteOverlay(string path, RgbImage image, ReadOnlySpan<float> normalized, int mapWidth, int mapHeight,
        string colormap = "oklab", float alpha = 0.5f, ReadOnlySpan<byte> maskOutline = default)
    {
        if (normalized.Length != mapWidth * mapHeight) throw new ArgumentException($"{path}: map has {normalized.Length} pixels, expected {mapWidth}x{mapHeight}");
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentException($"{path}: overlay alpha {alpha} is outside [0, 1]");
        int w = image.Width, h = image.Height;
        if (image.Pixels.Length != w * h * 3) throw new ArgumentException($"{path}: image holds {image.Pixels.Length} bytes, expected {w}x{h}x3");
        ReadOnlySpan<float> m = normalized;
        if (mapWidth != w || mapHeight != h)
        {
            var up = new float[w * h];
            Engine.BilinearResize.Resize(normalized, mapHeight, mapWidth, up, h, w);
            m = up;
        }
        if (!maskOutline.IsEmpty && maskOutline.Length != w * h) throw new ArgumentException($"{path}: outline mask has {maskOutline.Length} pixels, expected {w}x{h}");
        var lut = Colormaps.Get(colormap);
        var rgba = new byte[w * h * 4];
        for (int i = 0; i < w * h; i++)
        {
            int c = 3 * Colormaps.Index(m[i]);
            for (int ch = 0; ch < 3; ch++)
                rgba[4 * i + ch] = (byte)Math.Round((1 - alpha) * image.Pixels[3 * i + ch] + alpha * lut[c + ch]);
            rgba[4 * i + 3] = 255;
        }
        if (!maskOutline.IsEmpty)
        {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int i = y * w + x;
                    if (maskOutline[i] == 0) continue;
                    bool edge = x == 0 || y == 0 || x == w - 1 || y == h - 1
                        || maskOutline[i - 1] == 0 || maskOutline[i + 1] == 0 || maskOutline[i - w] == 0 || maskOutline[i + w] == 0;
                    if (edge) { rgba[4 * i] = 255; rgba[4 * i + 1] = 255; rgba[4 * i + 2] = 255; }
                }
        }
        WritePng(path, rgba, w, h, SKColorType.Rgba8888, w * 4);
    }

    static void WritePng(string path, byte[] pixels, int width, int height, SKColorType type, int rowBytes)
    {
        var info = new SKImageInfo(width, height, type, SKAlphaType.Opaque);
        using var img = SKImage.FromPixelCopy(info, pixels, rowBytes)
            ?? throw new InvalidOperationException($"{path}: SkiaSharp could not wrap a {width}x{height} {type} image");
        using var data = img.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"{path}: SkiaSharp could not encode the PNG");
        AtomicFile.WriteAllBytes(path, data.AsSpan());
    }
}
