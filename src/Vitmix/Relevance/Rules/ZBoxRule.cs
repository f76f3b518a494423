using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// The z^B rule (Montavon et al. 2017) for the first layer, onto inputs bounded by l ≤ x ≤ h: with
/// Z = x·Wᵀ − l·ΣW⁺ − h·ΣW⁻ (no bias) and S = R / Z, R_x = x ⊙ (S·W) − l·(S·W⁺) − h·(S·W⁻). As in Chefer et al.'s
/// reference, l and h are the minimum and maximum of each sample's input, Z is shifted by 1e-9 and divided plainly.
/// </summary>
public sealed class ZBoxRule : IInputRule
{
    /// <inheritdoc/>
    public Tensor Apply(RelevanceContext context, Tensor x, Tensor weight, Tensor? bias, Tensor outputRelevance, int rows, int inDim, int outDim, Tensor images)
    {
        var ops = context.Backend;
        int samples = context.Batch;
        var (low, high) = ops.RangePerSample(images, samples);
        var wPos = context.Rent(outDim, inDim);
        var wNeg = context.Rent(outDim, inDim);
        ops.Maximum(weight, 0f, wPos);
        ops.Minimum(weight, 0f, wNeg);
        var sumPos = context.Rent(outDim);
        var sumNeg = context.Rent(outDim);
        ops.RowSums(wPos, outDim, inDim, sumPos);
        ops.RowSums(wNeg, outDim, inDim, sumNeg);

        var z = context.Rent(rows, outDim);
        ops.MatMul(false, true, rows, outDim, inDim, 1f, x, 0, inDim, weight, 0, inDim, 0f, z, 0, outDim);
        ops.AddOuterPerSample(z, samples, outDim, Negated(low), sumPos);
        ops.AddOuterPerSample(z, samples, outDim, Negated(high), sumNeg);
        ops.AddScalar(z, 1e-9f, z);
        ops.Divide(outputRelevance, z, z);

        var result = context.Rent(rows, inDim);
        var tmp = context.Rent(rows, inDim);
        ops.MatMul(false, false, rows, inDim, outDim, 1f, z, 0, outDim, weight, 0, inDim, 0f, result, 0, inDim);
        ops.Multiply(result, x, result);
        ops.MatMul(false, false, rows, inDim, outDim, 1f, z, 0, outDim, wPos, 0, inDim, 0f, tmp, 0, inDim);
        ops.AddScaledPerSample(result, tmp, Negated(low));
        ops.MatMul(false, false, rows, inDim, outDim, 1f, z, 0, outDim, wNeg, 0, inDim, 0f, tmp, 0, inDim);
        ops.AddScaledPerSample(result, tmp, Negated(high));
        foreach (var t in new[] { wPos, wNeg, sumPos, sumNeg, z, tmp }) context.Return(t);
        return result;
    }

    static float[] Negated(float[] v) => v.Select(x => -x).ToArray();
}
