namespace Vitmix.Tests;

/// <summary>Finds shared/golden by walking up from the test's base directory (repo at X/main, X/shared beside it).</summary>
public static class GoldenData
{
    static readonly Lazy<string?> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "shared", "golden");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    });

    /// <summary>The golden folder; fails the test when it cannot be found.</summary>
    public static string Dir => Root.Value ?? throw new DirectoryNotFoundException(
        $"no shared/golden folder above {AppContext.BaseDirectory}");

    /// <summary>A path inside the golden folder, e.g. Path("vit32_p8_d48_l3_h3_c10", "disk", "input.npy").</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Dir, .. parts]);
}
