namespace Vitmix.Fusion.Rules;

/// <summary>
/// Weighted geometric mean: m = Π m_i^(w_i / Σw) (equal weights give <see cref="GeometricMean"/> up to rounding).
/// Scale-invariant like the product: multiplying one map by c scales the result by c^(w_i/Σw), which the later
/// min-max normalisation removes. Negative inputs are clamped at 0.
/// </summary>
public sealed class WeightedGeometricMean : ElementwiseFusionRule
{
    /// <inheritdoc/>
    public override string Name => "wgmean";

    /// <inheritdoc/>
    protected override void Combine(float[][] inputs, float[] weights, float[] output)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        var e = new float[weights.Length];
        for (int i = 0; i < e.Length; i++) e[i] = (float)(weights[i] / total);
        for (int j = 0; j < output.Length; j++)
        {
            float p = 1f;
            for (int i = 0; i < inputs.Length; i++) p *= MathF.Pow(MathF.Max(inputs[i][j], 0f), e[i]);
            output[j] = p;
        }
    }
}
