using System.Numerics.Tensors;

namespace Vitmix.Engine;

/// <summary>Numerically stable softmax over contiguous rows.</summary>
public static class Softmax
{
    public static void Rows(Span<float> x, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * cols, cols);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp(row, row);
            float sum = TensorPrimitives.Sum(row);
            TensorPrimitives.Divide(row, sum, row);
        }
    }

    /// <summary>Backward of a row softmax: dx = p ⊙ (dp - Σ p·dp), per row.</summary>
    public static void RowsBackward(ReadOnlySpan<float> p, ReadOnlySpan<float> dp, Span<float> dx, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var pr = p.Slice(r * cols, cols);
            var dpr = dp.Slice(r * cols, cols);
            float dot = TensorPrimitives.Dot(pr, dpr);
            var dxr = dx.Slice(r * cols, cols);
            TensorPrimitives.Subtract(dpr, dot, dxr);
            TensorPrimitives.Multiply(dxr, pr, dxr);
        }
    }
}
