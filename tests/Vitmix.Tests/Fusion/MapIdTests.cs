using Vitmix.Fusion;

namespace Vitmix.Tests.Fusion;

/// <summary>The one naming of a map: display and CSV names, file stems, CSV fields, and reading older folders' names.</summary>
public class MapIdTests
{
    static MapId Id(string spec, string threshold = "otsu") => new(FusionSpecParser.Parse(spec, ["gmean"]).Single(), threshold);

    [Theory]
    [InlineData("rollout", "otsu", "rollout", "rollout", "rollout", "single")]
    [InlineData("rollout+gradcam", "otsu", "rollout+gradcam.gmean", "rollout+gradcam.gmean", "rollout+gradcam", "gmean")]
    [InlineData("wgmean(rollout:2,gradcam:1)", "otsu", "rollout+gradcam.wgmean(2,1)", "rollout+gradcam.wgmean-2-1", "rollout+gradcam", "wgmean(2,1)")]
    [InlineData("mean(lrp:0.5,saliency:1.25)", "otsu", "lrp+saliency.mean(0.5,1.25)", "lrp+saliency.mean-0.5-1.25", "lrp+saliency", "mean(0.5,1.25)")]
    [InlineData("rollout", "top:20", "rollout[top:20]", "rollout_top-20", "rollout", "single")]
    [InlineData("lrp*rollout", "mean", "lrp+rollout.product[mean]", "lrp+rollout.product_mean", "lrp+rollout", "product")]
    public void NamesFollowOneRule(string spec, string threshold, string display, string stem, string method, string fusion)
    {
        var id = Id(spec, threshold);
        Assert.Equal(display, id.DisplayName);
        Assert.Equal(stem, id.FileStem);
        Assert.Equal(method, id.MethodField);
        Assert.Equal(fusion, id.FusionField);
        Assert.Equal(threshold, id.Threshold);
        Assert.Equal(id, MapId.FromCsv(method, fusion, threshold, "results.csv"));
        Assert.True(MapId.TryParse(display, "otsu", out var parsed));
        Assert.Equal(id, parsed);
        Assert.DoesNotContain(stem, ch => Path.GetInvalidFileNameChars().Contains(ch) || ch is ':' or '(' or ')' or ',' or '[' or ']' or '*' or ' ');
    }

    [Fact]
    public void MapsDifferingOnlyInWeightsOrThresholdAreDifferentMaps()
    {
        var a = Id("wgmean(rollout:2,gradcam:1)");
        var b = Id("wgmean(rollout:1,gradcam:2)");
        Assert.NotEqual(a, b);
        Assert.NotEqual(a.DisplayName, b.DisplayName);
        Assert.NotEqual(a.FileStem, b.FileStem);
        Assert.NotEqual(Id("rollout"), Id("rollout", "mean"));
        Assert.NotEqual(Id("rollout").DisplayName, Id("rollout", "mean").DisplayName);
        Assert.NotEqual(Id("rollout+gradcam"), Id("gradcam+rollout")); // the order of a product matters in float32
        Assert.Equal(Id("wgmean(rollout:2,gradcam:1)"), Id("wgmean(rollout:2.0,gradcam:1)"));
        Assert.Equal(Id("wgmean(rollout:2,gradcam:1)").GetHashCode(), Id("wgmean(rollout:2.0,gradcam:1)").GetHashCode());
    }

    [Fact]
    public void OlderFoldersNamesReadBack()
    {
        // results.csv before the weights were recorded: a bare rule.
        Assert.Equal("rollout+gradcam.wgmean", MapId.FromCsv("rollout+gradcam", "wgmean", "otsu", "old.csv").DisplayName);
        // run.json before MapId: FusionSpec.Name, "x.single" for a single map, weights joined by '-'.
        Assert.Equal("lrp", MapId.Normalize("lrp.single", "otsu"));
        Assert.Equal("lrp+rollout.wgmean(2,1)", MapId.Normalize("lrp+rollout.wgmean-2-1", "otsu"));
        // Old names never carried the threshold: the run's own threshold applies.
        Assert.Equal("lrp+rollout.gmean[mean]", MapId.Normalize("lrp+rollout.gmean", "mean"));
        Assert.Equal("lrp[mean]", MapId.Normalize("lrp[mean]", "mean"));
        Assert.False(MapId.TryParse("lrp+rollout.wgmean(2,x)", "otsu", out _));
        var e = Assert.Throws<InvalidDataException>(() => MapId.FromCsv("lrp+rollout", "median", "otsu", "r.csv"));
        Assert.Contains("r.csv", e.Message);
        Assert.Contains("median", e.Message);
    }

    [Fact]
    public void ASingleMapCarriesNoWeight()
    {
        var single = new FusionSpec(["lrp"], "wgmean", [3f]);
        Assert.Null(single.Weights);
        Assert.Equal("single", new MapId(single).FusionField);
    }
}
