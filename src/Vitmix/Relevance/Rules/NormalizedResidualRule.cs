using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// Chefer, Gur &amp; Wolf's rule for an addition z = a + b: each summand takes its LRP-0 share, a ⊙ (R ⊘ z) and
/// b ⊙ (R ⊘ z), and the two shares are then rescaled so that, per sample, they split the total ΣR in the ratio of
/// their absolute sums: R_a ← R_a · (|A| ⊘ (|A| + |B|)) · T ⊘ A, with A = ΣR_a, B = ΣR_b, T = ΣR. The sums and
/// factors are computed in double precision, as the reference does.
/// </summary>
public sealed class NormalizedResidualRule : IAdditionRule
{
    /// <inheritdoc/>
    public (Tensor A, Tensor B) Apply(RelevanceContext context, Tensor a, Tensor b, Tensor outputRelevance)
    {
        var ops = context.Backend;
        int samples = context.Batch;
        var ra = context.Rent(a.Shape);
        var rb = context.Rent(b.Shape);
        ops.Add(a, b, rb);
        ops.SafeDivide(outputRelevance, rb, rb);
        ops.Multiply(a, rb, ra);
        ops.Multiply(b, rb, rb);
        var sumA = ops.SumPerSample(ra, samples);
        var sumB = ops.SumPerSample(rb, samples);
        var total = ops.SumPerSample(outputRelevance, samples);
        var fa = new float[samples];
        var fb = new float[samples];
        for (int i = 0; i < samples; i++)
        {
            double absA = Math.Abs(sumA[i]), absB = Math.Abs(sumB[i]);
            fa[i] = (float)SafeDivide(SafeDivide(absA, absA + absB) * total[i], sumA[i]);
            fb[i] = (float)SafeDivide(SafeDivide(absB, absA + absB) * total[i], sumB[i]);
        }
        ops.ScalePerSample(ra, fa, ra);
        ops.ScalePerSample(rb, fb, rb);
        return (ra, rb);
    }

    /// <summary>The stabilised division of <see cref="ComputeBackend.SafeDivide"/> in double precision.</summary>
    static double SafeDivide(double a, double z)
    {
        if (z == 0) return 0;
        double den = z + 1e-9;
        if (den == 0) den = 1e-9;
        return a / den;
    }
}
