using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Layers;
using Vitmix.Model;
using Vitmix.Relevance;
using Vitmix.Relevance.Composites;

namespace Vitmix.Tests.Model.Families;

/// <summary>BEiT's relative position bias: timm's index, and a zero table giving exactly the model without one in every pass.</summary>
public class RelativePositionBiasTests
{
    [Fact]
    public void TheIndexIsTimmsGenRelativePositionIndex()
    {
        // 2x2 grid: 3x3 = 9 offsets, then cls→token 9, token→cls 10, cls→cls 11 (timm beit.py)
        var rpb = new RelativePositionBias("t", new float[12 * 2], 2, 2, 2);
        Assert.Equal(11, rpb.Index(0, 0));
        Assert.Equal(9, rpb.Index(0, 3));
        Assert.Equal(10, rpb.Index(4, 0));
        Assert.Equal(4, rpb.Index(2, 2));   // same patch: offset (0, 0) → (0 + 1)·3 + (0 + 1)
        Assert.Equal(0, rpb.Index(1, 4));   // patch (0,0) to patch (1,1): offset (−1, −1)
        Assert.Equal(8, rpb.Index(4, 1));   // (1,1) to (0,0): offset (1, 1)
        Assert.Equal(3, rpb.Index(1, 2));   // (0,0) to (0,1): offset (0, −1) → (0 + 1)·3 + (−1 + 1)
    }

    static VitConfig Beit() => TinyModels.Config(layerScale: true, avgPool: true) with
    {
        ClassToken = true, AbsolutePositionEmbedding = false, RelativePositionBias = true, QvBias = true,
    };

    [Fact]
    public void AZeroTableIsTheModelWithoutOne()
    {
        var c = Beit();
        var with = TinyModels.Random(c, 3);
        foreach (var b in with.Weights.Blocks) Array.Clear(b.RelativePositionBiasTable!);
        with = new VisionTransformer(c, with.Weights);
        var w = with.Weights;
        var plain = new VitWeights
        {
            PatchWeight = w.PatchWeight, PatchBias = w.PatchBias, ClassToken = w.ClassToken, PosEmbed = w.PosEmbed,
            Blocks = w.Blocks.Select(b => new BlockWeights
            {
                Norm1Weight = b.Norm1Weight, Norm1Bias = b.Norm1Bias, QkvWeight = b.QkvWeight, QkvBias = b.QkvBias,
                ProjWeight = b.ProjWeight, ProjBias = b.ProjBias, LayerScale1 = b.LayerScale1, Norm2Weight = b.Norm2Weight,
                Norm2Bias = b.Norm2Bias, Fc1Weight = b.Fc1Weight, Fc1Bias = b.Fc1Bias, Fc2Weight = b.Fc2Weight, Fc2Bias = b.Fc2Bias,
                LayerScale2 = b.LayerScale2,
            }).ToArray(),
            FcNormWeight = w.FcNormWeight, FcNormBias = w.FcNormBias, HeadWeight = w.HeadWeight, HeadBias = w.HeadBias,
        };
        var without = new VisionTransformer(c with { RelativePositionBias = false }, plain);
        var x = TinyModels.RandomInput(c, 2, 4);
        foreach (LrpComposite composite in new LrpComposite[] { TransformerAttributionComposite.Instance, AttnLrpComposite.Instance })
        {
            var need = PassRequirements.Attention | PassRequirements.AttentionGradients | PassRequirements.AttentionRelevance | PassRequirements.PixelRelevance;
            using var a = ExplanationPass.Compute(with, x, need, composite: composite);
            using var b = ExplanationPass.Compute(without, x, need, composite: composite);
            Close(b.Logits, a.Logits, "logits");
            Close(b.PixelRelevance!, a.PixelRelevance!, $"{composite.GetType().Name} pixel relevance");
            for (int l = 0; l < c.Depth; l++) Close(b.AttentionRelevance![l]!, a.AttentionRelevance![l]!, $"{composite.GetType().Name} block {l}");
        }
    }

    static void Close(float[] expected, float[] actual, string what)
    {
        float scale = expected.Max(Math.Abs) + 1e-12f;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * scale, $"{what} {i}: {actual[i]} vs {expected[i]}");
    }
}
