using Vitmix.Layers;
using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Tests.Engine;

/// <summary>The optimised forward (reused buffers, fused per-head attention on the worker team) against a naive double twin.</summary>
public class FastForwardTests
{
    static readonly VitConfig Config = new()
    {
        ImageHeight = 32, ImageWidth = 32, PatchSize = 8, EmbedDim = 48, Depth = 2, NumHeads = 3, MlpHidden = 192, NumClasses = 10,
    };

    static VisionTransformer RandomModel(int seed)
    {
        var rng = new Random(seed);
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, shape) in VitWeights.ExpectedShapes(Config))
        {
            var t = new Tensor(shape);
            for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() - 0.5) * (name.Contains("norm") ? 1f : 0.4f) + (name.Contains("norm") && name.EndsWith("weight") ? 1f : 0f);
            state[name] = t;
        }
        return new VisionTransformer(Config, VitWeights.FromStateDict(Config, state, "test"));
    }

    static Tensor RandomImages(int b, int seed)
    {
        var rng = new Random(seed);
        var t = new Tensor(b, 3, 32, 32);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    /// <summary>timm's ViT forward in double precision, straight from the definitions.</summary>
    static double[] NaiveLogits(VisionTransformer model, Tensor images, int sample)
    {
        var c = model.Config; var w = model.Weights;
        int g = c.GridWidth, p = c.PatchSize, d = c.EmbedDim, n = c.NumTokens, h = c.NumHeads, hd = c.HeadDim, hm = c.MlpHidden;
        var x = new double[n, d];
        for (int j = 0; j < d; j++) x[0, j] = w.ClassToken![j] + w.PosEmbed[j];
        for (int t = 0; t < c.NumPatches; t++)
            for (int j = 0; j < d; j++)
            {
                double s = w.PatchBias[j];
                for (int ch = 0; ch < 3; ch++)
                    for (int ky = 0; ky < p; ky++)
                        for (int kx = 0; kx < p; kx++)
                            s += w.PatchWeight[j * 3 * p * p + (ch * p + ky) * p + kx] *
                                 images.Data[((sample * 3 + ch) * 32 + t / g * p + ky) * 32 + t % g * p + kx];
                x[t + 1, j] = s + w.PosEmbed[(t + 1) * d + j];
            }
        double[,] Ln(double[,] v, float[] gamma, float[] beta)
        {
            var y = new double[n, d];
            for (int t = 0; t < n; t++)
            {
                double mu = 0, var = 0;
                for (int j = 0; j < d; j++) mu += v[t, j];
                mu /= d;
                for (int j = 0; j < d; j++) var += (v[t, j] - mu) * (v[t, j] - mu);
                double rs = 1 / Math.Sqrt(var / d + c.LayerNormEps);
                for (int j = 0; j < d; j++) y[t, j] = (v[t, j] - mu) * rs * gamma[j] + beta[j];
            }
            return y;
        }
        double[,] Lin(double[,] v, float[] weight, float[]? bias, int inDim, int outDim)
        {
            var y = new double[n, outDim];
            for (int t = 0; t < n; t++)
                for (int o = 0; o < outDim; o++)
                {
                    double s = bias?[o] ?? 0;
                    for (int i = 0; i < inDim; i++) s += v[t, i] * weight[o * inDim + i];
                    y[t, o] = s;
                }
            return y;
        }
        foreach (var blk in w.Blocks)
        {
            var qkv = Lin(Ln(x, blk.Norm1Weight, blk.Norm1Bias), blk.QkvWeight, blk.QkvBias, d, 3 * d);
            var ctx = new double[n, d];
            for (int head = 0; head < h; head++)
                for (int t = 0; t < n; t++)
                {
                    var a = new double[n];
                    double max = double.MinValue, sum = 0;
                    for (int u = 0; u < n; u++)
                    {
                        for (int e = 0; e < hd; e++) a[u] += qkv[t, head * hd + e] * qkv[u, d + head * hd + e];
                        a[u] /= Math.Sqrt(hd);
                        max = Math.Max(max, a[u]);
                    }
                    for (int u = 0; u < n; u++) sum += a[u] = Math.Exp(a[u] - max);
                    for (int e = 0; e < hd; e++)
                        for (int u = 0; u < n; u++) ctx[t, head * hd + e] += a[u] / sum * qkv[u, 2 * d + head * hd + e];
                }
            var attn = Lin(ctx, blk.ProjWeight, blk.ProjBias, d, d);
            for (int t = 0; t < n; t++) for (int j = 0; j < d; j++) x[t, j] += attn[t, j];
            var hidden = Lin(Ln(x, blk.Norm2Weight, blk.Norm2Bias), blk.Fc1Weight, blk.Fc1Bias, d, hm);
            for (int t = 0; t < n; t++) for (int j = 0; j < hm; j++) hidden[t, j] = 0.5 * hidden[t, j] * (1 + Erf.Evaluate(hidden[t, j] / Math.Sqrt(2)));
            var mlp = new double[n, d];
            for (int t = 0; t < n; t++)
                for (int o = 0; o < d; o++)
                {
                    double s = blk.Fc2Bias[o];
                    for (int i = 0; i < hm; i++) s += hidden[t, i] * blk.Fc2Weight[o * hm + i];
                    mlp[t, o] = s;
                }
            for (int t = 0; t < n; t++) for (int j = 0; j < d; j++) x[t, j] += mlp[t, j];
        }
        var normed = Ln(x, w.NormWeight!, w.NormBias!);
        var logits = new double[c.NumClasses];
        for (int k = 0; k < c.NumClasses; k++)
        {
            double s = w.HeadBias[k];
            for (int j = 0; j < d; j++) s += normed[0, j] * w.HeadWeight[k * d + j];
            logits[k] = s;
        }
        return logits;
    }

    [Fact]
    public void Forward_matches_the_double_twin_and_the_recorded_pass()
    {
        var model = RandomModel(1);
        var images = RandomImages(3, 2);
        var fast = model.Forward(images);
        var again = model.Forward(images);         // reused workspace must not leak state between calls
        var recorded = model.Run(images, record: true, Vitmix.Layers.PassRequirements.Attention);
        var unrecorded = model.Run(images, record: false);
        Assert.Equal(fast.Data, again.Data);
        Assert.Equal(recorded.Logits, fast.Data);
        Assert.Equal(unrecorded.Logits, fast.Data);
        for (int i = 0; i < 3; i++)
        {
            var expected = NaiveLogits(model, images, i);
            for (int k = 0; k < 10; k++)
                Assert.True(Math.Abs(fast.Data[i * 10 + k] - expected[k]) <= 1e-4 * Math.Max(1, Math.Abs(expected[k])),
                    $"sample {i} class {k}: {fast.Data[i * 10 + k]} vs {expected[k]}");
        }
        // The recorded attention is a probability distribution per query.
        var att = recorded.Outputs.AttentionProbabilities[1]!.Data;
        int n = Config.NumTokens;
        for (int r = 0; r < att.Length / n; r++) Assert.Equal(1.0, att.AsSpan(r * n, n).ToArray().Sum(v => (double)v), 5);
    }

    [Fact]
    public void Forward_with_another_batch_size_gets_its_own_buffers()
    {
        var model = RandomModel(3);
        var two = RandomImages(2, 4);
        var one = new Tensor(two.Data.AsSpan(0, 3 * 32 * 32).ToArray(), 1, 3, 32, 32);
        var logitsTwo = model.Forward(two);
        var logitsOne = model.Forward(one);
        Assert.Equal(logitsTwo.Data.AsSpan(0, 10).ToArray(), logitsOne.Data);
    }
}
