namespace Vitmix.Fusion.Rules;

/// <summary>Element-wise minimum, the Gödel fuzzy AND: a patch is as relevant as its least relevant vote. Inputs are min-max normalised first.</summary>
public sealed class Minimum : ElementwiseFusionRule
{
    /// <inheritdoc/>
    public override string Name => "min";
    /// <inheritdoc/>
    protected override bool NormalizesInputs => true;

    /// <inheritdoc/>
    protected override void Combine(float[][] inputs, float[] weights, float[] output)
    {
        inputs[0].CopyTo(output, 0);
        for (int i = 1; i < inputs.Length; i++)
        {
            var x = inputs[i];
            for (int j = 0; j < output.Length; j++) output[j] = MathF.Min(output[j], x[j]);
        }
    }
}
