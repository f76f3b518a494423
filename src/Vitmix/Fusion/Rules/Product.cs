namespace Vitmix.Fusion.Rules;

/// <summary>ViTmiX "multiply": m = m_1 · m_2 · … · m_k, left to right in float32.</summary>
public sealed class Product : ElementwiseFusionRule
{
    /// <inheritdoc/>
    public override string Name => "product";

    /// <inheritdoc/>
    protected override void Combine(float[][] inputs, float[] weights, float[] output)
    {
        inputs[0].CopyTo(output, 0);
        for (int i = 1; i < inputs.Length; i++)
        {
            var x = inputs[i];
            for (int j = 0; j < output.Length; j++) output[j] *= x[j];
        }
    }

    /// <summary>The left-to-right float32 product of inputs clamped at 0 (shared by the root-taking rules).</summary>
    internal static void ClampedProduct(float[][] inputs, float[] output)
    {
        for (int j = 0; j < output.Length; j++)
        {
            float p = MathF.Max(inputs[0][j], 0f);
            for (int i = 1; i < inputs.Length; i++) p *= MathF.Max(inputs[i][j], 0f);
            output[j] = p;
        }
    }
}
