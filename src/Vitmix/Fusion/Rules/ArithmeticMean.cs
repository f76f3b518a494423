namespace Vitmix.Fusion.Rules;

/// <summary>
/// Weighted arithmetic mean (a fuzzy OR-like rule). The methods' raw scales differ by orders of magnitude (LRP vs
/// rollout), so each input is min-max normalised over the grid first.
/// </summary>
public sealed class ArithmeticMean : ElementwiseFusionRule
{
    /// <inheritdoc/>
    public override string Name => "mean";
    /// <inheritdoc/>
    protected override bool NormalizesInputs => true;

    /// <inheritdoc/>
    protected override void Combine(float[][] inputs, float[] weights, float[] output)
    {
        float total = TotalWeight(weights);
        for (int j = 0; j < output.Length; j++)
        {
            float s = 0f;
            for (int i = 0; i < inputs.Length; i++) s += weights[i] * inputs[i][j];
            output[j] = s / total;
        }
    }
}
