using Vitmix.Layers;
using Vitmix.Engine;
using Vitmix.Explain;

namespace Vitmix.Tests.Explain;

/// <summary>A batch explains each image exactly as it is explained alone.</summary>
public class BatchedExplanationTests
{
    static readonly IExplainer[] All = [new AttentionRollout(), new AttentionGradCam(), new Saliency(), new TransformerAttribution(), new FullLrp()];

    [Theory]
    [InlineData("plain")]
    [InlineData("distilled")]
    [InlineData("registers")]
    public void BatchEqualsOneAtATime(string variant)
    {
        var config = variant switch
        {
            "distilled" => TinyModels.Config(distilled: true),
            "registers" => TinyModels.Config(registers: 2),
            _ => TinyModels.Config(),
        };
        var model = TinyModels.Random(config, seed: 21);
        var batch = TinyModels.RandomInput(config, 3, seed: 5);
        var req = All.Aggregate(PassRequirements.None, (r, e) => r | e.Requires);
        var targets = new[] { 0, 3, 1 };
        var together = ExplanationPass.Compute(model, batch, req, targets);
        int per = batch.Length / 3;
        for (int i = 0; i < 3; i++)
        {
            var single = new Tensor(batch.Data.AsSpan(i * per, per).ToArray(), 1, config.InChannels, config.ImageHeight, config.ImageWidth);
            var alone = ExplanationPass.Compute(model, single, req, [targets[i]]);
            foreach (var explainer in All)
            {
                var a = explainer.Explain(together, i).ToDictionary();
                var b = explainer.Explain(alone, 0).ToDictionary();
                foreach (var (key, map) in b)
                {
                    Assert.Equal(map.Height, a[key].Height);
                    Assert.Equal(map.Width, a[key].Width);
                    float scale = map.Values.Max(Math.Abs) + 1e-12f;
                    for (int j = 0; j < map.Values.Length; j++)
                        Assert.True(Math.Abs(map.Values[j] - a[key].Values[j]) <= 1e-4f * scale, $"{variant} {key} sample {i} element {j}: {a[key].Values[j]} vs {map.Values[j]}");
                }
            }
        }
        // Maps exclude every prefix token: a grid map has exactly one value per patch.
        var grid = new AttentionRollout().Explain(together, 0).Single().Value;
        Assert.Equal(config.GridHeight * config.GridWidth, grid.Values.Length);
    }
}

public class MixedTargetTests
{
    [Fact]
    public void ANegativeTargetMeansThePredictedClass()
    {
        var config = TinyModels.Config();
        var model = TinyModels.Random(config, seed: 3);
        var batch = TinyModels.RandomInput(config, 2, seed: 4);
        var predicted = ExplanationPass.Compute(model, batch, PassRequirements.Attention).Targets;
        var mixed = ExplanationPass.Compute(model, batch, PassRequirements.Attention, [-1, (predicted[1] + 1) % config.NumClasses]).Targets;
        Assert.Equal(predicted[0], mixed[0]);
        Assert.Equal((predicted[1] + 1) % config.NumClasses, mixed[1]);
    }
}
