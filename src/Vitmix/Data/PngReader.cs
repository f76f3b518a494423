using System.Buffers.Binary;
using System.IO.Compression;

namespace Vitmix.Data;

/// <summary>
/// The raw samples of a PNG (PNG spec, W3C 2003): chunks, the zlib stream of the IDAT chunks, filters 0-4 (§9),
/// Adam7 interlacing (§8), bit depths 1-16, no colour conversion. For what SkiaSharp cannot give: palette indices of
/// label masks, and 16-bit greyscale, which Pillow clips where Skia keeps the high byte.
/// </summary>
/// <remarks>
/// Sanity comes before allocation: the size is checked against <see cref="InputLimits.MaxPixels"/>, and the image
/// data must be able to hold the declared pixels at all: deflate cannot expand data more than 1032-fold (a 258-byte
/// match coded in two bits), so IDAT chunks of N bytes hold at most 1032·N bytes of scanlines. A file that declares
/// more is refused before the scanline buffer is allocated; the same check guards Skia's PNG decoding.
/// </remarks>
internal sealed class PngReader
{
    /// <summary>Deflate's largest expansion: 258 bytes from 2 bits.</summary>
    const long MaxDeflateRatio = 1032;

    static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    static readonly (int X0, int Y0, int DX, int DY)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    readonly string source;
    readonly List<(int Offset, int Length)> idat;

    public int Width { get; }
    public int Height { get; }
    public int BitDepth { get; }
    /// <summary>0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA.</summary>
    public int ColorType { get; }
    public bool Interlaced { get; }
    public int Channels => ColorType switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
    /// <summary>Total bytes of the IDAT chunks.</summary>
    public long ImageDataBytes { get; }

    PngReader(string source, int width, int height, int bitDepth, int colorType, bool interlaced, List<(int, int)> idat, long idatBytes)
    {
        this.source = source;
        Width = width; Height = height; BitDepth = bitDepth; ColorType = colorType; Interlaced = interlaced;
        this.idat = idat;
        ImageDataBytes = idatBytes;
    }

    /// <summary>True when <paramref name="file"/> starts with the PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> file) => file.StartsWith(Signature);

    /// <summary>
    /// Reads the chunk layout and the header and checks the declared size (limit, and what the image data can hold);
    /// decompresses nothing. Errors are <see cref="InvalidDataException"/> naming <paramref name="source"/>.
    /// </summary>
    public static PngReader Open(ReadOnlySpan<byte> file, string source)
    {
        if (!IsPng(file)) throw new InvalidDataException($"{source}: not a decodable image (not a PNG file: bad signature)");
        int width = 0, height = 0, bitDepth = 0, colorType = -1, interlace = 0;
        var idat = new List<(int, int)>();
        long idatBytes = 0;
        int pos = 8;
        while (pos + 8 <= file.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(file[pos..]);
            var type = file.Slice(pos + 4, 4);
            int data = pos + 8;
            if (length > int.MaxValue || data + (long)length + 4 > file.Length)
            {
                // A cut file: what is there counts, and decoding says whether the image data was complete (after
                // the last IDAT a missing IEND is harmless, as it is to Pillow and libpng).
                if (type.SequenceEqual("IDAT"u8) && colorType >= 0 && data < file.Length)
                {
                    idat.Add((data, file.Length - data));
                    idatBytes += file.Length - data;
                }
                break;
            }
            if (type.SequenceEqual("IHDR"u8))
            {
                if (colorType >= 0) throw new InvalidDataException($"{source}: not a decodable image (PNG has two IHDR chunks)");
                if (length != 13) throw new InvalidDataException($"{source}: not a decodable image (PNG IHDR chunk is {length} bytes; expected 13)");
                uint w = BinaryPrimitives.ReadUInt32BigEndian(file[data..]), h = BinaryPrimitives.ReadUInt32BigEndian(file[(data + 4)..]);
                // The spec caps both at 2^31 - 1.
                if (w is 0 or > int.MaxValue || h is 0 or > int.MaxValue)
                    throw new InvalidDataException($"{source}: not a decodable image (PNG size {w}x{h} is invalid)");
                (width, height, bitDepth, colorType) = ((int)w, (int)h, file[data + 8], file[data + 9]);
                if (file[data + 10] != 0 || file[data + 11] != 0)
                    throw new InvalidDataException($"{source}: not a decodable image (PNG compression/filter method {file[data + 10]}/{file[data + 11]}; expected 0/0)");
                interlace = file[data + 12];
                if (interlace > 1) throw new InvalidDataException($"{source}: not a decodable image (PNG interlace method {interlace}; expected 0 or 1)");
                if (!ValidDepth(bitDepth, colorType))
                    throw new InvalidDataException($"{source}: not a decodable image (PNG bit depth {bitDepth} is invalid for colour type {colorType})");
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                idat.Add((data, (int)length));
                idatBytes += length;
            }
            else if (type.SequenceEqual("IEND"u8)) break;
            pos = data + (int)length + 4; // skip the CRC
        }
        if (colorType < 0) throw new InvalidDataException($"{source}: not a decodable image (PNG has no complete IHDR chunk)");
        var reader = new PngReader(source, width, height, bitDepth, colorType, interlace == 1, idat, idatBytes);
        InputLimits.CheckPixels(width, height, source, "PNG");
        long needed = reader.ScanlineBytes();
        if (needed > MaxDeflateRatio * idatBytes + MaxDeflateRatio)
            throw new InvalidDataException(
                $"{source}: not a decodable image (PNG declares {width}x{height} pixels, {needed} bytes of scanlines, but its {idatBytes} bytes " +
                "of image data cannot hold them: truncated or corrupt)");
        return reader;
    }

    static bool ValidDepth(int depth, int colorType) => colorType switch
    {
        0 => depth is 1 or 2 or 4 or 8 or 16,
        3 => depth is 1 or 2 or 4 or 8,
        2 or 4 or 6 => depth is 8 or 16,
        _ => false,
    };

    int BitsPerPixel => BitDepth * Channels;

    long RowBytes(long width) => (width * BitsPerPixel + 7) / 8;

    /// <summary>Size of the decompressed stream: every (sub-)image row with its filter byte.</summary>
    long ScanlineBytes()
    {
        if (!Interlaced) return Height * (1 + RowBytes(Width));
        long total = 0;
        foreach (var (x0, y0, dx, dy) in Adam7)
        {
            long pw = PassSize(Width, x0, dx), ph = PassSize(Height, y0, dy);
            if (pw > 0 && ph > 0) total += ph * (1 + RowBytes(pw));
        }
        return total;
    }

    static int PassSize(int size, int start, int step) => size > start ? (size - start + step - 1) / step : 0;

    /// <summary>
    /// Every sample, row-major and channel-interleaved (Width × Height × Channels values), as stored: palette
    /// indices, grey levels 0..2^depth − 1, 16-bit values whole.
    /// </summary>
    public ushort[] ReadSamples(ReadOnlySpan<byte> file)
    {
        var raw = Inflate(file);
        long count = (long)Width * Height * Channels;
        if (count > Array.MaxLength) throw new InvalidDataException($"{source}: PNG of {Width}x{Height} is too large to decode");
        var samples = new ushort[count];
        int bpp = Math.Max(1, BitsPerPixel / 8); // the filters' byte distance rounds up to 1 byte (§9.2)
        long at = 0;
        (int X0, int Y0, int DX, int DY)[] passes = Interlaced ? Adam7 : [(0, 0, 1, 1)];
        foreach (var (x0, y0, dx, dy) in passes)
        {
            int pw = PassSize(Width, x0, dx), ph = PassSize(Height, y0, dy);
            if (pw == 0 || ph == 0) continue;
            int stride = (int)RowBytes(pw);
            var prev = new byte[stride];
            var cur = new byte[stride];
            for (int py = 0; py < ph; py++)
            {
                byte filter = raw[at];
                raw.AsSpan((int)(at + 1), stride).CopyTo(cur);
                at += 1 + stride;
                Unfilter(filter, cur, prev, bpp, py);
                long y = y0 + (long)py * dy;
                for (int px = 0; px < pw; px++)
                {
                    long x = x0 + (long)px * dx;
                    long dst = (y * Width + x) * Channels;
                    for (int c = 0; c < Channels; c++) samples[dst + c] = Sample(cur, px * Channels + c);
                }
                (prev, cur) = (cur, prev);
            }
        }
        return samples;
    }

    byte[] Inflate(ReadOnlySpan<byte> file)
    {
        long needed = ScanlineBytes();
        if (needed > Array.MaxLength) throw new InvalidDataException($"{source}: PNG of {Width}x{Height} is too large to decode");
        var compressed = new byte[ImageDataBytes];
        int o = 0;
        foreach (var (offset, length) in idat)
        {
            file.Slice(offset, length).CopyTo(compressed.AsSpan(o));
            o += length;
        }
        var raw = new byte[needed];
        int got;
        try
        {
            using var z = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
            got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: not a decodable image (PNG image data is corrupt: {e.Message})", e);
        }
        if (got < raw.Length)
            throw new InvalidDataException(
                $"{source}: not a decodable image (PNG image data is truncated: {got} of the {raw.Length} bytes {Width}x{Height} needs)");
        return raw;
    }

    ushort Sample(ReadOnlySpan<byte> row, int index) => BitDepth switch
    {
        16 => BinaryPrimitives.ReadUInt16BigEndian(row.Slice(2 * index, 2)),
        8 => row[index],
        _ => (ushort)((row[index * BitDepth / 8] >> (8 - BitDepth * (index % (8 / BitDepth) + 1))) & ((1 << BitDepth) - 1)),
    };

    void Unfilter(byte filter, Span<byte> cur, ReadOnlySpan<byte> prev, int bpp, int row)
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
                throw new InvalidDataException($"{source}: not a decodable image (PNG row {row} has filter type {filter}; expected 0-4)");
        }
    }

    static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
