using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// LRP-0 through the readout, as Chefer et al.'s reference treats index selection and the mean: a selected row
/// keeps x ⊙ (R ⊘ x) (R itself, but nothing where x is exactly 0), and a token of a mean over P tokens takes
/// (x_t / P) ⊙ (R ⊘ mean).
/// </summary>
public sealed class RatioPoolingRule : IPoolingRule
{
    /// <inheritdoc/>
    public Tensor Select(RelevanceContext context, Tensor selected, Tensor outputRelevance)
    {
        var result = context.Rent(selected.Shape);
        context.Backend.SafeDivide(outputRelevance, selected, result);
        context.Backend.Multiply(selected, result, result);
        return result;
    }

    /// <inheritdoc/>
    public Tensor Mean(RelevanceContext context, Tensor x, int batch, int tokens, int cols, int first, int count, Tensor mean, Tensor outputRelevance)
    {
        var ops = context.Backend;
        var s = context.Rent(batch, cols);
        ops.SafeDivide(outputRelevance, mean, s);
        ops.Scale(s, 1f / count, s);
        var result = context.Rent(batch, tokens, cols);
        ops.Clear(result);
        for (int i = 0; i < batch; i++)
        {
            long row = ((long)i * tokens + first) * cols;
            // every token row times the same per-sample factor row (leading dimension 0)
            ops.MultiplyStrided(count, cols, x, row, cols, s, (long)i * cols, 0, 1f, result, row, cols);
        }
        context.Return(s);
        return result;
    }
}
