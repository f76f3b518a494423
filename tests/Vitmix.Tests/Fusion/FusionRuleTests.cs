using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Rules;

namespace Vitmix.Tests.Fusion;

public class FusionRuleTests
{
    static Heatmap M(params float[] v) => new(v, 1, v.Length);

    [Fact]
    public void ProductSqrtAndGeometricMeanByHand()
    {
        var a = M(2f, 8f, 0f); var b = M(8f, 2f, 5f); var c = M(4f, 4f, 1f);
        Assert.Equal([16f, 16f, 0f], new Product().Fuse([a, b]).Values);
        Assert.Equal([4f, 4f, 0f], new PaperSqrt().Fuse([a, b]).Values);
        Assert.Equal([4f, 4f, 0f], new GeometricMean().Fuse([a, b]).Values);
        // k = 3: sqrt(64) = 8 (the paper's variant) but the true geometric mean is 64^(1/3) = 4.
        Assert.Equal([8f, 8f, 0f], new PaperSqrt().Fuse([a, b, c]).Values);
        var g = new GeometricMean().Fuse([a, b, c]).Values;
        Assert.Equal(4f, g[0], 5); Assert.Equal(4f, g[1], 5); Assert.Equal(0f, g[2]);
    }

    [Fact]
    public void RootRulesClampNegativeInputsAtZero()
    {
        var a = M(-1f, 4f); var b = M(4f, 4f); var c = M(2f, 2f);
        Assert.Equal([0f, 4f], new GeometricMean().Fuse([a, b]).Values);
        var g3 = new GeometricMean().Fuse([a, b, c]).Values;
        Assert.Equal(0f, g3[0]);
        Assert.Equal(32f, g3[1] * g3[1] * g3[1], 3);
        Assert.Equal([-4f, 16f], new Product().Fuse([a, b]).Values); // the plain product keeps the sign
    }

    [Fact]
    public void WeightedGeometricMeanByHand()
    {
        var a = M(8f, 1f); var b = M(1f, 27f);
        // weights 2:1 → a^(2/3) b^(1/3): 8^(2/3) = 4; 27^(1/3) = 3.
        var w = new WeightedGeometricMean().Fuse([a, b], [2f, 1f]).Values;
        Assert.Equal(4f, w[0], 5); Assert.Equal(3f, w[1], 5);
        Assert.Throws<ArgumentException>(() => new WeightedGeometricMean().Fuse([a, b], [1f]));
        Assert.Throws<ArgumentException>(() => new WeightedGeometricMean().Fuse([a, b], [1f, -1f]));
    }

    [Fact]
    public void ScaleSensitiveRulesNormaliseEachInputFirst()
    {
        // a normalises to [0, 0.5, 1], b (×100, reversed) to [1, 0.5, 0].
        var a = M(0f, 1f, 2f); var b = M(200f, 100f, 0f);
        Assert.Equal([0.5f, 0.5f, 0.5f], new ArithmeticMean().Fuse([a, b]).Values);
        Assert.Equal([0f, 0.5f, 0f], new Minimum().Fuse([a, b]).Values);
        Assert.Equal([0f, 0.5f, 0f], new HarmonicMean().Fuse([a, b]).Values);
        // Weighted mean 3:1 → 0.75 a + 0.25 b.
        Assert.Equal([0.25f, 0.5f, 0.75f], new ArithmeticMean().Fuse([a, b], [3f, 1f]).Values);
    }

    [Fact]
    public void RankMeanUsesAverageRanksForTies()
    {
        var a = M(5f, 1f, 1f, 9f);   // ranks 2, 0.5, 0.5, 3 → /3
        var b = M(0f, 10f, 20f, 30f); // ranks 0, 1, 2, 3 → /3
        var r = new RankMean().Fuse([a, b]).Values;
        float[] want = [(2f / 3 + 0f) / 2, (0.5f / 3 + 1f / 3) / 2, (0.5f / 3 + 2f / 3) / 2, 1f];
        for (int i = 0; i < 4; i++) Assert.Equal(want[i], r[i], 6);
    }

    [Fact]
    public void MismatchedShapesAreRejectedWithBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => new Product().Fuse([new Heatmap(new float[4], 2, 2), new Heatmap(new float[6], 2, 3)]));
        Assert.Contains("2x3", e.Message);
        Assert.Contains("2x2", e.Message);
    }

    [Fact]
    public void RegistryKnowsEveryRuleAndTheGoldenAliases()
    {
        Assert.Equal(["product", "gmean", "sqrt", "wgmean", "mean", "hmean", "min", "rankmean"], FusionRules.All.Select(r => r.Name));
        Assert.Equal("product", FusionRules.Get("multiply").Name);
        Assert.Equal("gmean", FusionRules.Get("geomean").Name);
        Assert.Throws<ArgumentException>(() => FusionRules.Get("median"));
    }
}
