using Vitmix.IO;
using SkiaSharp;

namespace Vitmix.Data;

/// <summary>
/// Decodes PNG, JPEG, BMP, WebP, GIF (first frame) with SkiaSharp, and binary PGM/PPM, to 8-bit RGB; writes PNGs.
/// </summary>
/// <remarks>
/// What a PIL-based pipeline (timm, torchvision, Hugging Face) sees, and where we differ:
/// alpha is dropped without compositing, as PIL's <c>convert("RGB")</c> does; no ICC colour conversion is applied
/// (PIL ignores embedded profiles too); greyscale and palette images are expanded to RGB. 16-bit PNGs convert as
/// Pillow converts them: greyscale (Pillow's mode "I") is clipped to 0..255, so values above 255 become white; grey +
/// alpha, RGB and RGBA keep the high byte of each sample. PGM/PPM follow Pillow's maxval scaling (<see cref="NetpbmDecoder"/>).
/// EXIF orientation is applied by default, as Hugging Face's <c>load_image</c> (ImageOps.exif_transpose) does;
/// timm and torchvision's ImageFolder do not apply it, so pass <c>applyExifOrientation: false</c> to match them
/// on rotated photos. JPEG decoding uses libjpeg-turbo, whose IDCT may differ from PIL's libjpeg by ±1 on some pixels.
/// Untrusted files: the file is read through <see cref="InputFile"/> under <see cref="InputLimits.MaxFileBytes"/>,
/// recognised by its signature, and its declared size is checked against <see cref="InputLimits.MaxPixels"/> and
/// against what its data can hold (<see cref="EncodedSizeCheck"/>) before any pixel buffer is allocated.
/// </remarks>
public static class ImageLoader
{
    /// <summary>Largest image decoded (width × height): <see cref="InputLimits.MaxPixels"/>.</summary>
    public const long MaxPixels = InputLimits.MaxPixels;

    /// <summary>Decodes an image file to RGB. Errors: <see cref="FileNotFoundException"/>, or <see cref="InvalidDataException"/> naming the file.</summary>
    public static RgbImage LoadRgb(string path, bool applyExifOrientation = true) =>
        Decode(ReadImageFile(path), path, applyExifOrientation, premultiplied: false);

    /// <summary>The bytes of an image file, read under the byte limit; a file that starts like no image is refused early.</summary>
    internal static byte[] ReadImageFile(string path) =>
        InputFile.ReadAll(path, "an image file", InputLimits.MaxFileBytes, ImageFormats.ProblemWithStart);

    /// <summary>Decodes encoded image bytes; <paramref name="source"/> names them in error messages.</summary>
    public static RgbImage DecodeRgb(ReadOnlySpan<byte> bytes, string source, bool applyExifOrientation = true) =>
        Decode(bytes, source, applyExifOrientation, premultiplied: false);

    /// <summary>
    /// The decoding path of every image reader. <paramref name="premultiplied"/> multiplies colour by alpha (masks,
    /// where a transparent pixel must read as background) instead of dropping alpha.
    /// </summary>
    internal static RgbImage Decode(ReadOnlySpan<byte> bytes, string source, bool applyExifOrientation, bool premultiplied)
    {
        if (ImageFormats.ProblemWithStart(bytes[..Math.Min(bytes.Length, InputFile.StartLength)]) is { } problem)
            throw new InvalidDataException($"{source}: {problem}");
        var format = ImageFormats.Identify(bytes);
        if (format == ImageFormat.Netpbm) return NetpbmDecoder.Decode(bytes, source);

        unsafe
        {
            // The codec reads the caller's bytes in place (no copy of the file); they stay pinned while it lives.
            fixed (byte* encoded = bytes)
            {
                using var data = SKData.Create((IntPtr)encoded, bytes.Length, (_, _) => { });
                using var codec = SKCodec.Create(data)
                    ?? throw new InvalidDataException($"{source}: not a decodable image ({format} header is corrupt or unsupported)");
                int w = codec.Info.Width, h = codec.Info.Height;
                InputLimits.CheckPixels(w, h, source, format.ToString().ToUpperInvariant());
                EncodedSizeCheck.Verify(codec, format, bytes, source);
                var image = format == ImageFormat.Png && IsSixteenBitGrey(bytes)
                    ? DecodeSixteenBitGrey(bytes, source)
                    : DecodeWithSkia(codec, w, h, source, premultiplied);
                return applyExifOrientation ? Orient(image, codec.EncodedOrigin) : image;
            }
        }
    }

    static unsafe RgbImage DecodeWithSkia(SKCodec codec, int w, int h, string source, bool premultiplied)
    {
        // Unpremultiplied RGBA with no colour space: Skia converts nothing, so the RGB bytes are the stored ones.
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, premultiplied ? SKAlphaType.Premul : SKAlphaType.Unpremul);
        var rgba = GC.AllocateUninitializedArray<byte>(checked((int)info.BytesSize64));
        SKCodecResult result;
        fixed (byte* p = rgba) result = codec.GetPixels(info, (IntPtr)p);
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{source}: not a decodable image ({codec.EncodedFormat} data is truncated or corrupt: {result})");

        var rgb = GC.AllocateUninitializedArray<byte>(3 * w * h);
        for (long i = 0, n = (long)w * h; i < n; i++)
        {
            rgb[i * 3] = rgba[i * 4];
            rgb[i * 3 + 1] = rgba[i * 4 + 1];
            rgb[i * 3 + 2] = rgba[i * 4 + 2];
        }
        return new RgbImage(rgb, w, h);
    }

    /// <summary>IHDR colour type 0 at bit depth 16 (the only PNG kind where Skia and Pillow disagree).</summary>
    static bool IsSixteenBitGrey(ReadOnlySpan<byte> png) => png.Length >= 26 && png[12..16].SequenceEqual("IHDR"u8) && png[24] == 16 && png[25] == 0;

    /// <summary>
    /// Pillow opens 16-bit greyscale as mode "I" (Pillow 11: "I;16"), and <c>convert("RGB")</c> clips it to 0..255,
    /// where Skia would keep the high byte: a mid-grey 32768 is white to Pillow and 128 to Skia.
    /// </summary>
    static RgbImage DecodeSixteenBitGrey(ReadOnlySpan<byte> png, string source)
    {
        var reader = PngReader.Open(png, source);
        var samples = reader.ReadSamples(png);
        var rgb = new byte[3L * samples.Length];
        for (long i = 0; i < samples.Length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (byte)Math.Min(samples[i], (ushort)255);
        return new RgbImage(rgb, reader.Width, reader.Height);
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
