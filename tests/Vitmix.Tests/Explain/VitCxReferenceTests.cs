using Vitmix.Data;
using Vitmix.Engine;
using Vitmix.Explain;

namespace Vitmix.Tests.Explain;

/// <summary>
/// ViT-CX against tests/reference/vitcx.py, which follows the authors' ViT_CX.py and causal_score.py in PyTorch with
/// scikit-learn's clustering on the golden models: the clustering (which channel lands in which mask) and the saliency,
/// with and without the noise correction and from another block at another threshold.
/// </summary>
public class VitCxReferenceTests
{
    public static TheoryData<string, string, int, string, string> Cases()
    {
        var data = new TheoryData<string, string, int, string, string>();
        foreach (var s in GoldenData.Sets)
            foreach (var i in GoldenData.Images)
            {
                data.Add(s, i, -1, "0.1", "0.1");
                data.Add(s, i, -1, "0.1", "0.0");
                data.Add(s, i, 0, "0.3", "0.1");
            }
        return data;
    }

    static string Reference(string set, string image, string name) =>
        Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Explain", "Reference", "vitcx", set, image, name + ".npy");

    [Theory, MemberData(nameof(Cases))]
    public void ClustersAndSaliency_MatchThePyTorchReference(string set, string image, int layer, string threshold, string sigma)
    {
        var model = GoldenData.Model(set);
        var input = GoldenData.Input(set, image);
        double t = double.Parse(threshold, System.Globalization.CultureInfo.InvariantCulture);
        float s = float.Parse(sigma, System.Globalization.CultureInfo.InvariantCulture);

        var expectedLabels = Npy.Read(Reference(set, image, $"labels_l{layer}_t{threshold}")).ToFloat().Select(v => (int)v).ToArray();
        int block = layer < 0 ? model.Config.Depth - 1 : layer;
        var masks = ViTCausalExplanation.Masks(model, input, block, t);
        Assert.Equal(expectedLabels, masks.Labels);
        Assert.True(masks.GridWeights.Length > 1, "a single mask would not test the clustering");

        var options = new ExplainerOptions().Set("vitcx-layer", layer).Set("vitcx-distance", t).Set("vitcx-noise", s);
        var actual = ExplainerSet.Parse("vitcx", options).Explain(model, input)[0].Maps["vitcx.pixels"].Values;
        var expected = Npy.Read(Reference(set, image, $"vitcx_l{layer}_t{threshold}_n{sigma}")).ToFloat();
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(Math.Abs);
        Assert.True(scale > 0);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-5 * scale + 1e-4 * Math.Abs(expected[i]),
                $"{set}/{image} layer {layer} t {threshold} σ {sigma}, pixel {i}: {actual[i]} vs the reference's {expected[i]}");
    }

    [Fact]
    public void TheSeedChangesTheNoiseAndTheSameSeedGivesTheSameMap()
    {
        string set = GoldenData.Sets[1];
        var model = GoldenData.Model(set);
        var input = GoldenData.Input(set, GoldenData.Images[0]);
        float[] Map(int seed) => ExplainerSet.Parse("vitcx", new ExplainerOptions().Set("vitcx-seed", seed)).Explain(model, input)[0].Maps["vitcx.pixels"].Values;
        Assert.Equal(Map(3), Map(3));
        Assert.NotEqual(Map(3), Map(4));
    }

    [Fact]
    public void CompleteLinkage_MergesByTheFarthestMembers()
    {
        // Points on a line at 0, 1, 3 and 10. {0, 1} merge at 1; {0, 1} and 3 are 3 apart by complete linkage (single
        // linkage would say 2), so at threshold 2.5 three clusters remain and at 3.5 two.
        double[] positions = [0, 1, 3, 10];
        double[] Distances() => positions.SelectMany(a => positions.Select(b => Math.Abs(a - b))).ToArray();
        Assert.Equal([0, 0, 1, 2], CompleteLinkageClustering.Cluster(Distances(), 4, 2.5));
        Assert.Equal([0, 0, 0, 1], CompleteLinkageClustering.Cluster(Distances(), 4, 3.5));
        Assert.Equal([0, 1, 2, 3], CompleteLinkageClustering.Cluster(Distances(), 4, 1.0));   // "below the threshold": 1 does not merge
        Assert.Equal([0, 0, 0, 0], CompleteLinkageClustering.Cluster(Distances(), 4, 10.5));
    }

    [Fact]
    public void SplitMixGaussian_IsStandardNormalAndReproducible()
    {
        var a = new float[200_000];
        SplitMixGaussian.Fill(7, 2, 1f, a);
        double mean = a.Average(v => (double)v), variance = a.Average(v => ((double)v - mean) * (v - mean));
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.98, 1.02);
        Assert.InRange(a.Count(v => Math.Abs(v) > 1.959964) / (double)a.Length, 0.048, 0.052);
        var b = new float[11];
        SplitMixGaussian.Fill(7, 2, 1f, b);
        Assert.Equal(a.Take(11), b);                   // an odd length is a prefix of the same stream
        var c = new float[11];
        SplitMixGaussian.Fill(7, 3, 1f, c);
        Assert.NotEqual(b, c);
    }
}
