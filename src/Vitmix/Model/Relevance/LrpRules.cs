using System.Numerics.Tensors;
using Vitmix.Engine;

namespace Vitmix.Model.Relevance;

/// <summary>
/// The layer-wise relevance propagation rules of Chefer, Gur &amp; Wolf (CVPR 2021, "Transformer
/// Interpretability Beyond Attention Visualization"), as their reference code applies them. Each rule maps the
/// relevance of a layer's output to the relevance of its input(s); where a rule is applied is decided by
/// <see cref="RelevancePass"/> (zennit's split of rules and composites).
/// </summary>
public static class LrpRules
{
    /// <summary>The reference's safe divide: a / (z + 1e-9), 0 where z == 0 (1e-9 as denominator if z + 1e-9 == 0).</summary>
    public static float SafeDivide(float a, float z)
    {
        if (z == 0f) return 0f;
        float den = z + 1e-9f;
        if (den == 0f) den = 1e-9f;
        return a / den;
    }

    public static void SafeDivide(ReadOnlySpan<float> a, ReadOnlySpan<float> z, Span<float> result)
    {
        for (int i = 0; i < a.Length; i++) result[i] = SafeDivide(a[i], z[i]);
    }

    /// <summary>
    /// Alpha 1 / beta 0 rule for y = x·Wᵀ (+ bias, which takes no relevance): with x⁺, x⁻, W⁺, W⁻ the positive and
    /// negative parts, Z = x⁺·W⁺ᵀ + x⁻·W⁻ᵀ, S = R ⊘ Z, R_x = x⁺ ⊙ (S·W⁺) + x⁻ ⊙ (S·W⁻).
    /// Implemented as one GEMM each way on the stacked operands [x⁺ | x⁻] and [W⁺ | W⁻].
    /// </summary>
    /// <param name="x">Layer input (rows, inDim).</param>
    /// <param name="split">The weight split once per layer by <see cref="SplitWeights"/> (outDim, 2·inDim).</param>
    /// <param name="relevance">Output relevance (rows, outDim).</param>
    /// <param name="result">Input relevance (rows, inDim).</param>
    /// <param name="scratch">Working memory of at least rows·(2·inDim + outDim) floats.</param>
    public static void AlphaOneBetaZero(ReadOnlySpan<float> x, ReadOnlySpan<float> split, ReadOnlySpan<float> relevance,
        Span<float> result, int rows, int inDim, int outDim, Span<float> scratch)
    {
        var xs = scratch[..(rows * 2 * inDim)];
        var s = scratch.Slice(rows * 2 * inDim, rows * outDim);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * inDim, inDim);
            TensorPrimitives.Max(xr, 0f, xs.Slice(r * 2 * inDim, inDim));
            TensorPrimitives.Min(xr, 0f, xs.Slice(r * 2 * inDim + inDim, inDim));
        }
        // Z = [x⁺ | x⁻]·[W⁺ | W⁻]ᵀ
        Gemm.Multiply(false, true, rows, outDim, 2 * inDim, 1f, xs, 2 * inDim, split, 2 * inDim, 0f, s, outDim);
        SafeDivide(relevance, s, s);
        // [S·W⁺ | S·W⁻] overwrites the stacked input, which is rebuilt from x below.
        var c = xs;
        Gemm.Multiply(false, false, rows, 2 * inDim, outDim, 1f, s, outDim, split, 2 * inDim, 0f, c, 2 * inDim);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * inDim, inDim);
            var pos = c.Slice(r * 2 * inDim, inDim);
            var neg = c.Slice(r * 2 * inDim + inDim, inDim);
            var rr = result.Slice(r * inDim, inDim);
            for (int i = 0; i < inDim; i++)
            {
                float v = xr[i];
                rr[i] = v > 0f ? v * pos[i] : v * neg[i];
            }
        }
    }

    /// <summary>W (outDim, inDim) → [W⁺ | W⁻] (outDim, 2·inDim), the operand of <see cref="AlphaOneBetaZero"/>.</summary>
    public static void SplitWeights(ReadOnlySpan<float> weight, int outDim, int inDim, Span<float> split)
    {
        for (int o = 0; o < outDim; o++)
        {
            var w = weight.Slice(o * inDim, inDim);
            TensorPrimitives.Max(w, 0f, split.Slice(o * 2 * inDim, inDim));
            TensorPrimitives.Min(w, 0f, split.Slice(o * 2 * inDim + inDim, inDim));
        }
    }

    /// <summary>
    /// Residual addition z = a + b: ra = a ⊙ (R ⊘ z), rb = b ⊙ (R ⊘ z), then each part rescaled so that the two keep
    /// their share of the total: ra ← ra · ((|A| ⊘ (|A|+|B|)) · T ⊘ A) with A = Σra, B = Σrb, T = ΣR over the
    /// whole sample (all tokens and features). The sums are taken in double precision.
    /// </summary>
    public static void ResidualSplit(ReadOnlySpan<float> relevance, ReadOnlySpan<float> a, ReadOnlySpan<float> b,
        Span<float> ra, Span<float> rb)
    {
        double sumA = 0, sumB = 0, total = 0;
        for (int i = 0; i < relevance.Length; i++)
        {
            float s = SafeDivide(relevance[i], a[i] + b[i]);
            ra[i] = a[i] * s;
            rb[i] = b[i] * s;
            sumA += ra[i];
            sumB += rb[i];
            total += relevance[i];
        }
        float fa = (float)SafeDivideDouble(SafeDivideDouble(Math.Abs(sumA), Math.Abs(sumA) + Math.Abs(sumB)) * total, sumA);
        float fb = (float)SafeDivideDouble(SafeDivideDouble(Math.Abs(sumB), Math.Abs(sumA) + Math.Abs(sumB)) * total, sumB);
        TensorPrimitives.Multiply(ra, fa, ra);
        TensorPrimitives.Multiply(rb, fb, rb);
    }

    static double SafeDivideDouble(double a, double z)
    {
        if (z == 0) return 0;
        double den = z + 1e-9;
        if (den == 0) den = 1e-9;
        return a / den;
    }

    /// <summary>
    /// A copied activation x feeding two paths with relevances r1 and r2: R_x = x ⊙ (r1 ⊘ x + r2 ⊘ x),
    /// written into <paramref name="result"/> (may alias r1).
    /// </summary>
    public static void BranchPoint(ReadOnlySpan<float> x, ReadOnlySpan<float> r1, ReadOnlySpan<float> r2, Span<float> result)
    {
        for (int i = 0; i < x.Length; i++)
            result[i] = x[i] * (SafeDivide(r1[i], x[i]) + SafeDivide(r2[i], x[i]));
    }
}
