using Vitmix.Data;
using Vitmix.Explain;

namespace Vitmix.Tests.Explain;

/// <summary>
/// Transition Attention Maps against maps computed independently in PyTorch by tests/reference/tam.py, which follows
/// the reference's transition_attention_maps on the timm forward that gae.py checks against the golden logits:
/// every golden model and image, every start layer, 1, 5 and 20 integration steps, and without the integral.
/// </summary>
public class TamReferenceTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in GoldenData.Sets) foreach (var i in GoldenData.Images) data.Add(s, i);
        return data;
    }

    static float[] Reference(string set, string image, string name) =>
        Npy.Read(Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Explain", "Reference", "tam", set, image, name + ".npy")).ToFloat();

    static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(Math.Abs);
        Assert.True(scale > 0, $"{what}: the reference map is all zero, so it cannot tell a right map from a wrong one");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * scale + 1e-4 * Math.Abs(expected[i]),
                $"{what}, patch {i}: {actual[i]} vs the reference's {expected[i]}");
    }

    [Theory, MemberData(nameof(Cases))]
    public void EveryStartLayerAndStepCount_MatchesThePyTorchReference(string set, string image)
    {
        var model = GoldenData.Model(set);
        var input = GoldenData.Input(set, image);
        for (int start = 0; start < model.Config.Depth; start++)
        {
            foreach (int steps in new[] { 1, 5, 20 })
            {
                var options = new ExplainerOptions().Set("tam-start-layer", start).Set("tam-steps", steps);
                var map = ExplainerSet.Parse("tam", options).Explain(model, input)[0].Maps["tam"].Values;
                AssertClose(Reference(set, image, $"tam_s{start}_n{steps}"), map, $"{set}/{image} start {start}, {steps} steps");
            }
            var plain = ExplainerSet.Parse("tam", new ExplainerOptions().Set("tam-start-layer", start).Set("tam-integral", false)).Explain(model, input)[0].Maps["tam"].Values;
            AssertClose(Reference(set, image, $"tam_s{start}_plain"), plain, $"{set}/{image} start {start}, no integral");
        }
    }

    [Fact]
    public void ABatchOfImagesGivesEachImageItsOwnMap()
    {
        // The scaled copies are built from the pass's input per sample: a batch must not mix images.
        string set = GoldenData.Sets[1];
        var model = GoldenData.Model(set);
        var a = GoldenData.Input(set, GoldenData.Images[0]);
        var b = GoldenData.Input(set, GoldenData.Images[1]);
        var both = new Vitmix.Engine.Tensor(a.Data.Concat(b.Data).ToArray(), 2, a.Dim(1), a.Dim(2), a.Dim(3));
        var options = new ExplainerOptions().Set("tam-start-layer", 0);
        var batched = ExplainerSet.Parse("tam", options).Explain(model, both);
        AssertClose(Reference(set, GoldenData.Images[0], "tam_s0_n20"), batched[0].Maps["tam"].Values, "first of a batch");
        AssertClose(Reference(set, GoldenData.Images[1], "tam_s0_n20"), batched[1].Maps["tam"].Values, "second of a batch");
    }
}
