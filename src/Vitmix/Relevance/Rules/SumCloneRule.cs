using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// Where one activation feeds two paths its relevance is the sum of what both paths give back, R_x = R₁ + R₂ (the
/// gradient of a copy is the sum of its uses' gradients, so gradient × input sums the same way; LXT leaves it to
/// autograd). Conservative.
/// </summary>
public sealed class SumCloneRule : ICloneRule
{
    /// <inheritdoc/>
    public Tensor Apply(RelevanceContext context, Tensor x, Tensor first, Tensor second)
    {
        context.Backend.Add(first, second, first);
        return first;
    }
}
