using Vitmix.Layers;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Extending;

/// <summary>
/// A method is one explainer file: a GAE-like method (Chefer, Gur &amp; Wolf 2021b, "Generic Attention-model
/// Explainability": R ← R + Ē_l·R with Ē_l = mean_h max(0, ∇A_l ⊙ A_l), the class token's row) is written in this test
/// alone, registered, and is then a method like the others: by name in method lists and fusion specs, in the shared
/// pass, and in `vitmix explain` with its own option.
/// </summary>
public class NewExplainerTests
{
    [Explainer("gae-example", Summary = "generic attention explainability (Chefer et al. 2021b), as a test's example", Order = 1000)]
    public sealed class GaeExample : IExplainer
    {
        public string Name => "gae-example";
        public PassRequirements Requires => PassRequirements.Attention | PassRequirements.AttentionGradients;

        [ExplainerOption("gae-example-start-layer", Description = "First block accumulated", Minimum = 0, ValueName = "LAYER")]
        public int StartLayer { get; init; }

        public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
        {
            var c = pass.Config;
            int n = c.NumTokens, h = c.NumHeads;
            var r = new float[n * n];
            for (int i = 0; i < n; i++) r[i * n + i] = 1f;
            var e = new float[n * n];
            var product = new float[n * n];
            for (int l = Math.Min(StartLayer, c.Depth - 1); l < c.Depth; l++)
            {
                Array.Clear(e);
                for (int head = 0; head < h; head++)
                {
                    var a = pass.HeadMatrix(pass.Attention[l], sample, head);
                    var g = pass.HeadMatrix(pass.AttentionGradients![l]!, sample, head);
                    for (int i = 0; i < e.Length; i++) e[i] += Math.Max(0f, g[i] * a[i]) / h;
                }
                Vitmix.Engine.Gemm.Multiply(false, false, n, n, n, 1f, e, n, r, n, 0f, product, n);
                for (int i = 0; i < r.Length; i++) r[i] += product[i];
            }
            yield return new(Name, pass.ReadoutRowToGrid(r, sample));
        }
    }

    static NewExplainerTests() => ExplainerRegistry.Register(typeof(GaeExample));

    [Fact]
    public void TheRegisteredMethodIsFoundByNameWithItsOption()
    {
        var d = ExplainerRegistry.Find("gae-example");
        Assert.NotNull(d);
        Assert.Contains(ExplainerRegistry.Options, o => o.Name == "gae-example-start-layer" && o.Methods.SequenceEqual(["gae-example"]));
        Assert.DoesNotContain("gae-example", ExplainerRegistry.AllMethods); // "all" stays the ViTmiX set
        var set = ExplainerSet.Parse("gae-example,rollout", new ExplainerOptions().Set("gae-example-start-layer", 1));
        Assert.Equal(1, Assert.IsType<GaeExample>(set.Explainers[0]).StartLayer);
        Assert.Equal(["gae-example", "rollout"], set.GridMethods);
    }

    [Fact]
    public void ItSharesThePassAndFusesWithTheOthers()
    {
        var config = TinyModels.Config();
        var model = TinyModels.Random(config, seed: 2);
        var input = TinyModels.RandomInput(config, 2, seed: 6);
        var e = ExplainerSet.Parse("gae-example,rollout,gradcam").Explain(model, input);
        Assert.All(e, x => Assert.Equal(config.NumPatches, x.Maps["gae-example"].Values.Length));
        var fused = FusionSpecParser.Parse("gae-example+rollout", ["gmean"]).Single().Apply(e[0].Maps);
        Assert.Equal(config.NumPatches, fused.Values.Length);
    }

    [Fact]
    public void TheCommandLineTakesItsNameAndOption()
    {
        using var tmp = new TempDir();
        string model = GoldenData.Path(GoldenData.Sets[0], "weights.safetensors");
        string input = GoldenData.Path(GoldenData.Sets[0], "disk", "input.npy");
        var r = CliRunner.Run("explain", input, "--model", model, "--methods", "gae-example,lrp", "--gae-example-start-layer", "1",
            "--combos", "gae-example+lrp", "--raw", "--out", tmp.Combine("out"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.True(File.Exists(tmp.Combine("out", "input", "gae-example.npy")));
        Assert.True(File.Exists(tmp.Combine("out", "input", "gae-example+lrp.gmean.mask.npy")));
    }
}
