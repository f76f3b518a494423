using Vitmix.Model;

namespace Vitmix.Training;

/// <summary>
/// Fresh weights for training from scratch: timm's scheme (truncated normal, std 0.02, cut at ±2 std, for linear
/// weights and tokens; zero biases; LayerNorm weight 1, bias 0; LayerScale γ 1e-5) except two places where we follow
/// MAE (He et al. 2022) / MoCo v3 (Chen et al. 2021): the position embedding starts as the fixed 2-D sine-cosine
/// embedding (still learned), and the patch embedding is Xavier-uniform. With timm's std-0.02 position embedding a
/// small ViT trained on a few thousand images sees an almost position-free bag of patches and stays at chance for
/// many epochs; the sine-cosine start gives it positions from the first step. On top of that the attention layers
/// start "mimetic" (Trockman &amp; Kolter, "Mimetic Initialization of Self-Attention Layers", ICML 2023): per block,
/// W_q W_kᵀ ≈ 0.7·I and W_proj W_v ≈ −0.4·I, so from the first step each token attends to tokens like itself (with
/// the sine-cosine positions: its neighbours) and subtracts their mean, a convolution-like local contrast a ViT
/// trained from scratch otherwise has to discover; it measurably shortens the initial plateau at chance
/// (docs/benchmarks.md). Deterministic per seed.
/// </summary>
public static class VitInitializer
{
    /// <summary>New weights for <paramref name="config"/> by the scheme above; the same seed gives the same weights.</summary>
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
        foreach (var block in Enumerable.Range(0, config.Depth))
            Mimetic(config.EmbedDim, state[$"blocks.{block}.attn.qkv.weight"].Data, state[$"blocks.{block}.attn.proj.weight"].Data, rng);
        return VitWeights.FromStateDict(config, state, "initialiser");
    }

    // The paper's α = β = 0.7 for query-key and 0.4 for value-projection; the random parts (α·Z) are the truncated
    // normal weights already in place.
    const double QueryKeyIdentity = 0.7, ValueProjectionIdentity = 0.4;

    /// <summary>
    /// Adds √β·R to both W_q and W_k (R a random orthogonal d×d matrix, so each head's rows are orthonormal and
    /// W_q W_kᵀ gains β·I over all heads), √β'·R' to W_v and −√β'·R'ᵀ to W_proj (so W_proj W_v gains −β'·I).
    /// qkv is timm's fused (3d, d) weight: rows [0, d) query, [d, 2d) key, [2d, 3d) value.
    /// </summary>
    static void Mimetic(int d, float[] qkv, float[] proj, Random rng)
    {
        var queryKey = RandomOrthogonal(d, rng);
        var value = RandomOrthogonal(d, rng);
        float sq = (float)Math.Sqrt(QueryKeyIdentity), sv = (float)Math.Sqrt(ValueProjectionIdentity);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                qkv[i * d + j] += sq * queryKey[i * d + j];
                qkv[(d + i) * d + j] += sq * queryKey[i * d + j];
                qkv[(2 * d + i) * d + j] += sv * value[i * d + j];
                proj[j * d + i] -= sv * value[i * d + j];
            }
    }

    /// <summary>A random orthogonal matrix (rows orthonormal): Gram-Schmidt on a Gaussian matrix, row-major.</summary>
    static float[] RandomOrthogonal(int d, Random rng)
    {
        var m = new double[d * d];
        for (int i = 0; i < m.Length; i++) m[i] = Gaussian(rng);
        for (int i = 0; i < d; i++)
        {
            var row = m.AsSpan(i * d, d);
            for (int k = 0; k < i; k++)
            {
                var previous = m.AsSpan(k * d, d);
                double dot = 0;
                for (int j = 0; j < d; j++) dot += row[j] * previous[j];
                for (int j = 0; j < d; j++) row[j] -= dot * previous[j];
            }
            double norm = 0;
            for (int j = 0; j < d; j++) norm += row[j] * row[j];
            norm = Math.Sqrt(norm);
            for (int j = 0; j < d; j++) row[j] /= norm;
        }
        return Array.ConvertAll(m, v => (float)v);
    }

    static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

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
            double g = Gaussian(rng);
            if (Math.Abs(g) <= 2) return (float)(g * std);
        }
    }
}
