namespace Vitmix.Fusion.Rules;

/// <summary>
/// Weighted harmonic mean Σw / Σ(w_i / m_i): dominated by the smallest input, between the geometric mean and the
/// minimum. Inputs are min-max normalised over the grid first; any zero input gives 0.
/// </summary>
public sealed class HarmonicMean : ElementwiseFusionRule
{
    /// <inheritdoc/>
    public override string Name => "hmean";
    /// <inheritdoc/>
    protected override bool NormalizesInputs => true;

    /// <inheritdoc/>
    protected override void Combine(float[][] inputs, float[] weights, float[] output)
    {
        float total = TotalWeight(weights);
        for (int j = 0; j < output.Length; j++)
        {
            float s = 0f;
            bool zero = false;
            for (int i = 0; i < inputs.Length; i++)
            {
                float v = inputs[i][j];
                if (v <= 0f) { zero = true; break; }
                s += weights[i] / v;
            }
            output[j] = zero ? 0f : total / s;
        }
    }
}
