using Vitmix.Data;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Explain;

/// <summary>
/// The three other methods the ViTmiX talk surveys (Attention Flow, TAM, ViT-CX) are explainers like the others: explain
/// writes their maps and fuses them, evaluate scores them by default beside the paper's four, paired with LRP.
/// </summary>
public class SurveyedMethodsCliTests
{
    [Fact]
    public void ExplainWritesEachMapAndTheirFusionsWithLrp()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1];
        var r = CliRunner.Run("explain", GoldenData.Path(set, "images", "disk.png"), "--model", GoldenData.Path(set, "weights.safetensors"),
            "--methods", "attnflow,tam,vitcx,lrp", "--combos", "attnflow+lrp,vitcx+tam", "--raw", "--out", tmp.Path);
        Assert.True(r.ExitCode == 0, r.Err);
        var files = Directory.GetFiles(tmp.Path, "*.npy", SearchOption.AllDirectories).Select(f => Path.GetFileNameWithoutExtension(f)!).ToList();
        foreach (var method in new[] { "attnflow", "tam", "vitcx" })
        {
            var single = files.Where(f => f.Contains(method) && !f.Contains('+')).ToList();
            Assert.True(single.Count > 0, $"no raw map of {method} among {string.Join(", ", files)}");
            foreach (var f in single)
            {
                var map = Npy.Read(Directory.GetFiles(tmp.Path, f + ".npy", SearchOption.AllDirectories)[0]).ToFloat();
                Assert.True(map.All(float.IsFinite) && map.Any(v => v != 0), $"{f} is empty or not finite");
            }
        }
        Assert.Contains(files, f => f.Contains("vitcx.pixels") || f.Contains("vitcx_pixels") || f.Contains("vitcx-pixels"));
        Assert.Contains(files, f => f.Contains("attnflow") && f.Contains("lrp") && f.Contains('+'));
        Assert.Contains(files, f => f.Contains("vitcx") && f.Contains("tam") && f.Contains('+'));
    }

    [Fact]
    public void EvaluationDefaults_KeepThePapersTableAndPairEveryOtherMethodWithLrp()
    {
        var grid = new[] { "rollout", "attnflow", "gradcam", "saliency", "lrp", "tam", "vitcx" };
        var specs = CombinationPlan.Default(grid, ExplainerRegistry.ViTmiXMethods, "gmean").Select(s => s.ToString()).ToList();
        // 7 singles, 6 + 4 + 1 combinations of the four ViTmiX methods, and three pairs with LRP.
        Assert.Equal(7 + 11 + 3, specs.Count);
        Assert.Contains(specs, s => s.Contains("attnflow") && s.Contains("lrp"));
        Assert.DoesNotContain(specs, s => s.Contains("attnflow") && s.Contains("tam"));
        var demo = CombinationPlan.Default(grid, ExplainerRegistry.ViTmiXMethods, "gmean", maxSize: 3);
        Assert.Equal(7 + 10 + 3, demo.Count);
        // Without LRP the others pair with the first ViTmiX method given; with fewer than two ViTmiX methods, everything combines.
        var noLrp = CombinationPlan.Default(["rollout", "saliency", "tam"], ExplainerRegistry.ViTmiXMethods, "gmean").Select(s => s.ToString()).ToList();
        Assert.Contains(noLrp, s => s.Contains("tam") && s.Contains("rollout"));
        Assert.Equal(3 + 4, CombinationPlan.Default(["attnflow", "tam", "vitcx"], ExplainerRegistry.ViTmiXMethods, "gmean").Count);
    }

    [Fact]
    public void EvaluateScoresThemByDefault()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1];
        var r = CliRunner.Run("evaluate", "--dataset", "synth:2:5:64", "--model", GoldenData.Path(set, "weights.safetensors"),
            "--deletion-steps", "4", "--fusion", "gmean", "--out", tmp.Path);
        Assert.True(r.ExitCode == 0, r.Err);
        var summary = File.ReadAllText(Path.Combine(tmp.Path, "summary.csv"));
        foreach (var map in new[] { "attnflow", "tam", "vitcx", "attnflow+lrp", "tam+lrp", "vitcx+lrp", "rollout+gradcam+saliency+lrp" })
            Assert.Contains(map, summary);
    }
}
