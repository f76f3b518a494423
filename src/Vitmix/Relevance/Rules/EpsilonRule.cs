using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// LRP-ε (Bach et al. 2015, Eq. 58; AttnLRP's Eq. 8, LXT's linear_epsilon) for y = x·Wᵀ + b: with z = x·Wᵀ + b the
/// layer's whole output, R_x = x ⊙ ((R ⊘ (z + ε·sign z))·W). The bias is part of z, so it keeps its share b ⊙ R ⊘ z and
/// Σ R_x = Σ R only where the bias is zero; for ε → 0 this is gradient × input of the layer. Onto the pixels it is the
/// same rule (no input bounds, unlike z^B), so the relevance at the input is gradient × input there too.
/// </summary>
public sealed class EpsilonRule : ILinearRule, IInputRule
{
    /// <param name="epsilon">The stabiliser ε added with z's sign (LXT's default 1e-6).</param>
    public EpsilonRule(float epsilon = 1e-6f)
    {
        if (!(epsilon >= 0) || float.IsInfinity(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon {epsilon} must be finite and ≥ 0");
        Epsilon = epsilon;
    }

    /// <summary>The stabiliser ε.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    public Tensor Apply(RelevanceContext context, Tensor x, Tensor weight, Tensor? bias, Tensor outputRelevance, int rows, int inDim, int outDim)
    {
        var ops = context.Backend;
        // z is recomputed rather than kept by the forward pass: a linear layer records its input only, and the GEMM
        // costs what a forward did.
        var s = context.Rent(rows, outDim);
        ops.Linear(x, weight, bias, s, rows, inDim, outDim);
        ops.EpsilonDivide(outputRelevance, s, Epsilon, s);
        var result = context.Rent(rows, inDim);
        ops.MatMul(false, false, rows, inDim, outDim, 1f, s, 0, outDim, weight, 0, inDim, 0f, result, 0, inDim);
        ops.Multiply(x, result, result);
        context.Return(s);
        return result;
    }

    /// <inheritdoc/>
    public Tensor Apply(RelevanceContext context, Tensor x, Tensor weight, Tensor? bias, Tensor outputRelevance, int rows, int inDim, int outDim, Tensor images) =>
        Apply(context, x, weight, bias, outputRelevance, rows, inDim, outDim);
}
