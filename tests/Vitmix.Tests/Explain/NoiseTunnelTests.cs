using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Layers;

namespace Vitmix.Tests.Explain;

/// <summary>SmoothGrad, SmoothGrad-squared and VarGrad as wrappers over other methods.</summary>
public class NoiseTunnelTests
{
    /// <summary>Returns the maps [k, −k, 2k] and (1, 1) [k] on its k-th call (k = 1, 2, …), whatever the input.</summary>
    sealed class Counting : IExplainer
    {
        int calls;
        public string Name => "count";
        public PassRequirements Requires => PassRequirements.None;
        public IEnumerable<KeyValuePair<string, Heatmap>> Explain(ExplanationPass pass, int sample)
        {
            float k = ++calls;
            yield return new(Name, new Heatmap([k, -k, 2 * k], 1, 3));
            yield return new(Name + ".pixels", new Heatmap([k], 1, 1));
        }
    }

    static Tensor Input(int image = 0) => GoldenData.Input(GoldenData.Sets[0], GoldenData.Images[image]);

    static Tensor Stack(params Tensor[] images) =>
        new(images.SelectMany(t => t.Data).ToArray(), images.Length, images[0].Dim(1), images[0].Dim(2), images[0].Dim(3));

    [Fact]
    public void MeanMeanOfSquaresAndVarianceOfFourHandCheckableMaps()
    {
        // Maps k = 1..4: mean 2.5, mean of squares (1 + 4 + 9 + 16)/4 = 7.5, variance 7.5 − 2.5² = 1.25.
        var model = GoldenData.Model(GoldenData.Sets[0]);
        using var pass = ExplanationPass.Compute(model, Input(), PassRequirements.None);
        var smooth = new SmoothGrad { Samples = 4, Inner = new Counting() }.Explain(pass, 0).ToDictionary();
        var squared = new SmoothGradSquared { Samples = 4, Inner = new Counting() }.Explain(pass, 0).ToDictionary();
        var variance = new VarGrad { Samples = 4, Inner = new Counting() }.Explain(pass, 0).ToDictionary();
        Assert.Equal([2.5f, -2.5f, 5f], smooth["smooth-count"].Values);
        Assert.Equal([2.5f], smooth["smooth-count.pixels"].Values);
        Assert.Equal([7.5f, 7.5f, 30f], squared["smoothsq-count"].Values);
        Assert.Equal([1.25f, 1.25f, 5f], variance["vargrad-count"].Values);
        Assert.Equal((1, 3), (variance["vargrad-count"].Height, variance["vargrad-count"].Width));
    }

    [Theory]
    [InlineData("saliency")]
    [InlineData("gae")]
    public void NoiseLevelZeroGivesTheInnerMethodsMaps(string method)
    {
        var model = GoldenData.Model(GoldenData.Sets[0]);
        var options = new ExplainerOptions().Set("noise-level", 0.0).Set("noise-samples", 5);
        var plain = ExplainerSet.Parse(method).Explain(model, Input())[0].Maps;
        var smooth = ExplainerSet.Parse($"smooth-{method}", options).Explain(model, Input())[0].Maps;
        foreach (var (key, map) in plain)
        {
            var s = smooth["smooth-" + key];
            Assert.Equal((map.Height, map.Width), (s.Height, s.Width));
            Assert.Equal(map.Values, s.Values);
        }
    }

    [Fact]
    public void TheSeedFixesTheMapsWhateverTheBatch()
    {
        var model = GoldenData.Model(GoldenData.Sets[0]);
        var options = new ExplainerOptions().Set("noise-samples", 20).Set("noise-seed", 7);
        var set = ExplainerSet.Parse("smooth(saliency),vargrad-saliency", options);
        var alone = set.Explain(model, Input(0))[0].Maps;
        var again = ExplainerSet.Parse("smooth-saliency,vargrad(saliency)", options).Explain(model, Input(0))[0].Maps;
        var second = set.Explain(model, Stack(Input(1), Input(0)))[1].Maps;
        var otherSeed = ExplainerSet.Parse("smooth-saliency", new ExplainerOptions().Set("noise-samples", 20).Set("noise-seed", 8))
            .Explain(model, Input(0))[0].Maps;
        foreach (var key in new[] { "smooth-saliency", "smooth-saliency.pixels", "vargrad-saliency", "vargrad-saliency.pixels" })
        {
            Assert.Equal(alone[key].Values, again[key].Values);
            Assert.Equal(alone[key].Values, second[key].Values);
        }
        Assert.NotEqual(alone["smooth-saliency"].Values, otherSeed["smooth-saliency"].Values);
        // The noise changes the map: noise level 0.15 is not a no-op.
        Assert.NotEqual(ExplainerSet.Parse("saliency").Explain(model, Input(0))[0].Maps["saliency"].Values, alone["smooth-saliency"].Values);
    }

    [Fact]
    public void WrappedNamesParseAndWorkInFusionSpecsAndFileNames()
    {
        var set = ExplainerSet.Parse("smooth(saliency), smoothsq-gae, VarGrad-Saliency, rollout, ig");
        Assert.Equal(["smooth-saliency", "smoothsq-gae", "vargrad-saliency", "rollout", "ig"], set.Explainers.Select(e => e.Name));
        Assert.Equal(["smooth-saliency", "smoothsq-gae", "vargrad-saliency", "rollout", "ig"], set.GridMethods);
        Assert.Contains("smooth-saliency(noise-samples=25, noise-level=0.15, noise-seed=0)", set.Settings);
        Assert.Contains("ig(ig-steps=50, ig-rule=right, ig-baseline=zeros)", set.Settings);
        Assert.Equal("smooth-saliency", ExplainerRegistry.Find("smooth(saliency)")!.Name);
        Assert.Null(ExplainerRegistry.Find("smooth-smooth-saliency"));
        Assert.Null(ExplainerRegistry.Find("smooth-nothing"));

        var bare = Assert.Throws<ArgumentException>(() => ExplainerSet.Parse("smooth"));
        Assert.Contains("smooth-METHOD", bare.Message);
        var unknown = Assert.Throws<ArgumentException>(() => ExplainerSet.Parse("smooth-nothing"));
        Assert.Contains("smooth-METHOD", unknown.Message);

        var specs = FusionSpecParser.ParseMany(["smooth-saliency+rollout", "gmean(vargrad-saliency:2,ig)"], ["gmean"], set.GridMethods);
        Assert.Equal(["smooth-saliency", "rollout"], specs[0].Methods);
        var id = new MapId(specs[1]);
        Assert.Equal("vargrad-saliency+ig.gmean-2-1", id.FileStem);
        Assert.True(MapId.TryParse(id.DisplayName, MapId.DefaultThreshold, out var back) && back.Equals(id), id.DisplayName);
    }

    [Fact]
    public void BadNoiseOptionsNameTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => ExplainerSet.Parse("smooth-saliency", new ExplainerOptions().Set("noise-samples", 0)));
        Assert.StartsWith("noise-samples:", e.Message);
        e = Assert.Throws<ArgumentException>(() => ExplainerSet.Parse("smooth-saliency", new ExplainerOptions().Set("noise-level", -0.1)));
        Assert.StartsWith("noise-level:", e.Message);
    }
}
