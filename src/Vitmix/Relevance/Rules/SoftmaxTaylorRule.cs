using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// AttnLRP's rule for the softmax s = softmax(x) along rows (Achtibat et al. 2024, Prop. 3.1: the first-order Taylor
/// decomposition at x with the bias term left out; LXT's softmax_fn): R_x = x ⊙ (R_s − s · Σ_j R_s,j), row by row.
/// It equals gradient × input of the softmax for the "gradient" R_s ⊘ s, which is why LXT's efficient variant leaves
/// the softmax's backward as it is. Not conservative: Σ R_x = Σ x ⊙ R_s − (Σ x ⊙ s)·Σ R_s per row, and the part the
/// omitted bias term would hold is lost (or created); adding a constant to a row of x changes R_x.
/// </summary>
public sealed class SoftmaxTaylorRule : IElementwiseRule
{
    /// <inheritdoc/>
    public Tensor Apply(RelevanceContext context, Tensor x, Tensor y, Tensor outputRelevance)
    {
        var ops = context.Backend;
        int cols = x.Dim(-1), rows = checked((int)(x.Length / cols));
        var sums = context.Rent(rows);
        ops.RowSums(outputRelevance, rows, cols, sums);
        var result = context.Rent(x.Shape);
        ops.ScaleRows(y, sums, rows, cols, result);        // s · Σ_j R_j
        ops.Subtract(outputRelevance, result, result);     // R − s · Σ_j R_j
        ops.Multiply(x, result, result);
        context.Return(sums);
        return result;
    }
}
