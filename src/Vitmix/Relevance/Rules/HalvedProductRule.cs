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

        // X's half: X ⊙ (S·op(Y)ᵀ) / 2, the gradient laid out like X so that one strided pass covers every head.
        var gxTensor = context.Rent(p.X.Tensor.Shape);
        var gx = p.X with { Tensor = gxTensor };
        ops.MatMulPerHead(b, h, false, !p.TransposeY, m, k, n, 1f, sv, p.Y, 0f, gx);
        Halve(ops, b, h, m, k, p.X, gx, p.XRelevance);
        context.Return(gxTensor);

        // Y's half: Y ⊙ (Xᵀ·S) / 2, or with Yᵀ in the product, Y ⊙ (Sᵀ·X) / 2.
        var gyTensor = context.Rent(p.Y.Tensor.Shape);
        var gy = p.Y with { Tensor = gyTensor };
        if (p.TransposeY)
        {
            ops.MatMulPerHead(b, h, true, false, n, k, m, 1f, sv, p.X, 0f, gy);
            Halve(ops, b, h, n, k, p.Y, gy, p.YRelevance);
        }
        else
        {
            ops.MatMulPerHead(b, h, true, false, k, n, m, 1f, p.X, sv, 0f, gy);
            Halve(ops, b, h, k, n, p.Y, gy, p.YRelevance);
        }
        context.Return(gyTensor);
        context.Return(s);
    }

    static void Halve(ComputeBackend ops, int batch, int heads, int rows, int cols, HeadView factor, HeadView gradient, HeadView result)
    {
        // Views of one layout over a regular grid (heads side by side in a row, as q, k and v in qkv; or stacked, as
        // the (B, H, N, N) probabilities) are one strided pass; anything else goes head by head.
        if (Flatten(factor, batch, heads, rows, cols) is { } f && Flatten(gradient, batch, heads, rows, cols) == f with { Offset = gradient.Offset }
            && Flatten(result, batch, heads, rows, cols) == f with { Offset = result.Offset })
        {
            ops.MultiplyStrided(f.Rows, f.Cols, factor.Tensor, factor.Offset, f.Ld, gradient.Tensor, gradient.Offset, f.Ld, 0.5f,
                result.Tensor, result.Offset, f.Ld);
            return;
        }
        for (int i = 0; i < batch; i++)
            for (int head = 0; head < heads; head++)
                ops.MultiplyStrided(rows, cols, factor.Tensor, factor.At(i, head), factor.RowStride, gradient.Tensor, gradient.At(i, head),
                    gradient.RowStride, 0.5f, result.Tensor, result.At(i, head), result.RowStride);
    }

    readonly record struct Grid(long Offset, int Rows, int Cols, int Ld);

    /// <summary>The views of every (sample, head) as one matrix of rows × cols with leading dimension Ld, if they form one.</summary>
    static Grid? Flatten(HeadView v, int batch, int heads, int rows, int cols)
    {
        // heads side by side within each row, rows of consecutive samples evenly spaced
        if (v.HeadStride == cols && (long)heads * cols <= v.RowStride && v.SampleStride == (long)rows * v.RowStride)
            return new Grid(v.Offset, batch * rows, heads * cols, v.RowStride);
        // every head's matrix below the previous one's, samples likewise
        if (v.RowStride >= cols && v.HeadStride == (long)rows * v.RowStride && v.SampleStride == heads * v.HeadStride)
            return new Grid(v.Offset, batch * heads * rows, cols, v.RowStride);
        return null;
    }
}
