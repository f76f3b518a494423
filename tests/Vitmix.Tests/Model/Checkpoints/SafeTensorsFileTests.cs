using System.Buffers.Binary;
using Vitmix.Model.Checkpoints;
using static Vitmix.Tests.Model.Checkpoints.CheckpointTestFiles;

namespace Vitmix.Tests.Model.Checkpoints;

public class SafeTensorsFileTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    [Fact]
    public void ReadsF32ValuesShapesAndMetadata()
    {
        string path = Raw(dir.File("a.safetensors"),
            """{"__metadata__":{"format":"pt","note":"hi"},"b":{"dtype":"F32","shape":[3],"data_offsets":[8,20]},"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}  """,
            Floats(1.5f, -2f, 3f, 4.25f, -0f));
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(["a", "b"], f.Tensors.Select(t => t.Name));
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal("hi", f.Metadata["note"]);
        Assert.Equal([1.5f, -2f], f.ReadFloats("a"));
        Assert.Equal([3f, 4.25f, -0f], f.ReadFloats("b"));
        var t = f.ReadTensor("a");
        Assert.Equal([1, 2], t.Shape);
    }

    [Fact]
    public void F16ConvertsExactlyToHandComputedValues()
    {
        // IEEE half: sign | 5-bit exponent (bias 15) | 10-bit mantissa
        ushort[] bits = [0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0001, 0x03FF, 0x8000, 0x7C00, 0xFC00, 0x3800];
        float[] expected =
        [
            1f, -2f, 1365f / 4096f /* (1 + 341/1024) * 2^-2 */, 65504f, MathF.Pow(2, -24), 1023f * MathF.Pow(2, -24),
            -0f, float.PositiveInfinity, float.NegativeInfinity, 0.5f,
        ];
        string path = Raw(dir.File("h.safetensors"), $$$"""{"h":{"dtype":"F16","shape":[{{{bits.Length}}}],"data_offsets":[0,{{{2 * bits.Length}}}]}}""", UShorts(bits));
        using var f = SafeTensorsFile.Open(path);
        var got = f.ReadFloats("h");
        for (int i = 0; i < bits.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(got[i]));
        var nan = Raw(dir.File("n.safetensors"), """{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}""", UShorts(0x7E00));
        using var fn = SafeTensorsFile.Open(nan);
        Assert.True(float.IsNaN(fn.ReadFloats("h")[0]));
    }

    [Fact]
    public void Bf16IsTheUpperHalfOfAFloat32()
    {
        ushort[] bits = [0x3F80, 0xC040, 0x3EAB, 0x0001, 0x7F80, 0x8000, 0x4049];
        // 0x3EAB: exponent 0x7D (2^-2), mantissa 0x2B/0x80 → (1 + 43/128) / 4; 0x0001 → 2^-133 (subnormal); 0x4049 → (1 + 73/128) * 2
        float[] expected = [1f, -3f, 171f / 512f, MathF.Pow(2, -133), float.PositiveInfinity, -0f, 201f / 64f];
        string path = Raw(dir.File("b.safetensors"), $$$"""{"w":{"dtype":"BF16","shape":[{{{bits.Length}}}],"data_offsets":[0,{{{2 * bits.Length}}}]}}""", UShorts(bits));
        using var f = SafeTensorsFile.Open(path);
        var got = f.ReadFloats("w");
        for (int i = 0; i < bits.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(got[i]));
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void HalfWidthTensorsLargerThanTheStagingBufferConvertEveryElement(string dtype)
    {
        // 300,007 elements cross several staging chunks and end on a partial one.
        const int n = 300_007;
        var bits = new ushort[n];
        for (int i = 0; i < n; i++) bits[i] = (ushort)((i * 7919) % 0x7C00 | (i % 3 == 0 ? 0x8000 : 0));
        string path = Raw(dir.File("big.safetensors"), $$$"""{"w":{"dtype":"{{{dtype}}}","shape":[{{{n}}}],"data_offsets":[0,{{{2 * n}}}]}}""", UShorts(bits));
        using var f = SafeTensorsFile.Open(path);
        var got = f.ReadFloats("w");
        for (int i = 0; i < n; i++)
        {
            float want = dtype == "F16" ? (float)BitConverter.UInt16BitsToHalf(bits[i]) : BitConverter.Int32BitsToSingle(bits[i] << 16);
            if (BitConverter.SingleToInt32Bits(want) != BitConverter.SingleToInt32Bits(got[i]))
                Assert.Fail($"element {i}: bits 0x{bits[i]:X4} gave {got[i]}, expected {want}");
        }
    }

    [Theory]
    [InlineData("F32", 0)]
    [InlineData("F32", 200_003)]   // past the first cache-sized chunk
    [InlineData("F16", 299_999)]   // the last element
    [InlineData("BF16", 131_072)]  // the first element of the second staging chunk
    [InlineData("F32", -1)]
    [InlineData("BF16", -1)]
    public void ReadingWhileCheckingFindsTheFirstNonFiniteValueAndReadsTheRestUnchanged(string dtype, int badAt)
    {
        const int n = 300_000;
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (i % 97) * 0.25f - 3f; // exact in F16 and BF16
        if (badAt >= 0) values[badAt] = dtype == "F16" ? float.NegativeInfinity : float.NaN;
        if (badAt >= 0 && badAt + 5 < n) values[badAt + 5] = float.PositiveInfinity; // only the first is reported
        byte[] data = dtype switch
        {
            "F32" => Floats(values),
            "F16" => UShorts(values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray()),
            _ => UShorts(values.Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray()),
        };
        string path = Raw(dir.File("c.safetensors"), $$$"""{"w":{"dtype":"{{{dtype}}}","shape":[{{{n}}}],"data_offsets":[0,{{{data.Length}}}]}}""", data);
        using var f = SafeTensorsFile.Open(path);
        var got = new float[n];
        Assert.Equal(badAt, f.ReadFloatsFindingNonFinite("w", got));
        if (badAt < 0) Assert.Equal(f.ReadFloats("w"), got);
        else Assert.Equal(values[..badAt], got[..badAt]);
    }

    [Fact]
    public void ScalarAndEmptyTensorsAreValid()
    {
        string path = Raw(dir.File("s.safetensors"),
            """{"e":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""", Floats(7f));
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal([7f], f.ReadFloats("s"));
        Assert.Empty(f.ReadFloats("e"));
    }

    [Fact]
    public void OtherDtypesAreListedButAreNoViTWeight()
    {
        string path = Raw(dir.File("i.safetensors"),
            """{"steps":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"mask":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}}""",
            new byte[10]);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(SafeTensorDtype.I64, f["steps"].Dtype);
        Assert.Equal(SafeTensorDtype.U8, f["mask"].Dtype);
        var e = Assert.Throws<InvalidDataException>(() => f.ReadFloats("steps"));
        Assert.Contains(path, e.Message);
        Assert.Contains("'steps'", e.Message);
        Assert.Contains("I64", e.Message);
    }

    public static TheoryData<string, string, byte[], ulong?, string> Hostile => new()
    {
        { "header length beyond file", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", Floats(1), 5000UL, "past the end" },
        { "huge header length", """{}""", [], 1UL << 62, "exceeds the limit" },
        { "header over the 100 MB limit", """{}""", [], 100_000_001UL, "exceeds the limit" },
        { "header not JSON", """{"a": oops}""", [], null, "not valid JSON" },
        { "header not starting with a brace", """ {"a":1}""", [], null, "does not start with '{'" },
        { "JSON not an object", "[1, 2]", [], null, "does not start with '{'" },
        { "entry not an object", """{"a":[1,2]}""", [], null, "'a'" },
        { "overlapping offsets", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", Floats(1, 2, 3), null, "overlap" },
        { "offsets with a hole", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", Floats(1, 2, 3), null, "hole" },
        { "data not starting at 0", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", Floats(1, 2), null, "hole" },
        { "last offset short of the data", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", Floats(1, 2), null, "data buffer" },
        { "last offset past the data (truncated)", """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""", Floats(1, 2), null, "data buffer" },
        { "unknown dtype", """{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}""", Floats(1), null, "unknown dtype 'F33'" },
        { "wrong byte length", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", Floats(1), null, "needs 8 bytes" },
        { "duplicate key", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", Floats(1, 2), null, "duplicate key 'a'" },
        { "negative dimension", """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", Floats(1), null, "non-negative" },
        { "overflowing shape", """{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}""", Floats(1), null, "too many elements" },
        { "end before begin", """{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}""", Floats(1), null, "end before" },
        { "metadata not strings", """{"__metadata__":{"x":1}}""", [], null, "__metadata__" },
        { "missing data_offsets", """{"a":{"dtype":"F32","shape":[1]}}""", Floats(1), null, "data_offsets" },
        { "deeply nested JSON", "{\"a\":" + new string('[', 5000) + new string(']', 5000) + "}", [], null, "JSON" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileHeadersAreRejectedNamingTheFile(string what, string header, byte[] data, ulong? declared, string expected)
    {
        string path = Raw(dir.File("hostile.safetensors"), header, data, declared);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        _ = what; // names the case in the test report
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, 0x7D, 0x71, 0x00 }, "is a Python pickle")]           // protocol 2, a dict (short file)
    [InlineData(new byte[] { 0x80, 0x04, 0x95, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7D }, "is a Python pickle")] // protocol 4 framing
    [InlineData(new byte[] { 0x80, 0x05, 0x95, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x7D }, "is a Python pickle")]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4, 0x14, 0, 0, 0, 8, 0, 0, 0 }, "is a zip archive")]
    public void PyTorchFormatsAreRecognisedByTheirMagic(byte[] start, string expected)
    {
        string path = dir.File("model.pth");
        File.WriteAllBytes(path, [.. start, .. new byte[64]]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.StartsWith(path + ": this ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains("torch.load(\"model.pth\", map_location=\"cpu\", weights_only=True)", e.Message);
    }

    [Fact]
    public void SafetensorsWhoseLengthBytesLookLikeAPickleStillLoad()
    {
        // A 640-byte header is 0x280: the file starts 80 02, the pickle magic, and must still read as safetensors.
        string header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""";
        header += new string(' ', 0x280 - header.Length);
        string path = Raw(dir.File("pk.safetensors"), header, Floats(2.5f));
        Assert.Equal([0x80, 0x02], File.ReadAllBytes(path)[..2]);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal([2.5f], f.ReadFloats("a"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void FilesShorterThanTheLengthPrefixAreRejected(int length)
    {
        string path = dir.File("short.safetensors");
        File.WriteAllBytes(path, new byte[length]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains("too short", e.Message);
    }

    [Fact]
    public void TruncatedFileIsRejected()
    {
        string path = Raw(dir.File("t.safetensors"), """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", Floats(1, 2, 3, 4));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void HugeDeclaredHeaderAllocatesNothingBigAndFailsFast()
    {
        string path = Raw(dir.File("huge.safetensors"), "{}", [], (1UL << 62) + 3);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path).Dispose());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes for a hostile header length");
    }

    [Fact]
    public void MissingFileIsAnInvalidDataErrorNamingIt()
    {
        string path = dir.File("nope.safetensors");
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void WriterPadsTheHeaderToEightBytesAndRoundTrips()
    {
        string path = dir.File("w.safetensors");
        var a = new float[] { 1, 2, 3, 4, 5, 6 };
        var b = new float[] { -1.25f };
        SafeTensorsWriter.Write(path, [new SafeTensorEntry("x.weight", [2, 3], a), new SafeTensorEntry("y", [1], b)],
            new Dictionary<string, string> { ["format"] = "pt", ["config"] = "{\"num_heads\": 3}" });
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        Assert.Equal((byte)'{', bytes[8]);
        Assert.Equal(8 + n + 4 * 7, bytes.Length);

        // an independent reader sees the same tensors
        var independent = ReadF32(path);
        Assert.Equal(a, independent["x.weight"].Data);
        Assert.Equal([2, 3], independent["x.weight"].Shape);

        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(a, f.ReadFloats("x.weight"));
        Assert.Equal(b, f.ReadFloats("y"));
        Assert.Equal("{\"num_heads\": 3}", f.Metadata["config"]);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void WriterRejectsDataThatDoesNotMatchTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            SafeTensorsWriter.Write(dir.File("bad.safetensors"), [new SafeTensorEntry("x", [2, 2], [1f, 2f, 3f])]));
        Assert.Contains("'x'", e.Message);
        Assert.False(File.Exists(dir.File("bad.safetensors")));
    }
}
