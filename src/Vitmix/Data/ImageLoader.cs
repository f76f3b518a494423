using Vitmix.IO;
using SkiaSharp;

namespace Vitmix.Data;

/// <summary>
/// Decodes PNG, JPEG, BMP, WebP (and GIF, first frame) to 8-bit RGB with SkiaSharp, and writes PNGs.
/// </summary>
/// <remarks>
/// What a PIL-based pipeline (timm, torchvision, Hugging Face) sees, and where we differ:
/// alpha is dropped without compositing, as PIL's <c>convert("RGB")</c> does; no ICC colour conversion is applied
/// (PIL ignores embedded profiles too); greyscale and palette images are expanded to RGB.
/// EXIF orientation is applied by default, as Hugging Face's <c>load_image</c> (ImageOps.exif_transpose) does;
/// timm and torchvision's ImageFolder do not apply it, so pass <c>applyExifOrientation: false</c> to match them
/// on rotated photos. JPEG decoding uses libjpeg-turbo, whose IDCT may differ from PIL's libjpeg by ±1 on some pixels.
/// </remarks>
public static class ImageLoader
{
    /// <summary>PIL's decompression-bomb limit (2 × Image.MAX_IMAGE_PIXELS): larger images are refused.</summary>
    public const long MaxPixels = 2 * 89_478_485L;

    /// <summary>Decodes an image file to RGB. Errors: <see cref="FileNotFoundException"/>, or <see cref="InvalidDataException"/> naming the file.</summary>
    public static RgbImage LoadRgb(string path, bool applyExifOrientation = true)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path}: is a folder, not an image file" : $"{path}: file not found", path);
        byte[] bytes = File.ReadAllBytes(path);
        return DecodeRgb(bytes, path, applyExifOrientation);
    }

    /// <summary>Decodes encoded image bytes; <paramref name="source"/> names them in error messages.</summary>
    public static RgbImage DecodeRgb(ReadOnlySpan<byte> bytes, string source, bool applyExifOrientation = true)
    {
        if (bytes.Length == 0) throw new InvalidDataException($"{source}: not a decodable image (the file is empty)");
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"{source}: not a decodable image (unrecognised format; expected PNG, JPEG, BMP, WebP or GIF)");
        int w = codec.Info.Width, h = codec.Info.Height;
        if (w <= 0 || h <= 0) throw new InvalidDataException($"{source}: not a decodable image (size {w}x{h})");
        if ((long)w * h > MaxPixels)
            throw new InvalidDataException($"{source}: image is {w}x{h} = {(long)w * h} pixels, more than the limit of {MaxPixels}");

        // Unpremultiplied RGBA with no colour space: Skia converts nothing, so the RGB bytes are the stored ones.
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[(long)w * h * 4];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* p = rgba) result = codec.GetPixels(info, (IntPtr)p);
        }
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{source}: not a decodable image ({codec.EncodedFormat} data is truncated or corrupt: {result})");

        var rgb = new byte[(long)w * h * 3];
        for (long i = 0, n = (long)w * h; i < n; i++)
        {
            rgb[i * 3] = rgba[i * 4];
            rgb[i * 3 + 1] = rgba[i * 4 + 1];
            rgb[i * 3 + 2] = rgba[i * 4 + 2];
        }
        var image = new RgbImage(rgb, w, h);
        return applyExifOrientation ? Orient(image, codec.EncodedOrigin) : image;
    }

    /// <summary>
    /// Turns the stored pixels into the displayed image for an EXIF orientation
    /// (the same transposes as PIL's ImageOps.exif_transpose).
    /// </summary>
    public static RgbImage Orient(RgbImage image, SKEncodedOrigin origin)
    {
        int w = image.Width, h = image.Height;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        if (origin == SKEncodedOrigin.TopLeft) return image;
        int ow = swap ? h : w, oh = swap ? w : h;
        var src = image.Pixels;
        var dst = new byte[src.Length];
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                // Source pixel shown at display position (x, y).
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),          // mirror horizontally
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // rotate 180
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),        // mirror vertically
                    SKEncodedOrigin.LeftTop => (y, x),                   // transpose
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),          // rotate 90° clockwise
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // transverse
                    SKEncodedOrigin.LeftBottom => (w - 1 - y, x),        // rotate 90° counter-clockwise
                    _ => (x, y),
                };
                int si = (sy * w + sx) * 3, di = (y * ow + x) * 3;
                dst[di] = src[si]; dst[di + 1] = src[si + 1]; dst[di + 2] = src[si + 2];
            }
        }
        return new RgbImage(dst, ow, oh);
    }

    /// <summary>Writes an 8-bit RGB PNG atomically (temp file, then rename).</summary>
    public static void SavePng(string path, byte[] rgb, int width, int height)
    {
        var image = RgbImage.Create(rgb, width, height);
        var rgba = new byte[(long)width * height * 4];
        for (long i = 0, n = (long)width * height; i < n; i++)
        {
            rgba[i * 4] = image.Pixels[i * 3];
            rgba[i * 4 + 1] = image.Pixels[i * 3 + 1];
            rgba[i * 4 + 2] = image.Pixels[i * 3 + 2];
            rgba[i * 4 + 3] = 255;
        }
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        byte[] encoded;
        unsafe
        {
            fixed (byte* p = rgba)
            {
                using var pixmap = new SKPixmap(info, (IntPtr)p, width * 4);
                using var data = pixmap.Encode(SKPngEncoderOptions.Default)
                    ?? throw new IOException($"{path}: PNG encoding of a {width}x{height} image failed");
                encoded = data.ToArray();
            }
        }
        AtomicFile.WriteAllBytes(path, encoded);
    }

    /// <summary>Writes an RGB image as PNG atomically.</summary>
    public static void SavePng(string path, RgbImage image) => SavePng(path, image.Pixels, image.Width, image.Height);
}
