using Vitmix.Evaluation.Sanity;
using Vitmix.Explain;
using Vitmix.Model;

namespace Vitmix.Tests.Evaluation.Sanity;

/// <summary>
/// Model randomisation as Quantus does it for PyTorch: PyTorch's reset_parameters on the Linear, Conv2d and LayerNorm
/// modules of the chosen stages, nothing else touched.
/// </summary>
public class ModelRandomizationTests
{
    static Dictionary<string, float[]> Parameters(VisionTransformer m) => m.Weights.Named().ToDictionary(p => p.Name, p => p.Data);

    [Fact]
    public void StagesRunFromTheHeadDown()
    {
        var c = TinyModels.Config();
        var stages = ModelRandomization.TopDown(c);
        Assert.Equal(c.Depth + 2, stages.Count);
        Assert.Equal("head", stages[0].Name);
        Assert.Equal($"block {c.Depth - 1}", stages[1].Name);
        Assert.Equal("patch embedding", stages[^1].Name);
    }

    [Fact]
    public void OnlyTheChosenStagesModulesAreReset_AsPyTorchWouldResetThem()
    {
        var model = TinyModels.Random(TinyModels.Config(layerScale: true, registers: 2), seed: 3);
        var stages = ModelRandomization.TopDown(model.Config);
        var chosen = stages.Take(2).ToList();   // head and the last block
        var before = Parameters(model);
        var snapshot = before.ToDictionary(p => p.Key, p => (float[])p.Value.Clone());
        var after = Parameters(ModelRandomization.Randomize(model, chosen, seed: 5));
        int last = model.Config.Depth - 1;
        foreach (var (name, values) in after)
        {
            Assert.Equal(snapshot[name], before[name]);   // the original model is untouched
            bool inStage = chosen.Any(s => s.Covers(name));
            bool module = !(name is "cls_token" or "reg_token" or "pos_embed" || name.EndsWith(".gamma"));
            if (!inStage || !module) { Assert.Equal(snapshot[name], values); continue; }
            if (name.Contains("norm"))
            {
                Assert.All(values, v => Assert.Equal(name.EndsWith(".weight") ? 1f : 0f, v));
                continue;
            }
            // Linear: U(±1/√fan_in) for weight and bias, fan_in = the weight's columns.
            string module_ = name[..name.LastIndexOf('.')];
            var shape = VitWeights.ExpectedShapes(model.Config).First(s => s.Name == module_ + ".weight").Shape;
            double bound = 1 / Math.Sqrt(shape[1]);
            Assert.All(values, v => Assert.InRange(v, -bound, bound));
            Assert.NotEqual(snapshot[name], values);
            if (values.Length >= 1000)
            {
                double sd = Math.Sqrt(values.Average(v => (double)v * v));
                Assert.InRange(sd, 0.9 * bound / Math.Sqrt(3), 1.1 * bound / Math.Sqrt(3));   // a uniform's spread
            }
        }
        Assert.Contains(after.Keys, n => n.StartsWith($"blocks.{last}.attn.qkv.weight"));
    }

    [Fact]
    public void AStageDrawsTheSameWeightsAloneOrInACascade_AndTheSeedChangesThem()
    {
        var model = TinyModels.Random(TinyModels.Config(), seed: 4);
        var stages = ModelRandomization.TopDown(model.Config);
        var cascade = Parameters(ModelRandomization.Randomize(model, stages.Take(3).ToList(), seed: 9));
        var alone = Parameters(ModelRandomization.Randomize(model, [stages[2]], seed: 9));
        var other = Parameters(ModelRandomization.Randomize(model, [stages[2]], seed: 10));
        string name = $"blocks.{model.Config.Depth - 2}.mlp.fc1.weight";
        Assert.Equal(cascade[name], alone[name]);
        Assert.NotEqual(alone[name], other[name]);
    }

    [Fact]
    public void RolloutIgnoresTheHead_SoItsMapSurvivesARandomHeadExactly_WhileSaliencyChanges()
    {
        // A real property of the methods, which the check must expose: rollout reads only the attention, which the
        // head does not touch, so randomising the head leaves its map bit for bit; saliency differentiates the logit.
        var model = TinyModels.Random(TinyModels.Config(), seed: 6);
        var input = TinyModels.RandomInput(model.Config, 2, seed: 7);
        var set = ExplainerSet.Parse("rollout,saliency");
        var check = new SanityCheck(model, new SanitySettings { Explainers = set, Orders = [RandomizationOrder.Cascading] });
        var images = Enumerable.Range(0, 2).Select(i => ($"image{i}", new Vitmix.Engine.Tensor(input.Data.AsSpan(i * input.Length / 2, input.Length / 2).ToArray(),
            1, input.Dim(1), input.Dim(2), input.Dim(3)))).ToList();
        var rows = check.Run(images);
        Assert.Equal(2 * 2 * check.Stages.Count, rows.Count);
        var headRollout = rows.Where(r => r.Method == "rollout" && r.Step == 1).ToList();
        Assert.All(headRollout, r => { Assert.Equal(1.0, r.Spearman, 12); Assert.Equal(1.0, r.Ssim, 9); Assert.Equal(1.0, r.TopK); });
        Assert.Contains(rows, r => r.Method == "saliency" && r.Step == 1 && r.Spearman < 0.999);
        // With every stage random, the maps are no longer the trained network's.
        Assert.All(rows.Where(r => r.Step == check.Stages.Count), r => Assert.True(!(r.Spearman > 0.999), $"{r.Method} unchanged after full randomisation"));
    }
}
