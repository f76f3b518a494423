using Vitmix.Data;
using Vitmix.Explain;
using Vitmix.Model;

namespace Vitmix.Tests.Explain;

/// <summary>
/// Transformer Input Sampling and the token-subset forward it needs, against tests/reference/tis.py: the authors' TIS
/// with fast_pytorch_kmeans's k-means on the timm forward (checked there against the golden logits), seeded alike.
/// </summary>
public class TisReferenceTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in GoldenData.Sets) foreach (var i in GoldenData.Images) data.Add(s, i);
        return data;
    }

    static string Reference(string set, string image, string name) =>
        Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Explain", "Reference", "tis", set, image, name + ".npy");

    [Theory, MemberData(nameof(Cases))]
    public void TheForwardOnATokenSubset_MatchesTheReferencesSamplingHook(string set, string image)
    {
        var model = GoldenData.Model(set);
        var input = GoldenData.Input(set, image);
        var indices = Npy.Read(Reference(set, image, "tokens_indices"));
        int rows = indices.Shape[0], kept = indices.Shape[1];
        var lists = Enumerable.Range(0, rows).Select(r => indices.Values.Skip(r * kept).Take(kept).Select(v => (int)v).ToArray()).ToList();
        var batch = new Vitmix.Engine.Tensor(Enumerable.Repeat(input.Data, rows).SelectMany(d => d).ToArray(), rows, input.Dim(1), input.Dim(2), input.Dim(3));
        var actual = model.ForwardTokens(batch, lists).Data;
        var expected = Npy.Read(Reference(set, image, "tokens_logits")).ToFloat();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(actual[i] - expected[i]) < 1e-4, $"logit {i}: {actual[i]} vs {expected[i]}");
        // Keeping every patch is the plain forward.
        var all = model.ForwardTokens(input, [Enumerable.Range(0, model.Config.NumPatches).ToArray()]).Data;
        Assert.Equal(model.Forward(input).Data, all);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Tis_MatchesThePyTorchReference(string set, string image)
    {
        var model = GoldenData.Model(set);
        var input = GoldenData.Input(set, image);
        foreach (var (masks, ratio) in new[] { (8, "0.5"), (32, "0.25"), (20, "0.75") })
        {
            var options = new ExplainerOptions().Set("tis-masks", masks).Set("tis-ratio", double.Parse(ratio, System.Globalization.CultureInfo.InvariantCulture));
            var actual = ExplainerSet.Parse("tis", options).Explain(model, input)[0].Maps["tis"].Values;
            var expected = Npy.Read(Reference(set, image, $"tis_m{masks}_r{ratio}")).ToFloat();
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) < 1e-4, $"{set}/{image} {masks} masks, ratio {ratio}, patch {i}: {actual[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void KMeans_FindsSeparatedClustersAndRepeatsWithItsSeed()
    {
        // Three tight groups far apart: any start that hits each group once converges to the group means.
        float[] points = [0, 0, 0.1f, 0, 0, 0.1f, 10, 10, 10.1f, 10, 10, 10.1f, -10, 5, -10.1f, 5, -10, 5.1f];
        var a = KMeansClustering.Centroids(points, 9, 2, 3, seed: 1);
        var b = KMeansClustering.Centroids(points, 9, 2, 3, seed: 1);
        Assert.Equal(a, b);
        var means = new[] { (0.1f / 3, 0.1f / 3), (10 + 0.1f / 3, 10 + 0.1f / 3), (-10 - 0.1f / 3, 5 + 0.1f / 3) };
        // With 3 of 9 points as starts, a start may land twice in one group; then a centroid can end empty (zero):
        // a seed whose starts cover the groups recovers all three means.
        var found = Enumerable.Range(0, 20).Select(seed => KMeansClustering.Centroids(points, 9, 2, 3, seed))
            .First(c => means.All(m => Enumerable.Range(0, 3).Any(k => Math.Abs(c[2 * k] - m.Item1) < 1e-4 && Math.Abs(c[2 * k + 1] - m.Item2) < 1e-4)));
        Assert.NotNull(found);
    }

    [Fact]
    public void AnAveragePoolingModelNeedsAPatch()
    {
        var model = TinyModels.Random(TinyModels.Config(avgPool: true), seed: 2);
        var input = TinyModels.RandomInput(model.Config, 1, seed: 3);
        Assert.Throws<ArgumentException>(() => model.ForwardTokens(input, [Array.Empty<int>()]));
        var one = model.ForwardTokens(input, [[0]]);
        Assert.All(one.Data, v => Assert.True(float.IsFinite(v)));
    }
}
