namespace Vitmix.Model;

/// <summary>Parameter gradients with the same structure (and timm names) as <see cref="VitWeights"/>.</summary>
public static class VitGradients
{
    /// <summary>A zero-filled twin of <paramref name="weights"/> to accumulate gradients into.</summary>
    public static VitWeights ZerosLike(VitWeights weights)
    {
        static float[] Z(float[] a) => new float[a.Length];
        static float[]? O(float[]? a) => a == null ? null : new float[a.Length];
        return new VitWeights
        {
            PatchWeight = Z(weights.PatchWeight), PatchBias = Z(weights.PatchBias),
            ClassToken = O(weights.ClassToken), DistToken = O(weights.DistToken), RegisterTokens = O(weights.RegisterTokens),
            PosEmbed = Z(weights.PosEmbed),
            Blocks = weights.Blocks.Select(b => new BlockWeights
            {
                Norm1Weight = Z(b.Norm1Weight), Norm1Bias = Z(b.Norm1Bias), QkvWeight = Z(b.QkvWeight), QkvBias = O(b.QkvBias),
                ProjWeight = Z(b.ProjWeight), ProjBias = Z(b.ProjBias), LayerScale1 = O(b.LayerScale1),
                Norm2Weight = Z(b.Norm2Weight), Norm2Bias = Z(b.Norm2Bias), Fc1Weight = Z(b.Fc1Weight), Fc1Bias = Z(b.Fc1Bias),
                MlpNormWeight = O(b.MlpNormWeight), MlpNormBias = O(b.MlpNormBias),
                Fc2Weight = Z(b.Fc2Weight), Fc2Bias = Z(b.Fc2Bias), LayerScale2 = O(b.LayerScale2),
            }).ToArray(),
            NormWeight = O(weights.NormWeight), NormBias = O(weights.NormBias),
            FcNormWeight = O(weights.FcNormWeight), FcNormBias = O(weights.FcNormBias),
            HeadWeight = Z(weights.HeadWeight), HeadBias = Z(weights.HeadBias),
            HeadDistWeight = O(weights.HeadDistWeight), HeadDistBias = O(weights.HeadDistBias),
            NormPreWeight = O(weights.NormPreWeight), NormPreBias = O(weights.NormPreBias),
            AttnPool = weights.AttnPool?.ZerosLike(),
        };
    }

    /// <summary>Zeroes every array of <paramref name="gradients"/>; a backward pass adds into them.</summary>
    public static void Clear(VitWeights gradients)
    {
        foreach (var (_, data) in gradients.Named()) Array.Clear(data);
    }
}
