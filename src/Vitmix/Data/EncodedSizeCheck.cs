using System.Buffers.Binary;
using SkiaSharp;

namespace Vitmix.Data;

/// <summary>
/// Sanity before allocation: checks that an image's encoded data can hold the pixels its header declares, before a
/// decoder is given a buffer of that size. A 54-byte BMP declaring 13000x13000 is within Pillow's pixel limit but
/// would cost 1.2 GB of buffers only to fail as truncated; here it fails first, allocating nothing.
/// </summary>
/// <remarks>
/// Exact where the format allows and cheap enough to run on every image: uncompressed BMP rows have a fixed size;
/// PNG's deflate expands at most 1032-fold (<see cref="PngReader"/>). The others are checked when they declare far
/// more pixels than they have bytes (a full decode buffer over 16 MiB and 64 times the file): JPEG and WebP have no
/// bound (a blank WebP holds 16383x16383 in a few hundred bytes), so they are first decoded at the smallest scale
/// the codec offers, which costs little memory, and must decode completely; a GIF's canvas may legitimately be far
/// larger than its first frame (the rest is background), so the frame's LZW codes are counted (<see cref="GifFrameCodes"/>)
/// and must cover the frame, and its data blocks must end inside the file. Below those thresholds a hostile file can
/// make the decoder allocate at most 64 times its own size (plus 16 MiB) before it fails.
/// </remarks>
internal static class EncodedSizeCheck
{
    /// <summary>A full decode buffer at least this large (RGBA bytes) is worth checking first ...</summary>
    const long ProbeAboveBytes = 16L << 20;

    /// <summary>... when it is also this many times the encoded size (photos compress 5-20 fold).</summary>
    const long ProbeAboveRatio = 64;

    /// <summary>Pixels at most in a probe decode.</summary>
    const long ProbePixels = 1 << 20;

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="source"/> when the data cannot hold the image.</summary>
    public static void Verify(SKCodec codec, ImageFormat format, ReadOnlySpan<byte> file, string source)
    {
        int w = codec.Info.Width, h = codec.Info.Height;
        switch (format)
        {
            case ImageFormat.Png:
                PngReader.Open(file, source);
                return;
            case ImageFormat.Bmp:
                CheckBmp(file, source);
                return;
        }
        long rgba = 4L * w * h;
        if (rgba <= ProbeAboveBytes || rgba <= ProbeAboveRatio * file.Length) return;
        if (format == ImageFormat.Gif)
        {
            CheckGifFrame(file, source);
            return;
        }
        var scaled = codec.GetScaledDimensions((float)Math.Sqrt(ProbePixels / ((double)w * h)));
        if ((long)scaled.Width * scaled.Height * 4 > ProbeAboveBytes) return; // the codec cannot shrink it: the pixel limit is the bound
        var info = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var probe = new byte[info.BytesSize64];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* p = probe) result = codec.GetPixels(info, (IntPtr)p);
        }
        if (result != SKCodecResult.Success)
            throw Truncated(source, codec.EncodedFormat.ToString().ToUpperInvariant(), $"a trial decode at {scaled.Width}x{scaled.Height} gave {result}");
    }

    static void CheckGifFrame(ReadOnlySpan<byte> file, string source)
    {
        if (GifFrameCodes.FirstFrame(file) is not var (frameWidth, frameHeight, pixels, terminated))
            throw Truncated(source, "GIF", "no image block found for its canvas");
        long needed = (long)frameWidth * frameHeight;
        if (needed == 0) throw Truncated(source, "GIF", "its first frame is empty");
        if (pixels < needed)
            throw Truncated(source, "GIF", $"its first frame of {frameWidth}x{frameHeight} pixels has LZW data for {pixels}");
        if (!terminated) throw Truncated(source, "GIF", "its first frame's data blocks run past the end of the file");
    }

    /// <summary>Uncompressed BMP (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS): the pixel rows have a known size.</summary>
    static void CheckBmp(ReadOnlySpan<byte> file, string source)
    {
        if (file.Length < 26) return; // Skia refuses it
        uint infoSize = BinaryPrimitives.ReadUInt32LittleEndian(file[14..]);
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(file[10..]);
        long width, height;
        int bits;
        uint compression = 0;
        if (infoSize == 12)
        {
            width = BinaryPrimitives.ReadInt16LittleEndian(file[18..]);
            height = BinaryPrimitives.ReadInt16LittleEndian(file[20..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(file[24..]);
        }
        else if (infoSize is 40 or 52 or 56 or 108 or 124 && file.Length >= 34)
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(file[18..]);
            height = BinaryPrimitives.ReadInt32LittleEndian(file[22..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(file[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(file[30..]);
        }
        else return;
        if (compression is not (0 or 3 or 6) || bits is not (1 or 2 or 4 or 8 or 16 or 24 or 32) || width <= 0 || height == 0) return;
        height = Math.Abs(height); // negative: rows stored top-down
        long stride = (width * bits + 31) / 32 * 4;
        long needed = offset + stride * (height - 1) + (width * bits + 7) / 8; // the last row's padding may be missing
        if (file.Length < needed)
            throw Truncated(source, "BMP", $"{width}x{height} at {bits} bits per pixel needs {needed} bytes, the file has {file.Length}");
    }

    static InvalidDataException Truncated(string source, string format, string why) =>
        new($"{source}: not a decodable image ({format} data is truncated or corrupt: {why})");
}
