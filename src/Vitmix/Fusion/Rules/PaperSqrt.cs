namespace Vitmix.Fusion.Rules;

/// <summary>
/// The ViTmiX paper's "sqrt" fusion: m = sqrt(m_1 ⋯ m_k) for every k. For k = 2 it is the geometric mean; for
/// k ≥ 3 it is not (use <see cref="GeometricMean"/>) — kept only to reproduce the published tables.
/// Negative inputs are clamped at 0 first.
/// </summary>
public sealed class PaperSqrt : ElementwiseFusionRule
{
    /// <inheritdoc/>
    public override string Name => "sqrt";

    /// <inheritdoc/>
    protected override void Combine(float[][] inputs, float[] weights, float[] output)
    {
        Product.ClampedProduct(inputs, output);
        for (int j = 0; j < output.Length; j++) output[j] = MathF.Sqrt(output[j]);
    }
}
