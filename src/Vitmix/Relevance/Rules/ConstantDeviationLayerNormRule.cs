using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// LayerNorm with its standard deviation held constant (Ali et al. 2022's LN rule for CP-LRP; AttnLRP's identity rule
/// on the division, Prop. 3.4, with the ε-rule on the centring and the affine shift; LXT's layer_norm detaches std for
/// the same result). With σ a constant, y = (x − mean x)·(w / σ) + b is linear in x, and LRP-ε of that map is
/// S = R ⊘ (y + ε·sign y), R_x = x ⊙ ((w ⊙ S − mean(w ⊙ S)) / σ) per row: the centring's transpose subtracts the row
/// mean. The bias b keeps its share, so Σ R_x = Σ R only where b = 0; for ε → 0 it is gradient × input with σ
/// detached.
/// </summary>
public sealed class ConstantDeviationLayerNormRule : INormalizationRule
{
    /// <param name="epsilon">The stabiliser ε of the division by y.</param>
    public ConstantDeviationLayerNormRule(float epsilon = 1e-6f)
    {
        if (!(epsilon >= 0) || float.IsInfinity(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon {epsilon} must be finite and ≥ 0");
        Epsilon = epsilon;
    }

    /// <summary>The stabiliser ε.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    public Tensor Apply(RelevanceContext context, Tensor x, Tensor y, Tensor weight, Tensor rstd, Tensor outputRelevance, int rows, int dim)
    {
        var ops = context.Backend;
        var result = context.Rent(x.Shape);
        ops.EpsilonDivide(outputRelevance, y, Epsilon, result);
        ops.MultiplyColumns(result, weight, result, rows, dim);
        ops.CenterRows(result, rows, dim, result);
        ops.ScaleRows(result, rstd, rows, dim, result);
        ops.Multiply(x, result, result);
        return result;
    }
}
