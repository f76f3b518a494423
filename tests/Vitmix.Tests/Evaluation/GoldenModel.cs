using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Tests.Evaluation;

/// <summary>
/// Loads a golden set's network with a tiny private F32 safetensors reader (8-byte little-endian header length,
/// JSON header {name: {dtype, shape, data_offsets}}, raw data), so the evaluation tests do not wait for ModelLoader.
/// </summary>
internal static class GoldenModel
{
    static readonly Dictionary<string, VisionTransformer> cache = [];

    public static VisionTransformer Load(string set)
    {
        lock (cache)
        {
            if (cache.TryGetValue(set, out var net)) return net;
            var cfg = GoldenData.Manifest(set).GetProperty("config");
            int img = cfg.GetProperty("img_size").GetInt32();
            var config = new VitConfig
            {
                ImageHeight = img, ImageWidth = img,
                PatchSize = cfg.GetProperty("patch_size").GetInt32(),
                EmbedDim = cfg.GetProperty("embed_dim").GetInt32(),
                Depth = cfg.GetProperty("depth").GetInt32(),
                NumHeads = cfg.GetProperty("num_heads").GetInt32(),
                MlpHidden = cfg.GetProperty("mlp_hidden").GetInt32(),
                NumClasses = cfg.GetProperty("num_classes").GetInt32(),
                QkvBias = cfg.GetProperty("qkv_bias").GetBoolean(),
                LayerNormEps = 1e-6f,
            };
            string path = Path.Combine(GoldenData.SetDir(set), "weights.safetensors");
            net = new VisionTransformer(config, VitWeights.FromStateDict(config, ReadSafetensors(path), path));
            cache[set] = net;
            return net;
        }
    }

    static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long headerLen = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLen)).RootElement;
        int dataStart = 8 + (int)headerLen;
        var state = new Dictionary<string, Tensor>();
        foreach (var p in header.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            if (p.Value.GetProperty("dtype").GetString() != "F32") throw new InvalidDataException($"{path}: {p.Name} is not F32");
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var data = new float[(off[1] - off[0]) / 4];
            Buffer.BlockCopy(bytes, dataStart + (int)off[0], data, 0, data.Length * 4);
            state[p.Name] = new Tensor(data, shape);
        }
        return state;
    }
}
