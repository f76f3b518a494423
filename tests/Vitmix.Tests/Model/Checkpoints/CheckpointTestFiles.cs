using System.Buffers.Binary;
using System.Text;
using Vitmix.Engine;
using Vitmix.Model;
using Vitmix.Model.Checkpoints;

namespace Vitmix.Tests.Model.Checkpoints;

/// <summary>A temporary folder deleted after the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("vitmix-ckpt-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}

/// <summary>Hand-built safetensors files and state dicts, independent of the code under test.</summary>
public static class CheckpointTestFiles
{
    /// <summary>
    /// A safetensors file from literal parts: [u64 length][header][data]. <paramref name="declaredLength"/> replaces the
    /// true header length (for hostile files).
    /// </summary>
    public static string Raw(string path, string header, byte[] data, ulong? declaredLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static byte[] Floats(params float[] values)
    {
        var b = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), values[i]);
        return b;
    }

    public static byte[] UShorts(params ushort[] values)
    {
        var b = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), values[i]);
        return b;
    }

    /// <summary>Seeded random tensors with every timm name and shape a config needs.</summary>
    public static Dictionary<string, (int[] Shape, float[] Data)> RandomState(VitConfig config, int seed)
    {
        var rng = new Random(seed);
        var state = new Dictionary<string, (int[], float[])>();
        foreach (var (name, shape) in VitWeights.ExpectedShapes(config))
        {
            var data = new float[Tensor.ElementCount(shape)];
            bool unit = name.EndsWith("norm1.weight") || name.EndsWith("norm2.weight") || name is "norm.weight" or "fc_norm.weight" || name.EndsWith(".gamma");
            double std = name.EndsWith(".weight") && shape.Length >= 2 ? 1.0 / Math.Sqrt(shape[1] * (shape.Length == 4 ? shape[2] * shape[3] : 1)) : 0.1;
            for (int i = 0; i < data.Length; i++) data[i] = (float)((unit ? 1 : 0) + std * (rng.NextDouble() * 2 - 1) * 1.7);
            state[name] = (shape, data);
        }
        return state;
    }

    public static void WriteState(string path, IEnumerable<KeyValuePair<string, (int[] Shape, float[] Data)>> state, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsWriter.Write(path, state.Select(kv => new SafeTensorEntry(kv.Key, kv.Value.Shape, kv.Value.Data)), metadata);

    /// <summary>Reads a safetensors file with a minimal independent reader (F32 only): name → (shape, data).</summary>
    public static Dictionary<string, (int[] Shape, float[] Data)> ReadF32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var doc = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var state = new Dictionary<string, (int[], float[])>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            Assert.Equal("F32", p.Value.GetProperty("dtype").GetString());
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var data = new float[(off[1] - off[0]) / 4];
            for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + n + off[0] + 4 * i)));
            state[p.Name] = (shape, data);
        }
        return state;
    }
}
