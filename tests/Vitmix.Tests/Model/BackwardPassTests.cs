using Vitmix.Layers;
using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Tests.Model;

/// <summary>The backward pass against central finite differences, for every layer type and model variant.</summary>
public class BackwardPassTests
{
    public static TheoryData<string> Variants() => new() { "plain", "distilled", "layerscale", "avgpool", "registers", "classmean", "features", "beit", "eva02" };

    static VitConfig ConfigFor(string variant) => variant switch
    {
        "distilled" => TinyModels.Config(distilled: true),
        "layerscale" => TinyModels.Config(layerScale: true),
        "avgpool" => TinyModels.Config(avgPool: true),
        "registers" => TinyModels.Config(registers: 2),
        // Hugging Face DINOv2's classifier: class token and patch mean side by side (registers excluded)
        "classmean" => TinyModels.Config(layerScale: true, registers: 2) with { Pool = GlobalPool.ClassAndPatchMean },
        // a checkpoint without a classifier: the identity head over the class token's features
        "features" => TinyModels.Config() with { FeatureHead = true, NumClasses = 12 },
        // BEiT: relative position bias, q and v biases, no absolute position embedding, patch mean + fc_norm
        "beit" => TinyModels.Config(layerScale: true, avgPool: true) with
        {
            ClassToken = true, AbsolutePositionEmbedding = false, RelativePositionBias = true, QvBias = true,
        },
        // EVA-02: rotary embedding on a 2x3 grid (scaled to a 4x4 reference), SwiGLU with its sub-LN, q and v biases
        "eva02" => TinyModels.Config(avgPool: true) with
        {
            ClassToken = true, QvBias = true, GatedMlp = true, MlpNorm = true, RotaryPositionEmbedding = true,
            RopeReferenceHeight = 4, RopeReferenceWidth = 4,
        },
        _ => TinyModels.Config(),
    };

    // Loss = Σ_b Σ_k coef[b,k]·logit[b,k], so dL/dlogits = coef.
    static double Loss(VisionTransformer model, Tensor input, float[] coef)
    {
        var logits = model.Forward(input).Data;
        double s = 0;
        for (int i = 0; i < logits.Length; i++) s += (double)coef[i] * logits[i];
        return s;
    }

    static void CheckAgainstFiniteDifferences(string what, float[] parameter, float[] analytic, Func<double> loss, int samples, Random rng)
    {
        const float h = 4e-3f;
        var fd = new List<double>();
        var an = new List<double>();
        for (int s = 0; s < samples; s++)
        {
            int i = rng.Next(parameter.Length);
            float keep = parameter[i];
            parameter[i] = keep + h; double up = loss();
            parameter[i] = keep - h; double down = loss();
            parameter[i] = keep;
            fd.Add((up - down) / (2 * h));
            an.Add(analytic[i]);
        }
        double diff = Math.Sqrt(fd.Zip(an, (a, b) => (a - b) * (a - b)).Sum());
        double norm = Math.Sqrt(fd.Sum(a => a * a)) + 1e-6;
        Assert.True(diff / norm < 2e-2, $"{what}: relative error {diff / norm:G3} (fd [{string.Join(", ", fd.Take(4).Select(v => v.ToString("G4")))}] vs analytic [{string.Join(", ", an.Take(4).Select(v => v.ToString("G4")))}])");
    }

    [Theory, MemberData(nameof(Variants))]
    public void GradientsMatchFiniteDifferences(string variant)
    {
        var config = ConfigFor(variant);
        var model = TinyModels.Random(config, seed: 7);
        var input = TinyModels.RandomInput(config, batch: 2, seed: 3);
        var rng = new Random(11);
        var coef = Enumerable.Range(0, 2 * config.NumClasses).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

        var trace = model.Run(input, record: true);
        var grads = VitGradients.ZerosLike(model.Weights);
        var dInput = new BackwardPass(model, trace, grads).Run(coef);

        double L() => Loss(model, input, coef);
        CheckAgainstFiniteDifferences("input", input.Data, dInput, L, 40, rng);
        var named = grads.Named().ToDictionary(p => p.Name, p => p.Data);
        foreach (var (name, data) in model.Weights.Named())
        {
            // the relative position bias is a constant of the passes (not trained), and BEiT's zero position embedding is not a parameter of its checkpoint
            if (name.EndsWith("relative_position_bias_table", StringComparison.Ordinal) || (variant == "beit" && name == "pos_embed")) continue;
            CheckAgainstFiniteDifferences(name, data, named[name], L, Math.Min(12, data.Length), rng);
        }
    }

    [Fact]
    public void AttentionGradientsMatchADirectionalFiniteDifference()
    {
        // dL/dA is checked through the chain it feeds: perturbing the query weights moves A, and
        // Σ dL/dA ⊙ dA must equal the change of L up to the part that flows around A (through v only).
        // Simpler and exact: the attention gradient contracted with A's own change under a qkv-bias step
        // that touches only q (so v is unchanged) must equal the loss change.
        var config = TinyModels.Config();
        var model = TinyModels.Random(config, seed: 5);
        var input = TinyModels.RandomInput(config, batch: 1, seed: 9);
        var coef = new float[config.NumClasses];
        coef[1] = 1f;
        var trace = model.Run(input, record: true);
        var bw = new BackwardPass(model, trace) { RecordAttentionGradients = true };
        bw.Run(coef);
        int block = config.Depth - 1; // the last block: A changes only through its own q
        var bias = model.Weights.Blocks[block].QkvBias!;
        const float h = 1e-2f;
        int idx = 2; // a query feature
        float keep = bias[idx];
        bias[idx] = keep + h; var aUp = model.Run(input, false, Vitmix.Layers.PassRequirements.Attention).Outputs.AttentionProbabilities[block]!.Data; double up = model.Forward(input).Data[1];
        bias[idx] = keep - h; var aDown = model.Run(input, false, Vitmix.Layers.PassRequirements.Attention).Outputs.AttentionProbabilities[block]!.Data; double down = model.Forward(input).Data[1];
        bias[idx] = keep;
        double predicted = 0;
        var g = bw.AttentionGradients[block]!;
        for (int i = 0; i < g.Length; i++) predicted += g[i] * (aUp[i] - aDown[i]) / (2 * h);
        double measured = (up - down) / (2 * h);
        Assert.True(Math.Abs(predicted - measured) <= 2e-2 * Math.Max(1e-3, Math.Abs(measured)), $"predicted {predicted:G5}, measured {measured:G5}");
    }
}
