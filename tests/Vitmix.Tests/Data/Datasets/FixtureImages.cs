using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace Vitmix.Tests.Data.Datasets;

/// <summary>Minimal image writers for dataset fixtures, independent of the readers under test.</summary>
internal static class FixtureImages
{
    /// <summary>The VOC bit-interleave colormap (formats.md §6.1): index i → (r,g,b) from the bits of i.</summary>
    public static (byte R, byte G, byte B) VocColor(int index)
    {
        int r = 0, g = 0, b = 0, c = index;
        for (int j = 0; j < 8; j++)
        {
            r |= ((c >> 0) & 1) << (7 - j);
            g |= ((c >> 1) & 1) << (7 - j);
            b |= ((c >> 2) & 1) << (7 - j);
            c >>= 3;
        }
        return ((byte)r, (byte)g, (byte)b);
    }

    /// <summary>
    /// Writes a single-channel PNG: colour type 3 with a 256-entry VOC palette, or 0 (greyscale). Row y uses filter
    /// type filters[y % filters.Length], applied forward here so the reader's unfiltering is exercised.
    /// </summary>
    public static void WriteIndexedPng(string path, byte[] samples, int width, int height,
        bool palette = true, int bitDepth = 8, int[]? filters = null)
    {
        filters ??= [0];
        int stride = (width * bitDepth + 7) / 8;
        var raw = new MemoryStream();
        var prev = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            var row = new byte[stride];
            for (int x = 0; x < width; x++)
            {
                int v = samples[y * width + x];
                if (bitDepth == 8) row[x] = (byte)v;
                else
                {
                    int perByte = 8 / bitDepth;
                    row[x / perByte] |= (byte)(v << (8 - bitDepth * (x % perByte + 1)));
                }
            }
            int f = filters[y % filters.Length];
            raw.WriteByte((byte)f);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= 1 ? row[i - 1] : 0, b = prev[i], c = i >= 1 ? prev[i - 1] : 0;
                int pred = f switch
                {
                    0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2,
                    4 => PaethNaive(a, b, c),
                    _ => throw new ArgumentException("filter"),
                };
                raw.WriteByte((byte)(row[i] - pred));
            }
            prev = row;
        }
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) raw.WriteTo(zs);

        using var png = new MemoryStream();
        png.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)bitDepth; ihdr[9] = palette ? (byte)3 : (byte)0;
        WriteChunk(png, "IHDR", ihdr);
        if (palette)
        {
            int entries = 1 << bitDepth;
            var plte = new byte[entries * 3];
            for (int i = 0; i < entries; i++) (plte[3 * i], plte[3 * i + 1], plte[3 * i + 2]) = VocColor(i);
            WriteChunk(png, "PLTE", plte);
        }
        // Split IDAT in two chunks: readers must concatenate them.
        byte[] zdata = z.ToArray();
        int half = zdata.Length / 2;
        WriteChunk(png, "IDAT", zdata[..half]);
        WriteChunk(png, "IDAT", zdata[half..]);
        WriteChunk(png, "IEND", []);
        File.WriteAllBytes(path, png.ToArray());
    }

    static int PaethNaive(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        return pb <= pc ? b : c;
    }

    static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        byte[] typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(len, PngCrc.Compute(typeBytes.Concat(data).ToArray()));
        s.Write(len);
    }


    /// <summary>A 54-byte BITMAPINFOHEADER of a 24-bit uncompressed BMP into <paramref name="b"/>; the sizes are what it declares.</summary>
    internal static void WriteBmpHeader(Span<byte> b, int width, int height, int fileSize, int imageSize)
    {
        b[0] = (byte)'B'; b[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(b[2..], fileSize);
        BinaryPrimitives.WriteInt32LittleEndian(b[10..], 54);
        BinaryPrimitives.WriteInt32LittleEndian(b[14..], 40);
        BinaryPrimitives.WriteInt32LittleEndian(b[18..], width);
        BinaryPrimitives.WriteInt32LittleEndian(b[22..], height);
        BinaryPrimitives.WriteInt16LittleEndian(b[26..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(b[28..], 24);
        BinaryPrimitives.WriteInt32LittleEndian(b[34..], imageSize);
    }

    /// <summary>Writes a 24-bit bottom-up BMP (BITMAPINFOHEADER), rows padded to 4 bytes.</summary>
    public static void WriteBmp24(string path, byte[] rgb, int width, int height)
    {
        int stride = (width * 3 + 3) & ~3;
        int size = 54 + stride * height;
        var b = new byte[size];
        WriteBmpHeader(b, width, height, size, stride * height);
        for (int y = 0; y < height; y++)
        {
            int row = 54 + (height - 1 - y) * stride;
            for (int x = 0; x < width; x++)
            {
                int s = (y * width + x) * 3;
                b[row + 3 * x] = rgb[s + 2];     // B
                b[row + 3 * x + 1] = rgb[s + 1]; // G
                b[row + 3 * x + 2] = rgb[s];     // R
            }
        }
        File.WriteAllBytes(path, b);
    }

    /// <summary>Writes an RGB image with SkiaSharp (PNG lossless, or JPEG at quality 95).</summary>
    public static void WriteRgb(string path, byte[] rgb, int width, int height, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int s = (y * width + x) * 3;
                bitmap.SetPixel(x, y, new SKColor(rgb[s], rgb[s + 1], rgb[s + 2]));
            }
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>A deterministic RGB pattern.</summary>
    public static byte[] Pattern(int width, int height, int seed)
    {
        var rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)((i * 37 + seed * 101) % 251);
        return rgb;
    }
}
