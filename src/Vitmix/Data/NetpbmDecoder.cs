using System.Buffers.Binary;

namespace Vitmix.Data;

/// <summary>
/// Binary PGM (P5) and PPM (P6) to 8-bit RGB, value for value as Pillow reads them and <c>convert("RGB")</c> turns
/// them to RGB (checked against Pillow 9.4.0; the rules below are unchanged in Pillow 11). These are in
/// torchvision's <c>IMG_EXTENSIONS</c>, and SkiaSharp has no decoder for them.
/// </summary>
/// <remarks>
/// Header: magic, width, height, maxval as whitespace-separated decimal tokens, '#' comments to the end of the line,
/// then one whitespace byte and the raster (big-endian 16-bit samples when maxval &gt; 255). Pillow's conversions:
/// maxval 255 is taken as is; PGM with maxval 65535 is Pillow's mode "I" (raw "I;16B"), whose conversion to RGB
/// clips at 255; PGM with another maxval above 255 is scaled to 0..65535 first (round(v / maxval · 65535), Python's
/// round half to even), then clipped; any other PGM or PPM is scaled to 0..255 (round(v / maxval · 255)). Scaled
/// values above maxval saturate. Bytes after the raster are ignored; a short raster is an error ("truncated").
/// </remarks>
internal static class NetpbmDecoder
{
    /// <summary>Decodes a P5/P6 file; errors are <see cref="InvalidDataException"/> naming <paramref name="source"/>.</summary>
    public static RgbImage Decode(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 3 || bytes[0] != 'P' || bytes[1] is not ((byte)'5' or (byte)'6') || !ImageFormats.IsNetpbmSpace(bytes[2]))
            throw new InvalidDataException($"{source}: not a binary PGM/PPM file (expected P5 or P6 followed by whitespace)");
        bool colour = bytes[1] == '6';
        string kind = colour ? "PPM" : "PGM";
        int pos = 2;
        long width = Token(bytes, ref pos, source, kind, "width");
        long height = Token(bytes, ref pos, source, kind, "height");
        long maxval = Token(bytes, ref pos, source, kind, "maxval");
        if (maxval is <= 0 or >= 65536)
            throw new InvalidDataException($"{source}: {kind} maxval is {maxval}; expected 1..65535");
        InputLimits.CheckPixels(width, height, source, kind);
        // The token ended at one whitespace byte, which Token consumed: the raster starts here.
        int channels = colour ? 3 : 1, sampleBytes = maxval > 255 ? 2 : 1;
        long pixels = width * height;
        long needed = pixels * channels * sampleBytes;
        long available = bytes.Length - pos;
        if (available < needed)
            throw new InvalidDataException(
                $"{source}: {kind} raster is truncated: {width}x{height} with maxval {maxval} needs {needed} bytes, the file holds {Math.Max(0, available)}");

        var raster = bytes.Slice(pos, (int)needed);
        var lookup = sampleBytes == 1 ? EightBitTable((int)maxval) : null;
        var rgb = new byte[pixels * 3];
        for (long p = 0; p < pixels; p++)
        {
            for (int c = 0; c < channels; c++)
            {
                long i = p * channels + c;
                int v = sampleBytes == 1 ? raster[(int)i] : BinaryPrimitives.ReadUInt16BigEndian(raster.Slice((int)(2 * i), 2));
                byte value = lookup != null ? lookup[v] : Convert16(v, (int)maxval, colour);
                if (colour) rgb[p * 3 + c] = value;
                else rgb[p * 3] = rgb[p * 3 + 1] = rgb[p * 3 + 2] = value;
            }
        }
        return new RgbImage(rgb, (int)width, (int)height);
    }

    /// <summary>The 8-bit result for each possible sample when maxval ≤ 255 (PGM and PPM scale alike there).</summary>
    static byte[] EightBitTable(int maxval)
    {
        var table = new byte[256];
        for (int v = 0; v < 256; v++) table[v] = maxval == 255 ? (byte)v : Scale(v, maxval, 255);
        return table;
    }

    static byte Convert16(int v, int maxval, bool colour)
    {
        if (colour) return Scale(v, maxval, 255);                  // PpmDecoder to mode RGB
        long wide = maxval == 65535 ? v : Math.Min(65535, RoundHalfEven(v / (double)maxval * 65535)); // mode "I"
        return (byte)Math.Min(wide, 255);                           // "I" → "RGB" clips
    }

    /// <summary>Pillow's <c>min(out_max, round(value / maxval * out_max))</c>, in the same double arithmetic.</summary>
    static byte Scale(int v, int maxval, int outMax) => (byte)Math.Min(outMax, RoundHalfEven(v / (double)maxval * outMax));

    static long RoundHalfEven(double x) => (long)Math.Round(x, MidpointRounding.ToEven);

    /// <summary>
    /// The next decimal token, skipping whitespace and '#' comments before it, and consuming the one whitespace byte
    /// that ends it (as Pillow's <c>_read_token</c> does).
    /// </summary>
    static long Token(ReadOnlySpan<byte> bytes, ref int pos, string source, string kind, string name)
    {
        while (pos < bytes.Length)
        {
            if (ImageFormats.IsNetpbmSpace(bytes[pos])) pos++;
            else if (bytes[pos] == '#')
                while (pos < bytes.Length && bytes[pos] is not ((byte)'\n' or (byte)'\r')) pos++;
            else break;
        }
        long value = 0;
        int digits = 0;
        while (pos < bytes.Length && bytes[pos] is >= (byte)'0' and <= (byte)'9')
        {
            if (++digits > 10) throw new InvalidDataException($"{source}: {kind} header {name} has more than 10 digits");
            value = value * 10 + (bytes[pos++] - '0');
        }
        if (digits == 0)
            throw new InvalidDataException(pos >= bytes.Length
                ? $"{source}: {kind} header ends before its {name}"
                : $"{source}: {kind} header {name} is not a decimal number (byte 0x{bytes[pos]:X2} at offset {pos})");
        if (pos >= bytes.Length || !ImageFormats.IsNetpbmSpace(bytes[pos]))
            throw new InvalidDataException($"{source}: {kind} header {name} is not followed by whitespace");
        pos++;
        return value;
    }
}
