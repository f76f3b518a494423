namespace Vitmix.Fusion.Rules;

/// <summary>
/// ViTmiX geometric mean: m = (m_1 ⋯ m_k)^(1/k), the true k-th root (for k = 2 it equals <see cref="PaperSqrt"/>).
/// Negative inputs are clamped at 0 first (negative evidence counts as none), so the root never yields NaN.
/// </summary>
public sealed class GeometricMean : ElementwiseFusionRule
{
    /// <inheritdoc/>
    public override string Name => "gmean";

    /// <inheritdoc/>
    protected override void Combine(float[][] inputs, float[] weights, float[] output)
    {
        Product.ClampedProduct(inputs, output);
        int k = inputs.Length;
        if (k == 1) return;
        if (k == 2) { for (int j = 0; j < output.Length; j++) output[j] = MathF.Sqrt(output[j]); return; }
        // The exponent rounded to float32 as PyTorch's pow(tensor, 1/k) does.
        float e = (float)(1.0 / k);
        for (int j = 0; j < output.Length; j++) output[j] = MathF.Pow(output[j], e);
    }
}
