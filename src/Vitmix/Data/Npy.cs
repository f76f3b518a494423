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

/// <summary>
/// NumPy .npy format 1.0/2.0/3.0 (C order, little-endian): magic "\x93NUMPY", version, header length,
/// a Python dict literal {'descr', 'fortran_order', 'shape'}, then the raw data.
/// </summary>
public static partial class Npy
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads f4, f8, u1, i1, i4, i8, u2, i2, b1 arrays; errors name the file and the problem.</summary>
    public static NpyArray Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InvalidDataException($"{path}: cannot read: {e.Message}"); }
        return Parse(bytes, path);
    }

    /// <summary>Parses the bytes of a .npy file as <see cref="Read"/> does; <paramref name="source"/> names it in errors.</summary>
    public static NpyArray Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: not a NumPy .npy file (no \\x93NUMPY magic)");
        int major = bytes[6];
        int headerLen, start;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]); start = 10; }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new InvalidDataException($"{source}: truncated .npy header");
            long hl = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
            if (hl > bytes.Length) throw new InvalidDataException($"{source}: .npy header length {hl} exceeds the file");
            headerLen = (int)hl; start = 12;
        }
        else throw new InvalidDataException($"{source}: unsupported .npy format version {major}");
        if (start + headerLen > bytes.Length) throw new InvalidDataException($"{source}: truncated .npy header");
        string header = Encoding.Latin1.GetString(bytes.Slice(start, headerLen));
        var descr = DescrRegex().Match(header);
        var fortran = FortranRegex().Match(header);
        var shapeMatch = ShapeRegex().Match(header);
        if (!descr.Success || !shapeMatch.Success)
            throw new InvalidDataException($"{source}: malformed .npy header {header.Trim()}");
        if (fortran.Success && fortran.Groups[1].Value == "True")
            throw new InvalidDataException($"{source}: Fortran-order arrays are not supported; save with np.ascontiguousarray");
        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s.TrimEnd('L'), out var v) && v >= 0 ? v : throw new InvalidDataException($"{source}: bad shape entry '{s}'"))
            .ToArray();
        string dtype = descr.Groups[1].Value;
        long count = 1;
        foreach (var d in shape) count = checked(count * d);
        var data = bytes[(start + headerLen)..];
        int size = dtype[1..] switch
        {
            "f4" or "i4" or "u4" => 4, "f8" or "i8" or "u8" => 8, "u1" or "i1" or "b1" => 1, "i2" or "u2" or "f2" => 2,
            _ => throw new InvalidDataException($"{source}: unsupported dtype '{dtype}'"),
        };
        if (size > 1 && dtype[0] == '>') throw new InvalidDataException($"{source}: big-endian arrays are not supported");
        if (data.Length != count * size)
            throw new InvalidDataException($"{source}: data is {data.Length} bytes but shape ({string.Join(", ", shape)}) of {dtype} needs {count * size}");
        var values = new double[count];
        for (long i = 0; i < count; i++)
        {
            var s = data.Slice((int)(i * size), size);
            values[i] = dtype[1..] switch
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
        return new NpyArray(shape, dtype, values);
    }

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

    static void Write(string path, string descr, byte[] payload, int[] shape)
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
        AtomicFile.WriteAllBytes(path, ms.ToArray());
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([<>|=][a-z]\d+)'")] private static partial Regex DescrRegex();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")] private static partial Regex FortranRegex();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapeRegex();
}
