using Vitmix.Model;

namespace Vitmix.Bench;

/// <summary>A ViT with random weights (timing does not depend on the values).</summary>
public static class RandomVit
{
    public static VisionTransformer Create(VitConfig config, int seed)
    {
        var rng = new Random(seed);
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, shape) in VitWeights.ExpectedShapes(config))
        {
            var t = new Tensor(shape);
            bool norm = name.Contains("norm") && name.EndsWith(".weight");
            for (int i = 0; i < t.Length; i++) t.Data[i] = norm ? 1f : (float)(rng.NextDouble() - 0.5) * 0.04f;
            state[name] = t;
        }
        return new VisionTransformer(config, VitWeights.FromStateDict(config, state, "random weights"));
    }

    public static Tensor Images(VitConfig c, int batch, int seed)
    {
        var rng = new Random(seed);
        var t = new Tensor(batch, c.InChannels, c.ImageHeight, c.ImageWidth);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }
}
