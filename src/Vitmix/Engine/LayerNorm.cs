using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Vitmix.Engine;

/// <summary>Layer normalisation over the last dimension (biased variance, as torch.nn.LayerNorm).</summary>
public static unsafe class LayerNorm
{
    /// <summary>
    /// y = (x - mean) · rstd · weight + bias per row. When <paramref name="mean"/> and <paramref name="rstd"/>
    /// are non-empty they receive the per-row statistics a backward pass needs. Many rows use both threads.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, int rows, int dim, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, float eps, Span<float> y, Span<float> mean = default, Span<float> rstd = default)
    {
        Check(x.Length, rows, dim, nameof(x));
        Check(y.Length, rows, dim, nameof(y));
        if (weight.Length < dim || bias.Length < dim)
            throw new ArgumentException($"LayerNorm weight/bias have {weight.Length}/{bias.Length} elements, dim is {dim}");
        if (!mean.IsEmpty && mean.Length < rows || !rstd.IsEmpty && rstd.Length < rows)
            throw new ArgumentException($"mean/rstd have {mean.Length}/{rstd.Length} elements for {rows} rows");
        fixed (float* px = x, pw = weight, pb = bias, py = y, pm = mean, pr = rstd)
        {
            var args = new RangeArgs { P0 = px, P1 = pw, P2 = pb, P3 = py, P4 = pm, P5 = pr, Dim = dim, S0 = eps };
            TeamFor.Run(&ForwardRange, args, rows, (long)rows * dim);
        }
    }

    static void ForwardRange(in RangeArgs a, int start, int end)
    {
        int dim = a.Dim;
        var w = new ReadOnlySpan<float>(a.P1, dim);
        var b = new ReadOnlySpan<float>(a.P2, dim);
        for (int r = start; r < end; r++)
        {
            var xr = new ReadOnlySpan<float>(a.P0 + (long)r * dim, dim);
            var yr = new Span<float>(a.P3 + (long)r * dim, dim);
            float mu = TensorPrimitives.Sum(xr) / dim;
            TensorPrimitives.Subtract(xr, mu, yr);
            float variance = TensorPrimitives.SumOfSquares(yr) / dim;
            float rs = 1f / MathF.Sqrt(variance + a.S0);
            TensorPrimitives.Multiply(yr, rs, yr);
            TensorPrimitives.FusedMultiplyAdd(yr, w, b, yr);
            if (a.P4 != null) a.P4[r] = mu;
            if (a.P5 != null) a.P5[r] = rs;
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: dx from dy, with xhat = (x-mean)·rstd recomputed from x.
    /// Accumulates weight/bias gradients when those spans are non-empty. Allocation-free.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, int dim,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx,
        Span<float> dWeight = default, Span<float> dBias = default)
    {
        Check(x.Length, rows, dim, nameof(x));
        Check(dy.Length, rows, dim, nameof(dy));
        Check(dx.Length, rows, dim, nameof(dx));
        if (weight.Length < dim || mean.Length < rows || rstd.Length < rows)
            throw new ArgumentException($"weight/mean/rstd have {weight.Length}/{mean.Length}/{rstd.Length} elements for {rows} rows of {dim}");
        if (!dWeight.IsEmpty && dWeight.Length < dim || !dBias.IsEmpty && dBias.Length < dim)
            throw new ArgumentException($"dWeight/dBias have {dWeight.Length}/{dBias.Length} elements, dim is {dim}");
        fixed (float* px = x, pdy = dy, pw = weight, pm = mean, pr = rstd, pdx = dx, pdw = dWeight, pdb = dBias)
        {
            var args = new RangeArgs { P0 = px, P1 = pdy, P2 = pw, P3 = pm, P4 = pr, P5 = pdx, Dim = dim };
            // Parameter gradients sum over rows: that part runs on one thread, in row order.
            if (pdw == null && pdb == null) TeamFor.Run(&BackwardRange, args, rows, (long)rows * dim);
            else
            {
                BackwardRange(in args, 0, rows);
                for (int r = 0; r < rows; r++) AccumulateParameterGradients(args, r, pdw, pdb);
            }
        }
    }

    static void BackwardRange(in RangeArgs a, int start, int end)
    {
        int dim = a.Dim;
        float* w = a.P2;
        for (int r = start; r < end; r++)
        {
            float* x = a.P0 + (long)r * dim, dy = a.P1 + (long)r * dim, dx = a.P5 + (long)r * dim;
            float mu = a.P3[r], rs = a.P4[r];
            // g = dy·w; dx = rstd · (g - mean(g) - xhat · mean(g·xhat))
            var sg = Vector256<float>.Zero; var sgx = Vector256<float>.Zero;
            var vmu = Vector256.Create(mu); var vrs = Vector256.Create(rs);
            int i = 0;
            for (; i + 8 <= dim; i += 8)
            {
                var g = Vector256.Load(dy + i) * Vector256.Load(w + i);
                var xhat = (Vector256.Load(x + i) - vmu) * vrs;
                sg += g;
                sgx = Vector256.FusedMultiplyAdd(g, xhat, sgx);
            }
            float sumG = Vector256.Sum(sg), sumGx = Vector256.Sum(sgx);
            for (int t = i; t < dim; t++)
            {
                float g = dy[t] * w[t];
                sumG += g;
                sumGx += g * ((x[t] - mu) * rs);
            }
            float meanG = sumG / dim, meanGx = sumGx / dim;
            var vmg = Vector256.Create(meanG); var vmgx = Vector256.Create(meanGx);
            for (i = 0; i + 8 <= dim; i += 8)
            {
                var g = Vector256.Load(dy + i) * Vector256.Load(w + i);
                var xhat = (Vector256.Load(x + i) - vmu) * vrs;
                Vector256.Store(vrs * (g - vmg - xhat * vmgx), dx + i);
            }
            for (; i < dim; i++)
            {
                float xhat = (x[i] - mu) * rs;
                dx[i] = rs * (dy[i] * w[i] - meanG - xhat * meanGx);
            }
        }
    }

    static void AccumulateParameterGradients(in RangeArgs a, int r, float* dWeight, float* dBias)
    {
        int dim = a.Dim;
        float* x = a.P0 + (long)r * dim, dy = a.P1 + (long)r * dim;
        float mu = a.P3[r], rs = a.P4[r];
        for (int i = 0; i < dim; i++)
        {
            if (dWeight != null) dWeight[i] += dy[i] * ((x[i] - mu) * rs);
            if (dBias != null) dBias[i] += dy[i];
        }
    }

    static void Check(int length, int rows, int dim, string name)
    {
        if (rows < 0 || dim <= 0) throw new ArgumentException($"LayerNorm over {rows} rows of dim {dim}");
        if (length < (long)rows * dim) throw new ArgumentException($"{name} has {length} elements, {rows}x{dim} needs {(long)rows * dim}", name);
    }
}
