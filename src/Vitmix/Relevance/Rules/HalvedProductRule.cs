using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// Gradient times input on a product of two activations, out = X·op(Y), each factor taking half (Chefer et al. 2021,
/// attention's matmul relprop followed by the halving of both results): S = R ⊘ out (stabilised),
/// R_X = X ⊙ (S·op(Y)ᵀ) / 2, R_Y = Y ⊙ op⁻¹(Xᵀ·S) / 2. Without the halving the two factors would each claim the
/// whole of R.
/// </summary>
public sealed class HalvedProductRule : IProductRule
{
    /// <inheritdoc/>
    public void Apply(RelevanceContext context, in HeadProduct p)
    {
        var ops = context.Backend;
        int b = p.Batch, h = p.Heads, m = p.M, k = p.K, n = p.N;
        var r = p.OutputRelevance;
        // S = R ⊘ out, in the relevance's layout (the output is recomputed when the pass did not keep it).
        var s = context.Rent(r.Tensor.Shape);
        if (p.Output is { } output) ops.SafeDivide(r.Tensor, output.Tensor, s);
        else
        {
            var sView = r with { Tensor = s };
            ops.MatMulPerHead(b, h, false, p.TransposeY, m, n, k, 1f, p.X, p.Y, 0f, sView);
            ops.SafeDivide(r.Tensor, s, s);
        }
        var sv = r with { Tensor = s };

        // X's half: X ⊙ (S·op(Y)ᵀ) / 2, with the gradient in a compact (B, H, m, k) scratch.
        var g = context.Rent(b, h, m, Math.Max(k, n));
        var gx = new HeadView(g, 0, (long)h * m * k, (long)m * k, k);
        ops.MatMulPerHead(b, h, false, !p.TransposeY, m, k, n, 1f, sv, p.Y, 0f, gx);
        Halve(ops, b, h, m, k, p.X, gx, p.XRelevance);

        // Y's half: Y ⊙ (Xᵀ·S) / 2, or with Yᵀ in the product, Y ⊙ (Sᵀ·X) / 2.
        if (p.TransposeY)
        {
            var gy = new HeadView(g, 0, (long)h * n * k, (long)n * k, k);
            ops.MatMulPerHead(b, h, true, false, n, k, m, 1f, sv, p.X, 0f, gy);
            Halve(ops, b, h, n, k, p.Y, gy, p.YRelevance);
        }
        else
        {
            var gy = new HeadView(g, 0, (long)h * k * n, (long)k * n, n);
            ops.MatMulPerHead(b, h, true, false, k, n, m, 1f, p.X, sv, 0f, gy);
            Halve(ops, b, h, k, n, p.Y, gy, p.YRelevance);
        }
        context.Return(g);
        context.Return(s);
    }

    static void Halve(ComputeBackend ops, int batch, int heads, int rows, int cols, HeadView factor, HeadView gradient, HeadView result)
    {
        for (int i = 0; i < batch; i++)
            for (int head = 0; head < heads; head++)
                ops.MultiplyStrided(rows, cols, factor.Tensor, factor.At(i, head), factor.RowStride, gradient.Tensor, gradient.At(i, head),
                    gradient.RowStride, 0.5f, result.Tensor, result.At(i, head), result.RowStride);
    }
}
