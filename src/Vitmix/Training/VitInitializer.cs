using Vitmix.Model;

namespace Vitmix.Training;

/// <summary>
/// Fresh weights for training from scratch, as timm initialises a VisionTransformer: truncated normal (std 0.02,
/// cut at ±2 std) for linear weights, tokens and position embedding; zero biases; LayerNorm weight 1, bias 0;
/// the patch embedding like a linear layer; LayerScale γ at 1e-5 when present. Deterministic per seed.
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
            else if (name.Contains("norm") && name.EndsWith(".weight")) Array.Fill(t.Data, 1f);
            else if (name.EndsWith(".bias")) { }
            else for (int i = 0; i < t.Length; i++) t.Data[i] = TruncatedNormal(rng, 0.02);
            state[name] = t;
        }
        return VitWeights.FromStateDict(config, state, "initialiser");
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
