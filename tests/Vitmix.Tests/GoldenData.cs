using System.Text.Json;
using Vitmix.Data;

namespace Vitmix.Tests;

/// <summary>Locates /shared/golden by walking up from the test binaries (X/main beside X/shared) and reads its files.</summary>
public static class GoldenData
{
    public static readonly string[] Sets = ["vit32_p8_d48_l3_h3_c10", "vit64_p16_d64_l4_h4_c5"];
    public static readonly string[] Images = ["disk", "square_disk"];

    static readonly Lazy<string> root = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "shared", "golden");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"no shared/golden folder above {AppContext.BaseDirectory}");
    });

    public static string Root => root.Value;
    public static string SetDir(string set) => Path.Combine(Root, set);
    public static string Path_(string set, params string[] parts) => Path.Combine([SetDir(set), .. parts]);

    public static JsonElement Manifest(string set) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(SetDir(set), "manifest.json"))).RootElement;

    public static JsonElement ImageEntry(string set, string image) =>
        Manifest(set).GetProperty("images").EnumerateArray().First(e => e.GetProperty("name").GetString() == image);

    public static NpyArray Npy(string set, string image, string relative) => Data.Npy.Read(Path.Combine(SetDir(set), image, relative));

    /// <summary>(set, image) pairs for xunit theories.</summary>
    public static IEnumerable<object[]> SetImages() => from s in Sets from i in Images select new object[] { s, i };
}
