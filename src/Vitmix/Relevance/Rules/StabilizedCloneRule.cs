using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// Chefer et al.'s rule where one activation x feeds two paths: R_x = x ⊙ (R₁ ⊘ x + R₂ ⊘ x) with the stabilised
/// division (so an exactly zero x takes no relevance; otherwise it is R₁ + R₂ up to the 1e-9 shift).
/// </summary>
public sealed class StabilizedCloneRule : ICloneRule
{
    /// <inheritdoc/>
    public Tensor Apply(RelevanceContext context, Tensor x, Tensor first, Tensor second)
    {
        var ops = context.Backend;
        ops.SafeDivide(first, x, first);
        ops.SafeDivide(second, x, second);
        ops.Add(first, second, first);
        ops.Multiply(x, first, first);
        return first;
    }
}
