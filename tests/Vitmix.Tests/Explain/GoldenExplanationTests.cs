using Vitmix.Layers;
using Vitmix.Explain;
using Vitmix.Engine;

namespace Vitmix.Tests.Explain;

/// <summary>Stage 1 of the golden protocol: logits and every base map against the float64 reference within the manifest's tolerance.</summary>
public class GoldenExplanationTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in GoldenData.Sets) foreach (var i in GoldenData.Images) data.Add(s, i);
        return data;
    }

    static void AssertClose(string set, string image, string name, float[] actual)
    {
        var expected = GoldenData.Array64(set, image, name);
        double tol = GoldenData.Tolerance(set, image, name);
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0; int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            if (diff > worst) { worst = diff; at = i; }
        }
        Assert.True(worst <= tol, $"{set}/{image}/{name}: max |diff| {worst:G4} at {at} exceeds tolerance {tol:G4}");
    }

    [Theory, MemberData(nameof(Cases))]
    public void LogitsMatch(string set, string image)
    {
        var model = GoldenData.Model(set);
        var logits = model.Forward(GoldenData.Input(set, image));
        AssertClose(set, image, "logits", logits.Data);
    }

    [Theory, MemberData(nameof(Cases))]
    public void BaseMapsMatch(string set, string image)
    {
        var model = GoldenData.Model(set);
        int depth = model.Config.Depth;
        var explainers = new List<IExplainer> { new AttentionGradCam(), new Saliency(), new FullLrp(), new LrpRollout(), new LrpLastLayer() };
        for (int s = 0; s < depth; s++) explainers.Add(new AttentionRollout(s));
        var pass = ExplanationPass.Compute(model, GoldenData.Input(set, image),
            explainers.Aggregate(PassRequirements.None, (r, e) => r | e.Requires) | PassRequirements.AttentionGradients | PassRequirements.AttentionRelevance);
        Assert.Equal(GoldenData.ImageManifest(set, image).GetProperty("pred_class").GetInt32(), pass.Targets[0]);
        var maps = new Dictionary<string, float[]>();
        for (int s = 0; s < depth; s++)
            maps[$"rollout_s{s}"] = new AttentionRollout(s).Explain(pass, 0).Single().Value.Values;
        maps["gradcam_attn"] = new AttentionGradCam().Explain(pass, 0).Single().Value.Values;
        var sal = new Saliency().Explain(pass, 0).ToDictionary();
        maps["saliency"] = sal["saliency"].Values;
        maps["saliency_full"] = sal["saliency.pixels"].Values;
        maps["lrp_transformer_attribution_s0"] = new TransformerAttribution(0).Explain(pass, 0).Single().Value.Values;
        maps["lrp_transformer_attribution_s1"] = new TransformerAttribution(1).Explain(pass, 0).Single().Value.Values;
        maps["lrp_rollout"] = new LrpRollout().Explain(pass, 0).Single().Value.Values;
        maps["lrp_last_layer"] = new LrpLastLayer().Explain(pass, 0).Single().Value.Values;
        maps["lrp_full"] = new FullLrp().Explain(pass, 0).Single().Value.Values;
        var failures = new List<string>();
        foreach (var (name, values) in maps)
        {
            try { AssertClose(set, image, name, values); }
            catch (Exception e) { failures.Add(e.Message); }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
