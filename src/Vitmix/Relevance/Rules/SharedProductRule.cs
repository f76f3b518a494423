using Vitmix.Engine;
using Vitmix.Layers;

namespace Vitmix.Relevance.Rules;

/// <summary>
/// Gradient times input on a product of two activations, out = X·op(Y), each factor taking a fixed share:
/// S = R ⊘ out (stabilised), R_X = a · X ⊙ (S·op(Y)ᵀ), R_Y = b · Y ⊙ op⁻¹(Xᵀ·S). Each factor alone would claim the
/// whole of R (the product is linear in either one), so the shares say how it is split:
/// <list type="bullet">
/// <item>a = b = ½ (<see cref="Halved"/>): Chefer et al. 2021's halving of attention's matmul relprop, and AttnLRP's
/// uniform rule for bilinear products (Achtibat et al. 2024, Prop. 3.3: the ε-rule over the sum, then half of each
/// term to each factor; LXT's matmul_fn divides by 2·out for the same result);</item>
/// <item>a = 0, b = 1 (<see cref="SecondFactorOnly"/>): X held constant, out = X·op(Y) a linear map of Y (CP-LRP's
/// A·v with the attention probabilities detached, Ali et al. 2022);</item>
/// <item>a = b = 0 (<see cref="Detached"/>): both factors constant, no relevance passes (CP-LRP's q·kᵀ).</item>
/// </list>
/// A factor whose share is 0 gets zeros and costs no product.
/// </summary>
public sealed class SharedProductRule : IProductRule
{
    /// <param name="xShare">The share a of the first factor.</param>
    /// <param name="yShare">The share b of the second factor.</param>
    public SharedProductRule(float xShare, float yShare)
    {
        if (!float.IsFinite(xShare) || !float.IsFinite(yShare)) throw new ArgumentException($"shares {xShare}, {yShare} must be finite");
        (XShare, YShare) = (xShare, yShare);
    }

    /// <summary>Half to each factor (Chefer et al.'s halving; AttnLRP's uniform rule).</summary>
    public static SharedProductRule Halved { get; } = new(0.5f, 0.5f);

    /// <summary>Everything to the second factor, the first one held constant (CP-LRP's A·v).</summary>
    public static SharedProductRule SecondFactorOnly { get; } = new(0f, 1f);

    /// <summary>Nothing to either factor, both held constant (CP-LRP's q·kᵀ).</summary>
    public static SharedProductRule Detached { get; } = new(0f, 0f);

    /// <summary>The share of the first factor.</summary>
    public float XShare { get; }

    /// <summary>The share of the second factor.</summary>
    public float YShare { get; }

    /// <inheritdoc/>
    public void Apply(RelevanceContext context, in HeadProduct p)
    {
        var ops = context.Backend;
        int b = p.Batch, h = p.Heads, m = p.M, k = p.K, n = p.N;
        if (XShare == 0f) Clear(ops, b, h, m, k, p.XRelevance);
        if (YShare == 0f)
        {
            if (p.TransposeY) Clear(ops, b, h, n, k, p.YRelevance);
            else Clear(ops, b, h, k, n, p.YRelevance);
        }
        if (XShare == 0f && YShare == 0f) return;

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

        if (XShare != 0f)
        {
            // X's share: a · X ⊙ (S·op(Y)ᵀ), the gradient laid out like X so that one strided pass covers every head.
            var gxTensor = context.Rent(p.X.Tensor.Shape);
            var gx = p.X with { Tensor = gxTensor };
            ops.MatMulPerHead(b, h, false, !p.TransposeY, m, k, n, 1f, sv, p.Y, 0f, gx);
            Share(ops, b, h, m, k, p.X, gx, XShare, p.XRelevance);
            context.Return(gxTensor);
        }

        if (YShare != 0f)
        {
            // Y's share: b · Y ⊙ (Xᵀ·S), or with Yᵀ in the product, b · Y ⊙ (Sᵀ·X).
            var gyTensor = context.Rent(p.Y.Tensor.Shape);
            var gy = p.Y with { Tensor = gyTensor };
            if (p.TransposeY)
            {
                ops.MatMulPerHead(b, h, true, false, n, k, m, 1f, sv, p.X, 0f, gy);
                Share(ops, b, h, n, k, p.Y, gy, YShare, p.YRelevance);
            }
            else
            {
                ops.MatMulPerHead(b, h, true, false, k, n, m, 1f, p.X, sv, 0f, gy);
                Share(ops, b, h, k, n, p.Y, gy, YShare, p.YRelevance);
            }
            context.Return(gyTensor);
        }
        context.Return(s);
    }

    static void Clear(ComputeBackend ops, int batch, int heads, int rows, int cols, HeadView result)
    {
        if (Flatten(result, batch, heads, rows, cols) is { } g)
        {
            ops.ClearStrided(g.Rows, g.Cols, result.Tensor, g.Offset, g.Ld);
            return;
        }
        for (int i = 0; i < batch; i++)
            for (int head = 0; head < heads; head++)
                ops.ClearStrided(rows, cols, result.Tensor, result.At(i, head), result.RowStride);
    }

    static void Share(ComputeBackend ops, int batch, int heads, int rows, int cols, HeadView factor, HeadView gradient, float share, HeadView result)
    {
        // Views of one layout over a regular grid (heads side by side in a row, as q, k and v in qkv; or stacked, as
        // the (B, H, N, N) probabilities) are one strided pass; anything else goes head by head.
        if (Flatten(factor, batch, heads, rows, cols) is { } f && Flatten(gradient, batch, heads, rows, cols) == f with { Offset = gradient.Offset }
            && Flatten(result, batch, heads, rows, cols) == f with { Offset = result.Offset })
        {
            ops.MultiplyStrided(f.Rows, f.Cols, factor.Tensor, factor.Offset, f.Ld, gradient.Tensor, gradient.Offset, f.Ld, share,
                result.Tensor, result.Offset, f.Ld);
            return;
        }
        for (int i = 0; i < batch; i++)
            for (int head = 0; head < heads; head++)
                ops.MultiplyStrided(rows, cols, factor.Tensor, factor.At(i, head), factor.RowStride, gradient.Tensor, gradient.At(i, head),
                    gradient.RowStride, share, result.Tensor, result.At(i, head), result.RowStride);
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
