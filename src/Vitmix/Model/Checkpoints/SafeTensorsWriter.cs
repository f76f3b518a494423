using Vitmix.IO;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Vitmix.Model.Checkpoints;

/// <summary>One float32 tensor to write: its name, shape (row-major) and data.</summary>
public sealed record SafeTensorEntry(string Name, int[] Shape, float[] Data);

/// <summary>
/// Writes float32 safetensors files the way the reference writer lays them out: the JSON header right-padded with
/// spaces to a multiple of 8 bytes (so the data starts 8-aligned), tensors stored back to back in the given order.
/// The file appears atomically (temp file + rename).
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> (F32) and optional <c>__metadata__</c> to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            if (t.Name == "__metadata__") throw new ArgumentException($"{path}: '__metadata__' is reserved and cannot name a tensor");
            if (!names.Add(t.Name)) throw new ArgumentException($"{path}: tensor '{t.Name}' is given twice");
            if (Tensor.ElementCount(t.Shape) != t.Data.Length)
                throw new ArgumentException($"{path}: tensor '{t.Name}' has {t.Data.Length} values but shape [{string.Join(", ", t.Shape)}]");
        }
        byte[] header = Header(list, metadata);
        AtomicFile.Write(path, tmp =>
        {
            using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            fs.Write(length);
            fs.Write(header);
            foreach (var t in list) WriteLittleEndian(fs, t.Data);
        });
    }

    /// <summary>
    /// Saves a network under timm key names with its architecture in <c>__metadata__["config"]</c> (timm argument
    /// names plus <c>layer_norm_eps</c>), so <see cref="ModelLoader"/> can reload it without a config.json.
    /// </summary>
    public static void WriteModel(string path, VisionTransformer model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var shapes = VitWeights.ExpectedShapes(model.Config).ToDictionary(e => e.Name, e => e.Shape, StringComparer.Ordinal);
        var entries = model.Weights.Named().SelectMany(p => Stored(model.Config, p.Name, p.Data, shapes));
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
        if (metadata != null) foreach (var (k, v) in metadata) meta[k] = v;
        meta["config"] = MetadataConfig.ToJson(model.Config);
        Write(path, entries, meta);
    }

    /// <summary>
    /// A parameter as timm stores it: q and v biases (BEiT, EVA-02) as q_bias and v_bias rather than the fused bias the
    /// model runs with (its k third is zero); the zero position embedding of a model without one, and the identity head
    /// of a model without a classifier, not at all.
    /// </summary>
    static IEnumerable<SafeTensorEntry> Stored(VitConfig c, string name, float[] data, Dictionary<string, int[]> shapes)
    {
        if (c.QvBias && name.EndsWith(".attn.qkv.bias", StringComparison.Ordinal))
        {
            string prefix = name[..^"qkv.bias".Length];
            int d = c.EmbedDim;
            yield return new SafeTensorEntry(prefix + "q_bias", [d], data.AsSpan(0, d).ToArray());
            yield return new SafeTensorEntry(prefix + "v_bias", [d], data.AsSpan(2 * d, d).ToArray());
        }
        else if ((name == "pos_embed" && !c.AbsolutePositionEmbedding) || (c.FeatureHead && name.StartsWith("head.", StringComparison.Ordinal))) yield break;
        else yield return new SafeTensorEntry(name, shapes[name], data);
    }

    static byte[] Header(List<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += 4L * t.Data.Length;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int padded = (int)((ms.Length + 7) / 8 * 8);
        while (ms.Length < padded) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    static void WriteLittleEndian(Stream s, float[] data)
    {
        if (BitConverter.IsLittleEndian) { s.Write(MemoryMarshal.AsBytes(data.AsSpan())); return; }
        var buf = new byte[4];
        foreach (var v in data) { BinaryPrimitives.WriteSingleLittleEndian(buf, v); s.Write(buf); }
    }
}
