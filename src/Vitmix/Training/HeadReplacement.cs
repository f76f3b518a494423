using Vitmix.Model;

namespace Vitmix.Training;

/// <summary>Fine-tuning surgery: a fresh classifier head (and distillation head) for a new number of classes.</summary>
public static class HeadReplacement
{
    /// <summary>A model sharing every weight with <paramref name="model"/> except a new, freshly initialised head of <paramref name="classes"/> outputs.</summary>
    public static VisionTransformer WithNewHead(VisionTransformer model, int classes, int seed)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), "the number of classes must be positive");
        var config = model.Config with { NumClasses = classes };
        var fresh = VitInitializer.Create(config with { Depth = 1 }, seed);
        var w = model.Weights;
        var weights = new VitWeights
        {
            PatchWeight = w.PatchWeight, PatchBias = w.PatchBias, ClassToken = w.ClassToken, DistToken = w.DistToken,
            RegisterTokens = w.RegisterTokens, PosEmbed = w.PosEmbed, Blocks = w.Blocks, NormWeight = w.NormWeight,
            NormBias = w.NormBias, FcNormWeight = w.FcNormWeight, FcNormBias = w.FcNormBias,
            HeadWeight = fresh.HeadWeight, HeadBias = fresh.HeadBias,
            HeadDistWeight = config.Distilled ? fresh.HeadDistWeight : null,
            HeadDistBias = config.Distilled ? fresh.HeadDistBias : null,
        };
        return new VisionTransformer(config, weights);
    }
}
