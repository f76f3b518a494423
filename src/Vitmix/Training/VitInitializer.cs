using Vitmix.Model;

namespace Vitmix.Training;

/// <summary>
/// Fresh weights for training from scratch: timm's scheme (truncated normal, std 0.02, cut at ±2 std, for linear
/// weights and tokens; zero biases; LayerNorm weight 1, bias 0; LayerScale γ 1e-5) except two places where we follow
/// MAE (He et al. 2022) / MoCo v3 (Chen et al. 2021): the position embedding starts as the fixed 2-D sine-cosine
/// embedding (still learned), and the patch embedding is Xavier-uniform. With timm's std-0.02 position embedding a
/// small ViT trained on a few thousand images sees an almost position-free bag of patches and stays at chance for
/// many epochs; the sine-cosine start gives it positions from the first step. Deterministic per seed.
/// </summary>
public static class VitInitializer
{
    public static VitWeights Create(VitConfig config, int seed)
    {
        var rng = new Random(seed);
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, shape) in VitWeights.ExpectedShapes(config))
        {
            var t = new Tensor(shape);
            if (name.EndsWith(".gamma")) Array.Fill(t.Data, 1e-5f);
            else if (name == "pos_embed") SineCosine(config, t.Data);
            else if (name == "patch_embed.proj.weight")
            {
                double bound = Math.Sqrt(6.0 / (config.PatchDim + config.EmbedDim));
                for (int i = 0; i < t.Length; i++) t.Data[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
            }
            else if (name.Contains("norm") && name.EndsWith(".weight")) Array.Fill(t.Data, 1f);
            else if (name.EndsWith(".bias")) { }
            else for (int i = 0; i < t.Length; i++) t.Data[i] = TruncatedNormal(rng, 0.02);
            state[name] = t;
        }
        return VitWeights.FromStateDict(config, state, "initialiser");
    }

    /// <summary>
    /// MAE's 2-D sine-cosine embedding: half the channels encode the row, half the column, each as sin/cos of the
    /// position times 1/10000^(2i/d'); prefix-token rows (when the embedding covers them) are zero.
    /// </summary>
    internal static void SineCosine(VitConfig c, Span<float> pos)
    {
        int d = c.EmbedDim, quarter = d / 4;
        int prefix = c.NoEmbedClass ? 0 : c.NumPrefixTokens;
        pos.Clear();
        if (quarter == 0) return;
        for (int r = 0; r < c.GridHeight; r++)
            for (int col = 0; col < c.GridWidth; col++)
            {
                var row = pos.Slice((prefix + r * c.GridWidth + col) * d, d);
                for (int i = 0; i < quarter; i++)
                {
                    double omega = 1.0 / Math.Pow(10000, (double)i / quarter);
                    row[i] = (float)Math.Sin(col * omega);
                    row[quarter + i] = (float)Math.Cos(col * omega);
                    row[2 * quarter + i] = (float)Math.Sin(r * omega);
                    row[3 * quarter + i] = (float)Math.Cos(r * omega);
                }
            }
    }

    static float TruncatedNormal(Random rng, double std)
    {
        while (true)
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            if (Math.Abs(g) <= 2) return (float)(g * std);
        }
    }
}
