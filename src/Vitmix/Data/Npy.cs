using Vitmix.IO;
using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Vitmix.Data;

/// <summary>An array read from a NumPy .npy file, converted to the element type asked for.</summary>
/// <param name="Shape">The dimensions, outermost first (C order); empty for a scalar.</param>
/// <param name="Dtype">The header's descr, e.g. "&lt;f4".</param>
/// <param name="Values">Every element, row-major, widened to double.</param>
public sealed record NpyArray(int[] Shape, string Dtype, double[] Values)
{
    /// <summary>The values rounded to float32.</summary>
    public float[] ToFloat() => Array.ConvertAll(Values, v => (float)v);
    /// <summary>Number of elements.</summary>
    public long Count => Values.LongLength;
}

/// <summary>The validated header of a .npy file: where its data starts and what it holds.</summary>
/// <param name="Shape">The dimensions (each fits an int; their product is <see cref="Count"/>).</param>
/// <param name="Dtype">The NumPy type string, e.g. "&lt;f4".</param>
/// <param name="DataOffset">Where the data starts in the file.</param>
/// <param name="Count">Number of elements (the product of <paramref name="Shape"/>).</param>
public sealed record NpyHeader(int[] Shape, string Dtype, int DataOffset, long Count)
{
    /// <summary>Bytes per element.</summary>
    public int ItemSize => Dtype[2] - '0';

    /// <summary>True for a float dtype (f2, f4, f8).</summary>
    public bool IsFloat => Dtype[1] == 'f';
}

/// <summary>
/// NumPy .npy format 1.0/2.0/3.0 (C order, little-endian): magic "\x93NUMPY", version, header length,
/// a Python dict literal {'descr', 'fortran_order', 'shape'}, then the raw data.
/// </summary>
/// <remarks>
/// Untrusted files: read through <see cref="InputFile"/> under <see cref="InputLimits.MaxFileBytes"/>; the header is
/// validated before anything is converted (all three keys present, a supported little-endian dtype, C order, every
/// dimension a non-negative int, the element count computed overflow-checked and at most
/// <see cref="MaxElements"/>, the data exactly as long as shape and dtype say). Every problem is one
/// <see cref="InvalidDataException"/> naming the file.
/// </remarks>
public static partial class Npy
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Most elements read: as many values as the largest image has pixels (they are held as doubles).</summary>
    public const long MaxElements = InputLimits.MaxPixels;

    /// <summary>Reads f4, f8, f2, u1, i1, u2, i2, u4, i4, u8, i8, b1 arrays; errors name the file and the problem.</summary>
    public static NpyArray Read(string path) => Parse(ReadFile(path), path);

    /// <summary>The bytes of a .npy file, read under the byte limit; a file without the NumPy magic is refused early.</summary>
    public static byte[] ReadFile(string path) =>
        InputFile.ReadAll(path, "a .npy file", InputLimits.MaxFileBytes,
            start => start.StartsWith(Magic) ? null : "not a NumPy .npy file (no \\x93NUMPY magic)");

    /// <summary>Parses a whole .npy file held in memory.</summary>
    public static NpyArray Parse(ReadOnlySpan<byte> bytes, string source)
    {
        var header = ParseHeader(bytes, source);
        var values = new double[header.Count];
        var data = bytes[header.DataOffset..];
        int size = header.ItemSize;
        string kind = header.Dtype[1..];
        for (long i = 0; i < header.Count; i++)
        {
            var s = data.Slice((int)(i * size), size);
            values[i] = kind switch
            {
                "f4" => BinaryPrimitives.ReadSingleLittleEndian(s),
                "f8" => BinaryPrimitives.ReadDoubleLittleEndian(s),
                "f2" => (double)BinaryPrimitives.ReadHalfLittleEndian(s),
                "i4" => BinaryPrimitives.ReadInt32LittleEndian(s),
                "u4" => BinaryPrimitives.ReadUInt32LittleEndian(s),
                "i8" => BinaryPrimitives.ReadInt64LittleEndian(s),
                "u8" => BinaryPrimitives.ReadUInt64LittleEndian(s),
                "i2" => BinaryPrimitives.ReadInt16LittleEndian(s),
                "u2" => BinaryPrimitives.ReadUInt16LittleEndian(s),
                "i1" => (sbyte)s[0],
                _ => s[0],
            };
        }
        return new NpyArray(header.Shape, header.Dtype, values);
    }

    /// <summary>
    /// Validates the header of the .npy file in <paramref name="bytes"/> against its data, converting nothing.
    /// Errors: <see cref="InvalidDataException"/> "&lt;source&gt;: &lt;problem&gt;".
    /// </summary>
    public static NpyHeader ParseHeader(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: not a NumPy .npy file (no \\x93NUMPY magic)");
        int major = bytes[6];
        long headerLen;
        int start;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]); start = 10; }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new InvalidDataException($"{source}: truncated .npy header");
            headerLen = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]); start = 12;
        }
        else throw new InvalidDataException($"{source}: unsupported .npy format version {major}.{bytes[7]}; expected 1.0, 2.0 or 3.0");
        if (start + headerLen > bytes.Length)
            throw new InvalidDataException($"{source}: .npy header of {headerLen} bytes runs past the end of the file ({bytes.Length} bytes)");
        var headerBytes = bytes.Slice(start, (int)headerLen);
        string header = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        string shown = header.Trim();
        if (shown.Length > 200) shown = shown[..200] + "...";
        shown = shown.ReplaceLineEndings(" ");

        var descr = DescrRegex().Match(header);
        var fortran = FortranRegex().Match(header);
        var shapeMatch = ShapeRegex().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success)
            throw new InvalidDataException($"{source}: malformed .npy header {shown} (expected 'descr', 'fortran_order' and 'shape')");
        if (fortran.Groups[1].Value == "True")
            throw new InvalidDataException($"{source}: Fortran-order arrays are not supported; save with np.ascontiguousarray");

        string dtype = descr.Groups[1].Value;
        if (!SupportedKinds.Contains(dtype[1..]))
            throw new InvalidDataException(
                $"{source}: unsupported dtype '{dtype}'; expected one of {string.Join(", ", SupportedKinds)} (little-endian)");
        if (dtype[0] == '>' && dtype[2] != '1')
            throw new InvalidDataException($"{source}: big-endian dtype '{dtype}' is not supported; save with arr.astype(arr.dtype.newbyteorder('<'))");
        if (dtype[0] == '|' && dtype[2] != '1')
            throw new InvalidDataException($"{source}: dtype '{dtype}' has no byte order; expected '<' for a {dtype[2]}-byte type");

        var entries = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries);
        // "(3,)" splits into "3" and "": a trailing comma is Python's one-element tuple, any other empty entry is not.
        if (entries.Length > 1 && entries[^1].Length == 0) entries = entries[..^1];
        if (entries is [""]) entries = [];
        var shape = new int[entries.Length];
        long count = 1;
        bool empty = false, tooMany = false;
        for (int i = 0; i < entries.Length; i++)
        {
            string e = entries[i].TrimEnd('L');
            if (e.Length == 0 || e.Length > 19 || !e.All(char.IsAsciiDigit) || !long.TryParse(e, out long d))
                throw new InvalidDataException($"{source}: bad shape entry '{entries[i]}' in .npy header (expected a non-negative integer)");
            if (d > int.MaxValue)
                throw new InvalidDataException($"{source}: shape ({string.Join(", ", entries)}) has dimension {d}, more than {int.MaxValue}");
            shape[i] = (int)d;
            // Compared before multiplying: a hostile shape must not wrap around to a small element count.
            if (d == 0) empty = true;
            else if (count > MaxElements / d) tooMany = true;
            else count *= d;
        }
        if (empty) count = 0;
        else if (tooMany)
            throw new InvalidDataException($"{source}: shape ({string.Join(", ", shape)}) has more than {MaxElements} elements, the limit for a .npy file");
        int itemSize = dtype[2] - '0';
        long dataOffset = start + headerLen;
        long dataLength = bytes.Length - dataOffset;
        if (dataLength != count * itemSize)
            throw new InvalidDataException(
                $"{source}: data is {dataLength} bytes but shape ({string.Join(", ", shape)}) of {dtype} needs {count * itemSize}" +
                (dataLength < count * itemSize ? " (truncated?)" : ""));
        return new NpyHeader(shape, dtype, (int)dataOffset, count);
    }

    static readonly string[] SupportedKinds = ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"];

    /// <summary>Writes float32 data atomically (temp file, then rename).</summary>
    public static void WriteFloat32(string path, ReadOnlySpan<float> data, params int[] shape)
    {
        var bytes = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        Write(path, "<f4", bytes, shape);
    }

    /// <summary>Writes float64 data atomically (temp file, then rename).</summary>
    public static void WriteFloat64(string path, ReadOnlySpan<double> data, params int[] shape)
    {
        var bytes = new byte[data.Length * 8];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), data[i]);
        Write(path, "<f8", bytes, shape);
    }

    /// <summary>Writes bytes as a uint8 array atomically (temp file, then rename).</summary>
    public static void WriteUInt8(string path, ReadOnlySpan<byte> data, params int[] shape) => Write(path, "|u1", data.ToArray(), shape);

    /// <summary>A float32 array as the bytes of a .npy file, for writers that send it elsewhere than a file (a download).</summary>
    public static byte[] EncodeFloat32(ReadOnlySpan<float> data, params int[] shape)
    {
        var bytes = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        return Encode("<f4", bytes, shape);
    }

    static void Write(string path, string descr, byte[] payload, int[] shape) => AtomicFile.WriteAllBytes(path, Encode(descr, payload, shape));

    static byte[] Encode(string descr, byte[] payload, int[] shape)
    {
        if (Tensor.ElementCount(shape) * (descr[2] - '0') != payload.Length && descr != "|u1")
            throw new ArgumentException("shape does not match the data");
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        using var ms = new MemoryStream();
        ms.Write(Magic);
        ms.WriteByte(1); ms.WriteByte(0);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        ms.Write(len);
        ms.Write(Encoding.Latin1.GetBytes(header));
        ms.Write(payload);
        return ms.ToArray();
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([<>|=][a-z]\d+)'")] private static partial Regex DescrRegex();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")] private static partial Regex FortranRegex();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapeRegex();
}
