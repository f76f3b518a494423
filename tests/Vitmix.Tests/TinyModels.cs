using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Tests;

/// <summary>Small seeded random ViTs for tests (every parameter non-trivial, like the golden recipe).</summary>
public static class TinyModels
{
    public static VitConfig Config(bool distilled = false, bool layerScale = false, bool avgPool = false, int registers = 0) => new()
    {
        ImageHeight = 16, ImageWidth = 24, PatchSize = 8, EmbedDim = 12, Depth = 2, NumHeads = 3, MlpHidden = 24,
        NumClasses = 4, Distilled = distilled, LayerScale = layerScale, RegisterTokens = registers,
        Pool = avgPool ? GlobalPool.Average : GlobalPool.Token, FcNorm = avgPool, ClassToken = !avgPool || distilled,
    };

    public static VisionTransformer Random(VitConfig config, int seed)
    {
        var rng = new Random(seed);
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, shape) in VitWeights.ExpectedShapes(config))
        {
            var t = new Tensor(shape);
            bool isNormWeight = name.EndsWith("norm1.weight") || name.EndsWith("norm2.weight") || name is "norm.weight" or "fc_norm.weight";
            bool isGamma = name.EndsWith(".gamma");
            double std = name.Contains("qkv.weight") ? Math.Sqrt(2.5 / config.EmbedDim)
                : name.EndsWith(".weight") && shape.Length >= 2 ? 1.0 / Math.Sqrt(shape[1] * (shape.Length == 4 ? shape[2] * shape[3] : 1))
                : 0.1;
            double mean = isNormWeight || isGamma ? 1.0 : 0.0;
            for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(mean + std * Gaussian(rng));
            state[name] = t;
        }
        return new VisionTransformer(config, VitWeights.FromStateDict(config, state, "random"));
    }

    public static Tensor RandomInput(VitConfig c, int batch, int seed)
    {
        var rng = new Random(seed);
        var t = new Tensor(batch, c.InChannels, c.ImageHeight, c.ImageWidth);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)Gaussian(rng);
        return t;
    }

    static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
