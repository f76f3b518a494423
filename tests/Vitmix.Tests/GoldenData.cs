using System.Text.Json;
using Vitmix.Data;
using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Tests;

/// <summary>
/// The golden reference sets, read from the repository's own copy in tests/golden (found by walking up from the test
/// binaries to the folder holding Vitmix.slnx), so that a clean clone tests itself. The copy must stay byte-identical
/// to shared/golden, which <see cref="GoldenCopyTests"/> checks whenever shared/ is beside the repository.
/// </summary>
public static class GoldenData
{
    public static readonly string[] Sets = ["vit32_p8_d48_l3_h3_c10", "vit64_p16_d64_l4_h4_c5"];
    public static readonly string[] Images = ["disk", "square_disk"];

    /// <summary>The repository root (the folder holding Vitmix.slnx).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Root { get; } = System.IO.Path.Combine(RepositoryRoot, "tests", "golden");

    /// <summary>shared/golden beside the repository (X/main and X/shared), or null when this clone has no shared/.</summary>
    public static string? SharedRoot
    {
        get
        {
            var parent = Directory.GetParent(RepositoryRoot)?.FullName;
            var candidate = parent == null ? null : System.IO.Path.Combine(parent, "shared", "golden");
            return candidate != null && Directory.Exists(candidate) ? candidate : null;
        }
    }

    static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Vitmix.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("Vitmix.slnx not found above " + AppContext.BaseDirectory);
    }

    public static string SetDir(string set) => System.IO.Path.Combine(Root, set);
    public static string ImageDir(string set, string image) => System.IO.Path.Combine(Root, set, image);

    public static JsonElement Manifest(string set) =>
        JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(SetDir(set), "manifest.json"))).RootElement;

    public static JsonElement ImageManifest(string set, string image) =>
        Manifest(set).GetProperty("images").EnumerateArray().First(e => e.GetProperty("name").GetString() == image);

    public static double Tolerance(string set, string image, string array) =>
        ImageManifest(set, image).GetProperty("tolerance").GetProperty("arrays").GetProperty(array).GetDouble();

    public static float[] Array(string set, string image, string name) => Vitmix.Data.Npy.Read(System.IO.Path.Combine(ImageDir(set, image), name + ".npy")).ToFloat();
    public static double[] Array64(string set, string image, string name) => Vitmix.Data.Npy.Read(System.IO.Path.Combine(ImageDir(set, image), "f64", name + ".npy")).Values;

    public static Tensor Input(string set, string image)
    {
        var a = Vitmix.Data.Npy.Read(System.IO.Path.Combine(ImageDir(set, image), "input.npy"));
        return new Tensor(a.ToFloat(), a.Shape);
    }

    public static VisionTransformer Model(string set) => ModelLoader.Load(System.IO.Path.Combine(SetDir(set), "weights.safetensors")).Network;

    /// <summary>The golden folder.</summary>
    public static string Dir => Root;

    /// <summary>A path inside the golden folder, e.g. Path("vit32_p8_d48_l3_h3_c10", "disk", "input.npy").</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static JsonElement ImageEntry(string set, string image) => ImageManifest(set, image);

    public static NpyArray Npy(string set, string image, string relative) => Vitmix.Data.Npy.Read(System.IO.Path.Combine(SetDir(set), image, relative));

    /// <summary>(set, image) pairs for xunit theories.</summary>
    public static IEnumerable<object[]> SetImages() => from s in Sets from i in Images select new object[] { s, i };
}
