using SkiaSharp;
using Vitmix.Data.Datasets;

namespace Vitmix.Data.Synthetic;

/// <summary>Lossless PNG encoding of benchmark images (RGB) and masks (8-bit grey) through SkiaSharp.</summary>
internal static class SyntheticPng
{
    public static byte[] EncodeRgb(RgbImage image)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var dst = bitmap.GetPixelSpan();
        var src = image.Pixels;
        for (int p = 0, n = image.Width * image.Height; p < n; p++)
        {
            dst[4 * p] = src[3 * p];
            dst[4 * p + 1] = src[3 * p + 1];
            dst[4 * p + 2] = src[3 * p + 2];
            dst[4 * p + 3] = 255;
        }
        return Encode(bitmap);
    }

    /// <summary>A 0/1 mask written as 0/255 so it is visible in any viewer.</summary>
    public static byte[] EncodeMask(byte[] mask, int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var dst = bitmap.GetPixelSpan();
        for (int i = 0; i < mask.Length; i++) dst[i] = mask[i] != 0 ? (byte)255 : (byte)0;
        return Encode(bitmap);
    }

    static byte[] Encode(SKBitmap bitmap)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {bitmap.Width}x{bitmap.Height} {bitmap.ColorType} PNG");
        return data.ToArray();
    }
}
