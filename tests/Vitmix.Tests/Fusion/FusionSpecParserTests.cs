using Vitmix.Explain;
using Vitmix.Fusion;

namespace Vitmix.Tests.Fusion;

public class FusionSpecParserTests
{
    static readonly string[] Fusions = ["gmean", "product", "sqrt"];
    static string[] Names(IEnumerable<FusionSpec> s) => [.. s.Select(x => new MapId(x).DisplayName)];

    [Fact]
    public void PlusFormExpandsWithEveryFusionKeepingMethodOrder()
    {
        Assert.Equal(["rollout+lrp.gmean", "rollout+lrp.product", "rollout+lrp.sqrt"], Names(FusionSpecParser.Parse("rollout+LRP", Fusions)));
        Assert.Equal(["lrp"], Names(FusionSpecParser.Parse("lrp", Fusions)));
    }

    [Fact]
    public void ExplicitFormsIgnoreTheFusionList()
    {
        Assert.Equal(["lrp+rollout.product"], Names(FusionSpecParser.Parse("lrp*rollout", Fusions)));
        Assert.Equal(["lrp+rollout+gradcam.gmean"], Names(FusionSpecParser.Parse("gmean(lrp, rollout, gradcam)", Fusions)));
        Assert.Equal(["saliency+lrp.hmean"], Names(FusionSpecParser.Parse("hmean(saliency,lrp)", [])));
        Assert.Equal(["lrp+rollout.product"], Names(FusionSpecParser.Parse("multiply(lrp,rollout)", [])));
        var w = FusionSpecParser.Parse("wgmean(lrp:2,rollout:1)", []).Single();
        Assert.Equal("wgmean", w.Fusion);
        Assert.Equal([2f, 1f], w.Weights!);
        Assert.Equal("lrp+rollout.wgmean(2,1)", new MapId(w).DisplayName);
        Assert.Equal("lrp+rollout.wgmean-2-1", new MapId(w).FileStem);
    }

    [Fact]
    public void CombinationsFollowItertoolsOrder()
    {
        var specs = FusionSpecParser.Combinations(["lrp", "saliency", "rollout", "gradcam"], FusionSpecParser.ParseSizes("1,2,3"), ["sqrt"]);
        Assert.Equal(4 + 6 + 4, specs.Count);
        Assert.Equal(["lrp", "saliency", "rollout", "gradcam", "lrp+saliency.sqrt", "lrp+rollout.sqrt",
            "lrp+gradcam.sqrt", "saliency+rollout.sqrt", "saliency+gradcam.sqrt", "rollout+gradcam.sqrt", "lrp+saliency+rollout.sqrt",
            "lrp+saliency+gradcam.sqrt", "lrp+rollout+gradcam.sqrt", "saliency+rollout+gradcam.sqrt"], Names(specs));
        Assert.Equal(2 * 6, FusionSpecParser.Combinations(["a", "b", "c", "d"], [2], ["gmean", "product"]).Count);
        Assert.Equal([2, 3, 4], FusionSpecParser.ParseSizes("2-4"));
        Assert.Throws<ArgumentException>(() => FusionSpecParser.Combinations(["a", "b"], [3], ["gmean"]));
    }

    [Fact]
    public void FileSpecsSkipCommentsAndReportTheLine()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vitmix-fusion-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string good = Path.Combine(dir, "good.txt");
            File.WriteAllLines(good, ["# pairs", "lrp+rollout   # both", "", "min(lrp,gradcam)", "lrp+rollout"]);
            Assert.Equal(["lrp+rollout.gmean", "lrp+gradcam.min"], Names(FusionSpecParser.ParseFile(good, ["gmean"])));
            string bad = Path.Combine(dir, "bad.txt");
            File.WriteAllLines(bad, ["lrp", "median(lrp,rollout)"]);
            var e = Assert.Throws<InvalidDataException>(() => FusionSpecParser.ParseFile(bad, ["gmean"]));
            Assert.Contains("bad.txt:2", e.Message);
            Assert.Contains("median", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ErrorsNameTheProblem()
    {
        var missing = Assert.Throws<SettingRequiredException>(() => FusionSpecParser.Parse("lrp+rollout", []));
        Assert.Contains("no fusion rule", missing.Message);
        Assert.Equal("fusion", missing.Setting);
        Assert.DoesNotContain("--", missing.Message); // the library names no command-line flag
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => FusionSpecParser.Parse("lrp+lrp", Fusions)).Message);
        Assert.Contains("'cam'", Assert.Throws<ArgumentException>(() => FusionSpecParser.Parse("lrp+cam", Fusions, ["lrp", "gradcam"])).Message);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => FusionSpecParser.Parse("wgmean(lrp:0,rollout)", [])).Message);
        Assert.Throws<ArgumentException>(() => FusionSpecParser.ParseFusions("gmean,median"));
        Assert.Equal(["product", "gmean"], FusionSpecParser.ParseFusions("multiply,geomean,product"));
    }

    [Fact]
    public void ApplyFusesTheNamedMapsAndNamesMissingOnes()
    {
        var maps = new Dictionary<string, Heatmap> { ["lrp"] = new([2f, 3f], 1, 2), ["rollout"] = new([5f, 7f], 1, 2) };
        Assert.Equal([10f, 21f], FusionSpecParser.Parse("lrp*rollout", []).Single().Apply(maps).Values);
        Assert.Same(maps["lrp"], FusionSpecParser.Parse("lrp", []).Single().Apply(maps));
        var e = Assert.Throws<ArgumentException>(() => FusionSpecParser.Parse("lrp*saliency", []).Single().Apply(maps));
        Assert.Contains("saliency", e.Message);
    }
}
