using System.Buffers.Binary;
using System.IO.Compression;

namespace Vitmix.Data.Datasets;

/// <summary>
/// Reads the raw samples of a single-channel PNG (palette-indexed or greyscale) without colour conversion.
/// VOC masks are palette PNGs whose <em>indices</em> are the class labels (255 = void); SkiaSharp expands palettes
/// to RGBA, which would lose them, so the PNG is decoded here: chunks, zlib IDAT stream, filters 0-4
/// (PNG spec, W3C 2003, §9), bit depths 1/2/4/8 (and 16 for greyscale, keeping the high byte). Not interlaced.
/// </summary>
internal static class PngSampleReader
{
    static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>True when the file is a PNG whose samples are single-channel (colour type 0 or 3).</summary>
    public static bool IsSingleChannelPng(string path)
    {
        Span<byte> head = stackalloc byte[26];
        using var fs = File.OpenRead(path);
        if (fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length) return false;
        if (!head[..8].SequenceEqual(Signature)) return false;
        byte colorType = head[25];
        return colorType is 0 or 3;
    }

    /// <summary>Decodes the raw sample values (palette indices or grey levels), row-major.</summary>
    public static (byte[] Samples, int Width, int Height) Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(Signature))
            throw new InvalidDataException($"{path}: not a PNG file (bad signature).");

        int width = 0, height = 0, bitDepth = 0, colorType = -1, interlace = 0;
        using var idat = new MemoryStream();
        int pos = 8;
        bool sawEnd = false;
        while (pos + 8 <= file.Length && !sawEnd)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(file, pos + 4, 4);
            int data = pos + 8;
            if (length < 0 || data + length + 4 > file.Length)
                throw new InvalidDataException($"{path}: PNG chunk '{type}' at byte {pos} runs past the end of the file.");
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(data));
                    height = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(data + 4));
                    bitDepth = file[data + 8];
                    colorType = file[data + 9];
                    interlace = file[data + 12];
                    break;
                case "IDAT":
                    idat.Write(file, data, length);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
            }
            pos = data + length + 4; // skip CRC
        }
        if (colorType < 0) throw new InvalidDataException($"{path}: PNG has no IHDR chunk.");
        if (colorType is not (0 or 3))
            throw new InvalidDataException($"{path}: PNG colour type {colorType}; expected 3 (palette) or 0 (greyscale) for a label mask.");
        if (interlace != 0)
            throw new InvalidDataException($"{path}: interlaced PNG (Adam7) is not supported for label masks.");
        if (bitDepth is not (1 or 2 or 4 or 8 or 16) || (bitDepth == 16 && colorType == 3))
            throw new InvalidDataException($"{path}: PNG bit depth {bitDepth} is invalid for colour type {colorType}.");
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"{path}: PNG size {width}x{height} is invalid.");

        int bitsPerPixel = bitDepth;
        int stride = (int)(((long)width * bitsPerPixel + 7) / 8);
        int bytesPerPixel = Math.Max(1, bitsPerPixel / 8); // filter "bpp" rounds up to 1 byte (§9.2)
        byte[] raw = new byte[(long)(stride + 1) * height > int.MaxValue
            ? throw new InvalidDataException($"{path}: PNG too large ({width}x{height}).")
            : (stride + 1) * height];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            int got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            if (got < raw.Length)
                throw new InvalidDataException($"{path}: PNG image data is truncated ({got} of {raw.Length} bytes).");
        }

        var prev = new byte[stride];
        var cur = new byte[stride];
        var samples = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            int rowStart = y * (stride + 1);
            byte filter = raw[rowStart];
            raw.AsSpan(rowStart + 1, stride).CopyTo(cur);
            Unfilter(filter, cur, prev, bytesPerPixel, path, y);
            Unpack(cur, samples.AsSpan(y * width, width), bitDepth);
            (prev, cur) = (cur, prev);
        }
        return (samples, width, height);
    }

    static void Unfilter(byte filter, Span<byte> cur, ReadOnlySpan<byte> prev, int bpp, string path, int row)
    {
        switch (filter)
        {
            case 0: break;
            case 1: for (int i = bpp; i < cur.Length; i++) cur[i] += cur[i - bpp]; break;
            case 2: for (int i = 0; i < cur.Length; i++) cur[i] += prev[i]; break;
            case 3:
                for (int i = 0; i < cur.Length; i++)
                    cur[i] += (byte)(((i >= bpp ? cur[i - bpp] : 0) + prev[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < cur.Length; i++)
                    cur[i] += Paeth(i >= bpp ? cur[i - bpp] : (byte)0, prev[i], i >= bpp ? prev[i - bpp] : (byte)0);
                break;
            default:
                throw new InvalidDataException($"{path}: PNG row {row} has filter type {filter}; expected 0-4.");
        }
    }

    static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    static void Unpack(ReadOnlySpan<byte> row, Span<byte> dst, int bitDepth)
    {
        switch (bitDepth)
        {
            case 8: row[..dst.Length].CopyTo(dst); break;
            case 16: for (int x = 0; x < dst.Length; x++) dst[x] = row[2 * x]; break; // keep the high byte
            default:
                int perByte = 8 / bitDepth, mask = (1 << bitDepth) - 1;
                for (int x = 0; x < dst.Length; x++)
                {
                    int shift = 8 - bitDepth * (x % perByte + 1);
                    dst[x] = (byte)((row[x / perByte] >> shift) & mask);
                }
                break;
        }
    }
}
