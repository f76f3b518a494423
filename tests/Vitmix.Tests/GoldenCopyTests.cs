using System.Security.Cryptography;

namespace Vitmix.Tests;

/// <summary>The repository's tests/golden must be the reference data of shared/golden, byte for byte.</summary>
public class GoldenCopyTests
{
    [Fact]
    public void TheCopyHoldsEverySet()
    {
        foreach (var set in GoldenData.Sets)
        {
            Assert.True(File.Exists(GoldenData.Path(set, "manifest.json")), $"{set}/manifest.json missing from tests/golden");
            Assert.True(File.Exists(GoldenData.Path(set, "weights.safetensors")), $"{set}/weights.safetensors missing from tests/golden");
        }
    }

    [SkippableFact]
    public void TheCopyIsByteIdenticalToSharedGolden()
    {
        var shared = GoldenData.SharedRoot;
        Skip.If(shared == null, "no shared/golden beside this clone");
        var ours = Listing(GoldenData.Root);
        var theirs = Listing(shared!);
        Assert.Equal(theirs.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        var differing = theirs.Where(kv => ours[kv.Key] != kv.Value).Select(kv => kv.Key).ToList();
        Assert.True(differing.Count == 0, "tests/golden differs from shared/golden in: " + string.Join(", ", differing.Take(20)));
    }

    static Dictionary<string, string> Listing(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f).Replace('\\', '/'),
            f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))), StringComparer.Ordinal);
}
