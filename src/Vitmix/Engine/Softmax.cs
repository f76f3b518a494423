using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Vitmix.Engine;

/// <summary>Numerically stable softmax over contiguous rows.</summary>
public static unsafe class Softmax
{
    /// <summary>In place: each row becomes exp(x - max) / Σ exp(x - max). Many rows use both threads.</summary>
    public static void Rows(Span<float> x, int rows, int cols)
    {
        CheckLength(x.Length, rows, cols, nameof(x));
        fixed (float* px = x)
        {
            var args = new RangeArgs { P0 = px, Dim = cols };
            TeamFor.Run(&RowsRange, args, rows, (long)rows * cols);
        }
    }

    /// <summary>Backward of a row softmax: dx = p ⊙ (dp - Σ p·dp), per row; dx may alias dp.</summary>
    public static void RowsBackward(ReadOnlySpan<float> p, ReadOnlySpan<float> dp, Span<float> dx, int rows, int cols)
    {
        CheckLength(p.Length, rows, cols, nameof(p));
        CheckLength(dp.Length, rows, cols, nameof(dp));
        CheckLength(dx.Length, rows, cols, nameof(dx));
        fixed (float* pp = p, pdp = dp, pdx = dx)
        {
            var args = new RangeArgs { P0 = pp, P1 = pdp, P2 = pdx, Dim = cols };
            TeamFor.Run(&BackwardRange, args, rows, (long)rows * cols);
        }
    }

    /// <summary>One row in place, on the calling thread (attention runs this per head inside its own parallel loop).</summary>
    internal static void Row(float* row, int cols)
    {
        var span = new Span<float>(row, cols);
        float max = TensorPrimitives.Max(span);
        // One pass computes e = exp(x - max) and Σ e while the row is in L1.
        var vmax = Vector256.Create(max);
        var vsum = Vector256<float>.Zero;
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; j + 8 <= cols; j += 8)
            {
                var e = Vector256.Exp(Vector256.Load(row + j) - vmax);
                vsum += e;
                Vector256.Store(e, row + j);
            }
        float sum = Vector256.Sum(vsum);
        for (; j < cols; j++)
        {
            float e = MathF.Exp(row[j] - max);
            row[j] = e;
            sum += e;
        }
        TensorPrimitives.Divide(span, sum, span);
    }

    /// <summary>Backward of a row softmax on the calling thread (attention runs this per head in its own parallel loop).</summary>
    internal static void RowsBackwardSerial(float* p, float* dp, float* dx, int rows, int cols)
    {
        var args = new RangeArgs { P0 = p, P1 = dp, P2 = dx, Dim = cols };
        BackwardRange(in args, 0, rows);
    }

    static void RowsRange(in RangeArgs a, int start, int end)
    {
        for (int r = start; r < end; r++) Row(a.P0 + (long)r * a.Dim, a.Dim);
    }

    static void BackwardRange(in RangeArgs a, int start, int end)
    {
        int cols = a.Dim;
        for (int r = start; r < end; r++)
        {
            var pr = new ReadOnlySpan<float>(a.P0 + (long)r * cols, cols);
            var dpr = new ReadOnlySpan<float>(a.P1 + (long)r * cols, cols);
            var dxr = new Span<float>(a.P2 + (long)r * cols, cols);
            float dot = TensorPrimitives.Dot(pr, dpr);
            TensorPrimitives.Subtract(dpr, dot, dxr);
            TensorPrimitives.Multiply(dxr, pr, dxr);
        }
    }

    static void CheckLength(int length, int rows, int cols, string name)
    {
        if (rows < 0 || cols <= 0 && rows > 0) throw new ArgumentException($"softmax over {rows} rows of {cols} columns");
        if (length < (long)rows * cols) throw new ArgumentException($"{name} has {length} elements, {rows}x{cols} needs {(long)rows * cols}", name);
    }
}
