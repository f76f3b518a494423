using System.Numerics.Tensors;

namespace Vitmix.Engine;

/// <summary>Layer normalisation over the last dimension (biased variance, as torch.nn.LayerNorm).</summary>
public static class LayerNorm
{
    /// <summary>
    /// y = (x - mean) · rstd · weight + bias per row. When <paramref name="mean"/> and <paramref name="rstd"/>
    /// are non-empty they receive the per-row statistics a backward pass needs.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, int rows, int dim, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, float eps, Span<float> y, Span<float> mean = default, Span<float> rstd = default)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            float mu = TensorPrimitives.Sum(xr) / dim;
            TensorPrimitives.Subtract(xr, mu, yr);
            float variance = TensorPrimitives.SumOfSquares(yr) / dim;
            float rs = 1f / MathF.Sqrt(variance + eps);
            TensorPrimitives.Multiply(yr, rs, yr);
            TensorPrimitives.FusedMultiplyAdd(yr, weight, bias, yr);
            if (!mean.IsEmpty) mean[r] = mu;
            if (!rstd.IsEmpty) rstd[r] = rs;
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: dx from dy, given the normalised input xhat = (x-mean)·rstd
    /// recovered from x. Accumulates weight/bias gradients when those spans are non-empty.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, int dim,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx,
        Span<float> dWeight = default, Span<float> dBias = default)
    {
        float[] xhat = new float[dim];
        float[] g = new float[dim];
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var dyr = dy.Slice(r * dim, dim);
            TensorPrimitives.Subtract(xr, mean[r], xhat);
            TensorPrimitives.Multiply(xhat, rstd[r], xhat);
            if (!dWeight.IsEmpty) TensorPrimitives.FusedMultiplyAdd(dyr, xhat, dWeight, dWeight);
            if (!dBias.IsEmpty) TensorPrimitives.Add(dBias, dyr, dBias);
            TensorPrimitives.Multiply(dyr, weight, g);
            float meanG = TensorPrimitives.Sum(g) / dim;
            float meanGx = TensorPrimitives.Dot(g, xhat) / dim;
            var dxr = dx.Slice(r * dim, dim);
            // dx = rstd · (g - mean(g) - xhat · mean(g·xhat))
            for (int i = 0; i < dim; i++) dxr[i] = rstd[r] * (g[i] - meanG - xhat[i] * meanGx);
        }
    }
}
