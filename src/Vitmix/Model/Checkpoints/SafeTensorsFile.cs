using System.Buffers;
using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Vitmix.Engine;

namespace Vitmix.Model.Checkpoints;

/// <summary>
/// A safetensors file opened for reading: <c>[u64 N][N bytes JSON header][data]</c>. Opening reads and validates
/// only the header, with the checks of the reference reader (huggingface/safetensors <c>Metadata::validate</c>);
/// tensors are then read on demand, straight into their float32 destination.
/// Every problem is an <see cref="InvalidDataException"/> "&lt;file&gt;: &lt;problem&gt;".
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>Largest header accepted, as the reference reader's <c>MAX_HEADER_SIZE</c>.</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Bytes of the raw-data staging buffer used to convert F16/BF16 (the F32 path reads in place).</summary>
    const int ConvertChunkBytes = 1 << 18;

    readonly SafeFileHandle handle;
    readonly Dictionary<string, SafeTensorInfo> byName;

    /// <summary>The file's path, as given to <see cref="Open"/>; every error message starts with it.</summary>
    public string Path { get; }
    /// <summary>Size of the file in bytes.</summary>
    public long FileLength { get; }
    /// <summary>N, the JSON header's length in bytes (padding included).</summary>
    public long HeaderLength { get; }
    /// <summary>File offset of the data buffer: 8 + N.</summary>
    public long DataStart => 8 + HeaderLength;
    /// <summary>The header's <c>__metadata__</c> (string to string); empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Every tensor, in data-offset order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    SafeTensorsFile(string path, SafeFileHandle handle, long fileLength, long headerLength,
        IReadOnlyDictionary<string, string> metadata, List<SafeTensorInfo> tensors)
    {
        Path = path;
        this.handle = handle;
        FileLength = fileLength;
        HeaderLength = headerLength;
        Metadata = metadata;
        Tensors = tensors;
        byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Opens <paramref name="path"/> and validates its header; the tensor data is not read yet.</summary>
    public static SafeTensorsFile Open(string path)
    {
        SafeFileHandle handle;
        // Opened as every input file is: a FIFO without a writer must not block open(2) forever.
        try { handle = Vitmix.IO.InputFile.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            string reason = e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;
            throw new InvalidDataException($"{path}: cannot open: {OneLine(reason)}");
        }
        try
        {
            long length;
            try { length = RandomAccess.GetLength(handle); }
            catch (NotSupportedException) { throw Fail(path, "not a regular file (a pipe?): a safetensors file is read by offset"); }
            var (headerLength, metadata, tensors) = ReadHeader(handle, length, path);
            return new SafeTensorsFile(path, handle, length, headerLength, metadata, tensors);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Closes the file; tensors can no longer be read.</summary>
    public void Dispose() => handle.Dispose();

    /// <summary>True when the header has a tensor named <paramref name="name"/> (ordinal, case-sensitive).</summary>
    public bool Contains(string name) => byName.ContainsKey(name);

    /// <summary>The header entry named <paramref name="name"/>; false (and <paramref name="info"/> null) when there is none.</summary>
    public bool TryGet(string name, out SafeTensorInfo info) => byName.TryGetValue(name, out info!);

    /// <summary>The entry named <paramref name="name"/>; an error naming the file and key when there is none.</summary>
    public SafeTensorInfo this[string name] =>
        byName.TryGetValue(name, out var info) ? info : throw Fail(Path, $"no tensor named '{name}'");

    /// <summary>Reads a F32/F16/BF16 tensor as a new float32 array (converted once; no second copy is kept).</summary>
    public float[] ReadFloats(string name)
    {
        var info = this[name];
        RequireFloat(info);
        if (info.ElementCount > Array.MaxLength) throw Fail(Path, $"tensor '{name}' has {info.ElementCount} elements, more than an array can hold");
        var data = GC.AllocateUninitializedArray<float>((int)info.ElementCount);
        ReadFloats(info, data);
        return data;
    }

    /// <summary>Reads a F32/F16/BF16 tensor into <paramref name="destination"/>, which must have exactly its element count.</summary>
    public void ReadFloats(string name, Span<float> destination) => ReadFloats(this[name], destination);

    /// <summary>Reads a tensor as a float32 <see cref="Tensor"/> with its header shape.</summary>
    public Tensor ReadTensor(string name)
    {
        var info = this[name];
        RequireFloat(info);
        var shape = IntShape(info);
        return new Tensor(ReadFloats(name), shape);
    }

    /// <summary>The shape as int dimensions (what <see cref="Tensor"/> holds); an error when a dimension does not fit.</summary>
    public int[] IntShape(SafeTensorInfo info)
    {
        var shape = new int[info.Shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (info.Shape[i] > int.MaxValue) throw Fail(Path, $"tensor '{info.Name}' dimension {info.Shape[i]} is too large");
            shape[i] = (int)info.Shape[i];
        }
        return shape;
    }

    void RequireFloat(SafeTensorInfo info)
    {
        if (!info.Dtype.IsFloatWeight())
            throw Fail(Path, $"tensor '{info.Name}' has dtype {info.Dtype}; a ViT weight must be F32, F16 or BF16");
    }

    /// <summary>
    /// Reads like <see cref="ReadFloats(string, Span{float})"/> and returns the index of the first NaN or ±∞, or -1
    /// when every value is finite. Each chunk is checked right after it is read, while it is still in cache, so the
    /// check costs little beside the read; reading stops at the first non-finite value.
    /// </summary>
    internal int ReadFloatsFindingNonFinite(string name, Span<float> destination) => ReadFloats(this[name], destination, findNonFinite: true);

    int ReadFloats(SafeTensorInfo info, Span<float> destination, bool findNonFinite = false)
    {
        RequireFloat(info);
        if (destination.Length != info.ElementCount)
            throw new ArgumentException($"{Path}: tensor '{info.Name}' has {info.ElementCount} elements but the destination holds {destination.Length}");
        long offset = DataStart + info.Begin;
        if (info.Dtype != SafeTensorDtype.F32) return ReadHalfWidth(info, offset, destination, findNonFinite);
        // Little-endian bytes land directly in the float array: no staging copy of the weights. Without a check the
        // whole tensor is one read; with it, cache-sized chunks.
        int step = findNonFinite ? ConvertChunkBytes / sizeof(float) : Math.Max(destination.Length, 1);
        for (int done = 0; done < destination.Length; done += step)
        {
            var chunk = destination.Slice(done, Math.Min(step, destination.Length - done));
            ReadExactly(offset + sizeof(float) * (long)done, MemoryMarshal.AsBytes(chunk), info.Name);
            if (!BitConverter.IsLittleEndian)
            {
                var bits = MemoryMarshal.Cast<float, int>(chunk);
                BinaryPrimitives.ReverseEndianness(bits, bits);
            }
            if (findNonFinite && FiniteCheck.IndexOfNonFinite(chunk) is int bad and >= 0) return done + bad;
        }
        return -1;
    }

    /// <summary>
    /// Streams 16-bit elements through a small pooled buffer, converting each chunk into the destination; with
    /// <paramref name="findNonFinite"/> returns the index of the first NaN or ±∞ (-1 when none), as
    /// <see cref="ReadFloatsFindingNonFinite"/>.
    /// </summary>
    int ReadHalfWidth(SafeTensorInfo info, long offset, Span<float> destination, bool findNonFinite)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ConvertChunkBytes);
        try
        {
            int done = 0;
            while (done < destination.Length)
            {
                int n = Math.Min(destination.Length - done, ConvertChunkBytes / 2);
                var raw = buffer.AsSpan(0, n * 2);
                ReadExactly(offset + 2L * done, raw, info.Name);
                var dst = destination.Slice(done, n);
                var halves = MemoryMarshal.Cast<byte, ushort>(raw);
                if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(halves, halves);
                if (info.Dtype == SafeTensorDtype.F16)
                    TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(halves), dst);
                else
                {
                    // bfloat16 is the upper half of a float32: widen, then shift into the high bits.
                    var wide = MemoryMarshal.Cast<float, uint>(dst);
                    TensorPrimitives.ConvertTruncating<ushort, uint>(halves, wide);
                    TensorPrimitives.ShiftLeft(wide, 16, wide);
                }
                if (findNonFinite && FiniteCheck.IndexOfNonFinite(dst) is int bad and >= 0) return done + bad;
                done += n;
            }
            return -1;
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    void ReadExactly(long offset, Span<byte> destination, string tensor)
    {
        while (destination.Length > 0)
        {
            int n = RandomAccess.Read(handle, destination, offset);
            if (n <= 0) throw Fail(Path, $"file ended while reading tensor '{tensor}' (was it truncated after opening?)");
            destination = destination[n..];
            offset += n;
        }
    }

    static (long HeaderLength, IReadOnlyDictionary<string, string> Metadata, List<SafeTensorInfo> Tensors) ReadHeader(
        SafeFileHandle handle, long fileLength, string path)
    {
        // The length prefix and the header's first byte, to tell a safetensors file from a PyTorch pickle or zip.
        Span<byte> start = stackalloc byte[9];
        start = start[..(int)Math.Min(9, fileLength)];
        ReadAll(handle, 0, start, path);
        if (ForeignFormat(start, fileLength, path) is { } foreign) throw Fail(path, foreign);
        if (fileLength < 8) throw Fail(path, $"file is {fileLength} bytes, too short for the 8-byte safetensors header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(start);
        // Both limits are checked before anything is allocated, so a hostile length costs nothing.
        if (n > MaxHeaderLength) throw Fail(path, $"header length {n} exceeds the limit of {MaxHeaderLength} bytes");
        if ((long)n > fileLength - 8) throw Fail(path, $"header length {n} runs past the end of the file ({fileLength} bytes)");
        long headerLength = (long)n;
        var header = new byte[headerLength];
        ReadAll(handle, 8, header, path);
        if (headerLength == 0 || header[0] != (byte)'{') throw Fail(path, "header does not start with '{' (not a safetensors file)");

        // The reference reader takes the header as a UTF-8 str first; System.Text.Json would only notice invalid
        // UTF-8 inside a string when it is read, and then as an InvalidOperationException.
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw Fail(path, "header is not valid UTF-8 (not a safetensors file?)");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e) { throw Fail(path, $"header is not valid JSON: {OneLine(e.Message)}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Fail(path, $"header is a JSON {root.ValueKind}, expected an object");
            long dataSize = fileLength - 8 - headerLength;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<SafeTensorInfo>();
            foreach (var entry in root.EnumerateObject())
            {
                if (!seen.Add(entry.Name)) throw Fail(path, $"header has duplicate key '{entry.Name}'");
                if (entry.Name == "__metadata__") ParseMetadata(entry.Value, metadata, path);
                else tensors.Add(ParseEntry(entry.Name, entry.Value, path));
            }
            ValidateLayout(tensors, dataSize, path);
            return (headerLength, metadata, tensors);
        }
    }

    /// <summary>
    /// What the file is when its first bytes are not a plausible safetensors start but a PyTorch format's magic: a
    /// pickle (0x80 and protocol 2 to 5, torch.save's legacy format and pytorch_model.bin) or a zip archive
    /// (PK\x03\x04, torch.save's default since PyTorch 1.6). Null otherwise. A genuine safetensors file may begin
    /// with the same bytes (its header length is little-endian), so only a start whose length is impossible or whose
    /// header does not open with '{' counts.
    /// </summary>
    static string? ForeignFormat(ReadOnlySpan<byte> start, long fileLength, string path)
    {
        if (start.Length >= 9)
        {
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(start);
            if (n <= MaxHeaderLength && (long)n <= fileLength - 8 && start[8] == (byte)'{') return null;
        }
        string? format = start switch
        {
            [0x80, >= 2 and <= 5, ..] => "a Python pickle (the legacy torch.save format, e.g. pytorch_model.bin)",
            [(byte)'P', (byte)'K', 3, 4, ..] => "a zip archive (the torch.save format since PyTorch 1.6, e.g. a .pth or .pt file)",
            _ => null,
        };
        return format == null ? null : $"this is {format}, not safetensors; {OnlySafetensors(System.IO.Path.GetFileName(path))}";
    }

    /// <summary>Why only safetensors are read, and the Python that converts <paramref name="fileName"/> to one.</summary>
    internal static string OnlySafetensors(string fileName) =>
        "Vitmix loads only safetensors, which hold tensors and nothing else (unpickling can run arbitrary code). Convert it in Python: " +
        "import torch; from safetensors.torch import save_file; " +
        $"sd = torch.load(\"{fileName}\", map_location=\"cpu\", weights_only=True); " +
        "save_file({k: v.contiguous() for k, v in sd.items()}, \"model.safetensors\") " +
        "(when the file wraps the state dict, e.g. {\"model\": ...}, save sd[\"model\"] instead)";

    static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object) throw Fail(path, $"__metadata__ is a JSON {value.ValueKind}, expected an object of strings");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw Fail(path, $"__metadata__ entry '{p.Name}' is a JSON {p.Value.ValueKind}, expected a string");
            if (!metadata.TryAdd(p.Name, p.Value.GetString()!)) throw Fail(path, $"__metadata__ has duplicate key '{p.Name}'");
        }
    }

    static SafeTensorInfo ParseEntry(string name, JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(path, $"header entry '{name}' is a JSON {value.ValueKind}, expected {{\"dtype\", \"shape\", \"data_offsets\"}}");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Fail(path, $"tensor '{name}' has no string \"dtype\"");
        string dtypeText = dtypeElement.GetString()!;
        if (!SafeTensorDtypes.TryParse(dtypeText, out var dtype))
            throw Fail(path, $"tensor '{name}' has unknown dtype '{dtypeText}'");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Fail(path, $"tensor '{name}' has no \"shape\" array");
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw Fail(path, $"tensor '{name}' shape entry {d.GetRawText()} is not a non-negative integer");
            shape[i++] = v;
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Fail(path, $"tensor '{name}' has no \"data_offsets\" [begin, end]");
        long begin = Offset(offsets[0]), end = Offset(offsets[1]);
        if (end < begin) throw Fail(path, $"tensor '{name}' data_offsets [{begin}, {end}] end before they begin");

        // Element and byte counts, overflow-checked: a hostile shape must not wrap around to a small number.
        long count = 1;
        try { foreach (var dim in shape) count = checked(count * dim); }
        catch (OverflowException) { throw Fail(path, $"tensor '{name}' shape [{string.Join(", ", shape)}] has too many elements"); }
        long bits;
        try { bits = checked(count * dtype.Bits()); }
        catch (OverflowException) { throw Fail(path, $"tensor '{name}' shape [{string.Join(", ", shape)}] is too large"); }
        if (bits % 8 != 0) throw Fail(path, $"tensor '{name}': {count} elements of {dtype} do not fill whole bytes");
        if (end - begin != bits / 8)
            throw Fail(path, $"tensor '{name}' {dtype}[{string.Join(", ", shape)}] needs {bits / 8} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        return new SafeTensorInfo(name, dtype, shape, begin, end);

        long Offset(JsonElement e) =>
            e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) && v >= 0
                ? v
                : throw Fail(path, $"tensor '{name}' data offset {e.GetRawText()} is not a non-negative integer");
    }

    /// <summary>Tensors sorted by offset must tile the data buffer exactly: start at 0, no holes, no overlap, end at its size.</summary>
    static void ValidateLayout(List<SafeTensorInfo> tensors, long dataSize, string path)
    {
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long position = 0;
        foreach (var t in tensors)
        {
            if (t.Begin > position)
                throw Fail(path, $"tensor '{t.Name}' data_offsets [{t.Begin}, {t.End}] leave a hole: the previous data ends at {position}");
            if (t.Begin < position)
                throw Fail(path, $"tensor '{t.Name}' data_offsets [{t.Begin}, {t.End}] overlap the previous tensor, which ends at {position}");
            position = t.End;
        }
        if (position != dataSize)
            throw Fail(path, $"tensors end at data offset {position} but the data buffer after the header is {dataSize} bytes");
    }

    static void ReadAll(SafeFileHandle handle, long offset, Span<byte> destination, string path)
    {
        while (destination.Length > 0)
        {
            int n = RandomAccess.Read(handle, destination, offset);
            if (n <= 0) throw Fail(path, "file ended while reading the header");
            destination = destination[n..];
            offset += n;
        }
    }

    static InvalidDataException Fail(string path, string problem) => new($"{path}: {OneLine(problem)}");

    static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
