using Vitmix.Data;
using Vitmix.Explain;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Explain;

/// <summary>
/// GAE against maps computed independently in PyTorch by tests/reference/gae.py, which follows Chefer's reference
/// notebook on a timm forward checked against the golden logits; every golden model, image and start layer.
/// </summary>
public class GaeReferenceTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in GoldenData.Sets) foreach (var i in GoldenData.Images) data.Add(s, i);
        return data;
    }

    static float[] Reference(string set, string image, int start)
    {
        string path = Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Explain", "Reference", "gae", set, image, $"gae_s{start}.npy");
        return Npy.Read(path).ToFloat();
    }

    [Theory, MemberData(nameof(Cases))]
    public void EveryStartLayer_MatchesThePyTorchReference(string set, string image)
    {
        var model = GoldenData.Model(set);
        var input = GoldenData.Input(set, image);
        for (int start = 0; start < model.Config.Depth; start++)
        {
            var expected = Reference(set, image, start);
            var e = ExplainerSet.Parse("gae", new ExplainerOptions().Set("gae-start-layer", start)).Explain(model, input)[0];
            var actual = e.Maps["gae"].Values;
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-5 + 1e-4 * Math.Abs(expected[i]),
                    $"{set}/{image} start {start}, patch {i}: {actual[i]} vs the reference's {expected[i]}");
            // The maps differ between start layers (or the option would not reach the method).
            if (start > 0) Assert.NotEqual(Reference(set, image, start - 1), expected);
        }
    }

    [Fact]
    public void ExplainWritesItAndFusesIt()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[0];
        var r = CliRunner.Run("explain", GoldenData.Path(set, "images", "disk.png"), "--model", GoldenData.Path(set, "weights.safetensors"),
            "--methods", "gae,rollout", "--combos", "gae+rollout", "--gae-start-layer", "1", "--raw", "--out", tmp.Path);
        Assert.True(r.ExitCode == 0, r.Err);
        var files = Directory.GetFiles(tmp.Path, "*.npy", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains(files, f => f!.Contains("gae") && !f.Contains("rollout"));
        Assert.Contains(files, f => f!.Contains("gae") && f.Contains("rollout"));
    }
}
