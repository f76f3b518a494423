using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// LRP-ε for an addition z = a + b (AttnLRP's Eq. 8 on a residual connection, LXT's add2): S = R ⊘ (z + ε·sign z),
/// R_a = a ⊙ S, R_b = b ⊙ S. Conservative up to ε: R_a + R_b = R ⊙ z ⊘ (z + ε·sign z). Where b is a parameter (the
/// position embedding) its share leaves the pass there.
/// </summary>
public sealed class EpsilonAdditionRule : IAdditionRule
{
    /// <param name="epsilon">The stabiliser ε.</param>
    public EpsilonAdditionRule(float epsilon = 1e-6f)
    {
        if (!(epsilon >= 0) || float.IsInfinity(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon {epsilon} must be finite and ≥ 0");
        Epsilon = epsilon;
    }

    /// <summary>The stabiliser ε.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    public (Tensor A, Tensor B) Apply(RelevanceContext context, Tensor a, Tensor b, Tensor outputRelevance)
    {
        var ops = context.Backend;
        var ra = context.Rent(a.Shape);
        var rb = context.Rent(b.Shape);
        ops.Add(a, b, rb);
        ops.EpsilonDivide(outputRelevance, rb, Epsilon, rb);
        ops.Multiply(a, rb, ra);
        ops.Multiply(b, rb, rb);
        return (ra, rb);
    }
}
