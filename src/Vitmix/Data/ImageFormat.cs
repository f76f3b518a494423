using System.Buffers.Binary;

namespace Vitmix.Data;

/// <summary>The image formats Vitmix tells apart by their first bytes.</summary>
public enum ImageFormat
{
    /// <summary>No known signature.</summary>
    Unknown,
    /// <summary>PNG (\x89PNG): 8- and 16-bit grey, grey+alpha, RGB, RGBA and palette.</summary>
    Png,
    /// <summary>JPEG (FF D8 FF), baseline and progressive.</summary>
    Jpeg,
    /// <summary>GIF87a / GIF89a; the first frame is read.</summary>
    Gif,
    /// <summary>Windows bitmap (BM).</summary>
    Bmp,
    /// <summary>WebP (RIFF....WEBP), lossy and lossless.</summary>
    WebP,
    /// <summary>Binary Netpbm: PGM (P5) or PPM (P6).</summary>
    Netpbm,
    /// <summary>Recognised only to say that it is not supported.</summary>
    Tiff,
}

/// <summary>
/// Identifies an image by its signature (never by its file name), so a file is decoded by what it is and a stream of
/// zeros or noise is refused after a few bytes, before it is read to the end.
/// </summary>
public static class ImageFormats
{
    const string Readable = "PNG, JPEG, BMP, WebP, GIF, PPM or PGM";

    /// <summary>How to convert a TIFF, which no decoder here reads.</summary>
    public const string TiffAdvice =
        "TIFF images are not supported; convert them to PNG first, e.g. with ImageMagick (magick in.tif out.png) or " +
        "Pillow (Image.open('in.tif').save('out.png'))";

    /// <summary>The format whose signature <paramref name="start"/> begins with (the first 64 bytes are plenty).</summary>
    public static ImageFormat Identify(ReadOnlySpan<byte> start)
    {
        if (start.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return ImageFormat.Png;
        if (start.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return ImageFormat.Jpeg;
        if (start.StartsWith("GIF87a"u8) || start.StartsWith("GIF89a"u8)) return ImageFormat.Gif;
        if (start.Length >= 12 && start.StartsWith("RIFF"u8) && start[8..12].SequenceEqual("WEBP"u8)) return ImageFormat.WebP;
        if (start.StartsWith("II*\0"u8) || start.StartsWith("MM\0*"u8) || start.StartsWith("II+\0"u8) || start.StartsWith("MM\0+"u8))
            return ImageFormat.Tiff;
        if (start.Length >= 3 && start[0] == 'P' && (start[1] is (byte)'5' or (byte)'6') && IsNetpbmSpace(start[2])) return ImageFormat.Netpbm;
        // "BM" alone is two bytes noise matches one time in 65,536: the info header size must be a known one too.
        if (start.Length >= 18 && start.StartsWith("BM"u8)
            && BinaryPrimitives.ReadUInt32LittleEndian(start[14..]) is 12 or 16 or 40 or 52 or 56 or 64 or 108 or 124)
            return ImageFormat.Bmp;
        return ImageFormat.Unknown;
    }

    /// <summary>
    /// For <see cref="Vitmix.IO.InputFile.ReadAll"/>: null when <paramref name="start"/> begins like a readable image,
    /// otherwise the reason to refuse the file without reading the rest.
    /// </summary>
    public static string? ProblemWithStart(ReadOnlySpan<byte> start)
    {
        if (start.IsEmpty) return "not a decodable image (the file is empty)";
        return Identify(start) switch
        {
            ImageFormat.Tiff => TiffAdvice,
            ImageFormat.Unknown when start.Length >= 2 && start[0] == 'P' && start[1] is >= (byte)'1' and <= (byte)'4' =>
                "plain-text or 1-bit Netpbm (P1-P4) is not supported; only binary PGM (P5) and PPM (P6)",
            ImageFormat.Unknown => $"not a decodable image (unrecognised format: it starts with no {Readable} signature)",
            _ => null,
        };
    }

    internal static bool IsNetpbmSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';
}
