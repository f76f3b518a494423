using System.Text.Json;
using Vitmix.Data;
using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Tests;

/// <summary>The golden reference sets in shared/golden (found by walking up from the test binaries).</summary>
public static class GoldenData
{
    public static readonly string[] Sets = ["vit32_p8_d48_l3_h3_c10", "vit64_p16_d64_l4_h4_c5"];
    public static readonly string[] Images = ["disk", "square_disk"];

    public static string Root { get; } = FindRoot();

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "golden");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("shared/golden not found above " + AppContext.BaseDirectory);
    }

    public static string SetDir(string set) => Path.Combine(Root, set);
    public static string ImageDir(string set, string image) => Path.Combine(Root, set, image);

    public static JsonElement Manifest(string set) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(SetDir(set), "manifest.json"))).RootElement;

    public static JsonElement ImageManifest(string set, string image) =>
        Manifest(set).GetProperty("images").EnumerateArray().First(e => e.GetProperty("name").GetString() == image);

    public static double Tolerance(string set, string image, string array) =>
        ImageManifest(set, image).GetProperty("tolerance").GetProperty("arrays").GetProperty(array).GetDouble();

    public static float[] Array(string set, string image, string name) => Npy.Read(Path.Combine(ImageDir(set, image), name + ".npy")).ToFloat();
    public static double[] Array64(string set, string image, string name) => Npy.Read(Path.Combine(ImageDir(set, image), "f64", name + ".npy")).Values;

    public static Tensor Input(string set, string image)
    {
        var a = Npy.Read(Path.Combine(ImageDir(set, image), "input.npy"));
        return new Tensor(a.ToFloat(), a.Shape);
    }

    public static VisionTransformer Model(string set)
    {
        // Temporary minimal F32 reader until ModelLoader lands.
        var bytes = File.ReadAllBytes(Path.Combine(SetDir(set), "weights.safetensors"));
        long n = BitConverter.ToInt64(bytes, 0);
        var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n)).RootElement;
        var state = new Dictionary<string, Tensor>();
        foreach (var p in header.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var data = new float[(off[1] - off[0]) / 4];
            Buffer.BlockCopy(bytes, (int)(8 + n + off[0]), data, 0, data.Length * 4);
            state[p.Name] = new Tensor(data, shape);
        }
        var c = Manifest(set).GetProperty("config");
        var config = new VitConfig
        {
            ImageHeight = c.GetProperty("img_size").GetInt32(), ImageWidth = c.GetProperty("img_size").GetInt32(),
            PatchSize = c.GetProperty("patch_size").GetInt32(), EmbedDim = c.GetProperty("embed_dim").GetInt32(),
            Depth = c.GetProperty("depth").GetInt32(), NumHeads = c.GetProperty("num_heads").GetInt32(),
            NumClasses = c.GetProperty("num_classes").GetInt32(), MlpHidden = c.GetProperty("mlp_hidden").GetInt32(),
        };
        return new VisionTransformer(config, VitWeights.FromStateDict(config, state, set));
    }
}
