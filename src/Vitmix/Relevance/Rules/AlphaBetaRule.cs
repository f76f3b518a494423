using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// The alpha-beta rule (Bach et al. 2015) for y = x·Wᵀ (+ bias, which takes no relevance), as Chefer, Gur &amp; Wolf's
/// reference code computes it: with x⁺, x⁻, W⁺, W⁻ the positive and negative parts, the activating share
/// Z = x⁺·W⁺ᵀ + x⁻·W⁻ᵀ, S = R ⊘ Z (stabilised), R⁺ = x⁺ ⊙ (S·W⁺) + x⁻ ⊙ (S·W⁻); the inhibiting share R⁻ the same with
/// W⁺ and W⁻ swapped; R_x = α·R⁺ − β·R⁻. Each share is one GEMM each way on the stacked operands [x⁺ | x⁻] and
/// [W⁺ | W⁻], so a share costs two forward products.
/// </summary>
public sealed class AlphaBetaRule : ILinearRule
{
    /// <param name="alpha">Weight of the activating share (α − β = 1 conserves relevance).</param>
    /// <param name="beta">Weight of the inhibiting share.</param>
    public AlphaBetaRule(float alpha = 1f, float beta = 0f)
    {
        if (!float.IsFinite(alpha) || !float.IsFinite(beta) || beta < 0) throw new ArgumentException($"alpha {alpha}, beta {beta}: both must be finite and beta ≥ 0");
        Alpha = alpha;
        Beta = beta;
    }

    /// <summary>Weight of the activating share.</summary>
    public float Alpha { get; }

    /// <summary>Weight of the inhibiting share.</summary>
    public float Beta { get; }

    /// <inheritdoc/>
    public Tensor Apply(RelevanceContext context, Tensor x, Tensor weight, Tensor? bias, Tensor outputRelevance, int rows, int inDim, int outDim)
    {
        var ops = context.Backend;
        var split = context.Rent(outDim, 2 * inDim);
        ops.SplitSigns(weight, outDim, inDim, split);
        var result = Share(context, x, split, outputRelevance, rows, inDim, outDim);
        if (Alpha != 1f) ops.Scale(result, Alpha, result);
        if (Beta != 0f)
        {
            // [W⁻ | W⁺]: the same stacked operand with its halves swapped pairs x⁺ with W⁻ and x⁻ with W⁺.
            var swapped = context.Rent(outDim, 2 * inDim);
            for (int o = 0; o < outDim; o++)
            {
                ops.Copy(split, (long)o * 2 * inDim + inDim, swapped, (long)o * 2 * inDim, inDim);
                ops.Copy(split, (long)o * 2 * inDim, swapped, (long)o * 2 * inDim + inDim, inDim);
            }
            var inhibiting = Share(context, x, swapped, outputRelevance, rows, inDim, outDim);
            ops.Scale(inhibiting, -Beta, inhibiting);
            ops.Add(result, inhibiting, result);
            context.Return(inhibiting);
            context.Return(swapped);
        }
        context.Return(split);
        return result;
    }

    static Tensor Share(RelevanceContext context, Tensor x, Tensor split, Tensor r, int rows, int inDim, int outDim)
    {
        var ops = context.Backend;
        var stacked = context.Rent(rows, 2 * inDim);
        var s = context.Rent(rows, outDim);
        ops.SplitSigns(x, rows, inDim, stacked);
        ops.MatMul(false, true, rows, outDim, 2 * inDim, 1f, stacked, 0, 2 * inDim, split, 0, 2 * inDim, 0f, s, 0, outDim);
        ops.SafeDivide(r, s, s);
        // [S·W⁺ | S·W⁻] overwrites the stacked input; the sign of x picks the half each input takes.
        ops.MatMul(false, false, rows, 2 * inDim, outDim, 1f, s, 0, outDim, split, 0, 2 * inDim, 0f, stacked, 0, 2 * inDim);
        var result = context.Rent(rows, inDim);
        ops.SelectBySign(x, stacked, rows, inDim, result);
        context.Return(s);
        context.Return(stacked);
        return result;
    }
}
