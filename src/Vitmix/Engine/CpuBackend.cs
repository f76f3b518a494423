using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Vitmix.Engine;

/// <summary>
/// The managed CPU implementation of <see cref="ComputeBackend"/>: the packed SGEMM (<see cref="Gemm"/>), the fused
/// attention kernels, LayerNorm, GELU, im2col and TensorPrimitives, with the worker team for the large operations.
/// </summary>
internal sealed unsafe class CpuBackend : ComputeBackend
{
    public static readonly CpuBackend Instance = new();

    CpuBackend() { }

    static Span<float> S(Tensor t, long offset, long count) => t.Data.AsSpan(checked((int)offset), checked((int)count));
    static Span<float> S(Tensor t) => t.Data;

    // ---- Linear algebra ----

    public override void MatMul(bool transA, bool transB, int m, int n, int k, float alpha,
        Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb, float beta, Tensor c, long cOffset, int ldc)
        => Gemm.Multiply(transA, transB, m, n, k, alpha, a.Data.AsSpan(checked((int)aOffset)), lda,
            b.Data.AsSpan(checked((int)bOffset)), ldb, beta, c.Data.AsSpan(checked((int)cOffset)), ldc);

    public override void MatMulPerHead(int batch, int heads, bool transA, bool transB, int m, int n, int k, float alpha,
        HeadView a, HeadView b, float beta, HeadView c)
        => Gemm.MultiplyPerHead(batch, heads, transA, transB, m, n, k, alpha,
            a.Tensor.Data, a.Offset, a.RowStride, a.SampleStride, a.HeadStride,
            b.Tensor.Data, b.Offset, b.RowStride, b.SampleStride, b.HeadStride,
            beta, c.Tensor.Data, c.Offset, c.RowStride, c.SampleStride, c.HeadStride);

    public override void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y, int rows, int inDim, int outDim)
        => Gemm.Linear(x.Data, weight.Data, bias == null ? default : bias.Data, y.Data, rows, inDim, outDim);

    public override void LinearBackward(Tensor dy, Tensor x, Tensor weight, Tensor dx, int rows, int inDim, int outDim,
        Tensor? dWeight, Tensor? dBias)
    {
        Gemm.Multiply(false, false, rows, inDim, outDim, 1f, dy.Data, outDim, weight.Data, inDim, 0f, dx.Data, inDim);
        if (dWeight != null) Gemm.Multiply(true, false, outDim, inDim, rows, 1f, dy.Data, outDim, x.Data, inDim, 1f, dWeight.Data, inDim);
        if (dBias != null) AccumulateRows(dy, 0, rows, outDim, dBias);
    }

    // ---- Layer kernels ----

    public override void LayerNorm(Tensor x, Tensor weight, Tensor bias, float eps, int rows, int dim, Tensor y, Tensor? mean, Tensor? rstd)
        => Engine.LayerNorm.Forward(x.Data, rows, dim, weight.Data, bias.Data, eps, y.Data,
            mean == null ? default : mean.Data, rstd == null ? default : rstd.Data);

    public override void LayerNormBackward(Tensor x, Tensor dy, Tensor weight, Tensor mean, Tensor rstd, int rows, int dim,
        Tensor dx, Tensor? dWeight, Tensor? dBias)
        => Engine.LayerNorm.Backward(x.Data, dy.Data, rows, dim, weight.Data, mean.Data, rstd.Data, dx.Data,
            dWeight == null ? default : dWeight.Data, dBias == null ? default : dBias.Data);

    public override void Gelu(Tensor x, Tensor y) => Engine.Gelu.Forward(x.Data, y.Data);

    public override void GeluBackward(Tensor x, Tensor dy, Tensor dx) => Engine.Gelu.Backward(x.Data, dy.Data, dx.Data);

    public override void Attention(Tensor qkv, Tensor? probabilities, Tensor context, int batch, int tokens, int heads, int headDim)
    {
        CheckAttention(qkv, context, batch, tokens, heads, headDim);
        if (probabilities != null) RequireLength(probabilities, (long)batch * heads * tokens * tokens, "attention probabilities");
        AttentionKernels.Forward(qkv.Data, probabilities?.Data, context.Data, batch, tokens, heads, headDim);
    }

    public override void Attention(Tensor qkv, Tensor? probabilities, Tensor context, int batch, int tokens, int heads, int headDim,
        Tensor logitBias, long biasSampleStride)
    {
        CheckAttention(qkv, context, batch, tokens, heads, headDim);
        if (probabilities != null) RequireLength(probabilities, (long)batch * heads * tokens * tokens, "attention probabilities");
        if (biasSampleStride < 0) throw new ArgumentException($"logit bias sample stride {biasSampleStride} is negative");
        RequireLength(logitBias, (batch - 1) * biasSampleStride + (long)heads * tokens * tokens, "attention logit bias");
        AttentionKernels.Forward(qkv.Data, probabilities?.Data, context.Data, batch, tokens, heads, headDim, logitBias.Data, biasSampleStride);
    }

    public override void AttentionPacked(Tensor qkv, Tensor context, int[] offsets, int heads, int headDim)
    {
        if (offsets.Length < 2 || offsets[0] != 0) throw new ArgumentException("packed sequences need offsets from 0, one more than the sequences");
        for (int i = 1; i < offsets.Length; i++)
            if (offsets[i] <= offsets[i - 1]) throw new ArgumentException($"packed sequence {i - 1} is empty or out of order");
        CheckAttention(qkv, context, 1, offsets[^1], heads, headDim);
        AttentionKernels.ForwardPacked(qkv.Data, context.Data, offsets, heads, headDim);
    }

    public override void AttentionLeadingRows(Tensor qkv, Tensor context, int batch, int tokens, int[]? offsets, int heads, int headDim, int rows,
        Tensor? logitBias = null, long biasSampleStride = 0)
    {
        if (rows <= 0) throw new ArgumentException($"{rows} leading rows");
        int sequences = batch, shortest = tokens;
        if (offsets != null)
        {
            if (offsets.Length < 2 || offsets[0] != 0) throw new ArgumentException("packed sequences need offsets from 0, one more than the sequences");
            if (logitBias != null) throw new ArgumentException("a logit bias needs a batch of equal sequences, not packed ones");
            sequences = offsets.Length - 1;
            shortest = int.MaxValue;
            for (int i = 1; i < offsets.Length; i++) shortest = Math.Min(shortest, offsets[i] - offsets[i - 1]);
            RequireLength(qkv, (long)offsets[^1] * 3 * heads * headDim, "qkv");
        }
        else RequireLength(qkv, (long)batch * tokens * 3 * heads * headDim, "qkv");
        if (shortest < rows) throw new ArgumentException($"a sequence of {shortest} tokens has fewer than the {rows} leading rows asked for");
        RequireLength(context, (long)sequences * rows * heads * headDim, "attention context");
        if (logitBias != null)
        {
            if (biasSampleStride < 0) throw new ArgumentException($"logit bias sample stride {biasSampleStride} is negative");
            RequireLength(logitBias, (batch - 1) * biasSampleStride + (long)heads * tokens * tokens, "attention logit bias");
        }
        AttentionKernels.ForwardLeadingRows(qkv.Data, context.Data, batch, tokens, offsets, heads, headDim, rows, logitBias?.Data, biasSampleStride);
    }

    public override void AttentionBackward(Tensor qkv, Tensor probabilities, Tensor dContext, Tensor dQkv, Tensor? dProbabilities,
        int batch, int tokens, int heads, int headDim)
    {
        CheckAttention(qkv, dContext, batch, tokens, heads, headDim);
        long nn = (long)batch * heads * tokens * tokens;
        RequireLength(probabilities, nn, "attention probabilities");
        RequireLength(dQkv, qkv.Length, "dQkv");
        if (dProbabilities != null) RequireLength(dProbabilities, nn, "attention gradients");
        AttentionKernels.Backward(qkv.Data, probabilities.Data, dContext.Data, dQkv.Data, dProbabilities?.Data, batch, tokens, heads, headDim);
    }

    static void CheckAttention(Tensor qkv, Tensor context, int batch, int tokens, int heads, int headDim)
    {
        long rows = (long)batch * tokens, d = (long)heads * headDim;
        RequireLength(qkv, rows * 3 * d, "qkv");
        RequireLength(context, rows * d, "attention context");
    }

    static void RequireLength(Tensor t, long length, string what)
    {
        if (t.Length < length) throw new ArgumentException($"{what} has {t.Length} elements, {length} are needed");
    }

    public override void Unfold(Tensor images, int batch, int channels, int height, int width, int patch, Tensor patches)
        => Im2Col.Unfold(images.Data, batch, channels, height, width, patch, patches.Data);

    public override void Fold(Tensor patches, int batch, int channels, int height, int width, int patch, Tensor images)
        => Im2Col.Fold(patches.Data, batch, channels, height, width, patch, images.Data);

    // ---- Element-wise and reductions ----

    public override void Copy(Tensor src, long srcOffset, Tensor dst, long dstOffset, long count)
        => S(src, srcOffset, count).CopyTo(S(dst, dstOffset, count));

    public override void Clear(Tensor t) => Array.Clear(t.Data);

    public override void Add(Tensor a, Tensor b, Tensor y) => TensorPrimitives.Add(a.Data.AsSpan(0, y.Length), b.Data.AsSpan(0, y.Length), y.Data);

    public override void AddAt(Tensor y, long yOffset, Tensor x, long xOffset, long count)
    {
        var dst = S(y, yOffset, count);
        TensorPrimitives.Add(dst, S(x, xOffset, count), dst);
    }

    public override void Multiply(Tensor a, Tensor b, Tensor y) => TensorPrimitives.Multiply(a.Data.AsSpan(0, y.Length), b.Data.AsSpan(0, y.Length), y.Data);

    public override void Scale(Tensor x, float s, Tensor y) => TensorPrimitives.Multiply(x.Data.AsSpan(0, y.Length), s, y.Data);

    public override void AddScalar(Tensor x, float s, Tensor y) => TensorPrimitives.Add(x.Data.AsSpan(0, y.Length), s, y.Data);

    public override void Maximum(Tensor x, float s, Tensor y) => TensorPrimitives.Max(x.Data.AsSpan(0, y.Length), s, y.Data);

    public override void Minimum(Tensor x, float s, Tensor y) => TensorPrimitives.Min(x.Data.AsSpan(0, y.Length), s, y.Data);

    public override void MultiplyColumns(Tensor x, Tensor gamma, Tensor y, int rows, int cols)
    {
        var g = gamma.Data.AsSpan(0, cols);
        for (int r = 0; r < rows; r++) TensorPrimitives.Multiply(S(x, (long)r * cols, cols), g, S(y, (long)r * cols, cols));
    }

    public override void AccumulateColumnProducts(Tensor a, Tensor b, Tensor sum, int rows, int cols)
    {
        var s = sum.Data.AsSpan(0, cols);
        for (int r = 0; r < rows; r++) TensorPrimitives.MultiplyAdd(S(a, (long)r * cols, cols), S(b, (long)r * cols, cols), s, s);
    }

    public override void AccumulateRows(Tensor x, long offset, int rows, int cols, Tensor sum, long sumOffset = 0)
    {
        var s = S(sum, sumOffset, cols);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(s, S(x, offset + (long)r * cols, cols), s);
    }

    public override void MeanOfRows(Tensor x, int batch, int tokens, int cols, int first, int count, Tensor y)
    {
        for (int i = 0; i < batch; i++)
        {
            var dst = S(y, (long)i * cols, cols);
            dst.Clear();
            for (int t = first; t < first + count; t++) TensorPrimitives.Add(dst, S(x, ((long)i * tokens + t) * cols, cols), dst);
            TensorPrimitives.Divide(dst, count, dst);
        }
    }

    public override void RowSums(Tensor x, int rows, int cols, Tensor sums)
    {
        for (int r = 0; r < rows; r++) sums.Data[r] = TensorPrimitives.Sum(S(x, (long)r * cols, cols));
    }

    // ---- LRP element-wise ----

    public override void SafeDivide(Tensor a, Tensor z, Tensor y)
    {
        long n = y.Length;
        if (a.Length < n || z.Length < n) throw new ArgumentException($"safe divide of {a.Length} by {z.Length} elements into {n}");
        fixed (float* pa = a.Data, pz = z.Data, py = y.Data)
        {
            var args = new RangeArgs { P0 = pa, P1 = pz, P2 = py };
            TeamFor.Run(&SafeDivideRange, args, y.Length, y.Length);
        }
    }

    static void SafeDivideRange(in RangeArgs r, int start, int end)
    {
        float* a = r.P0, z = r.P1, y = r.P2;
        int i = start;
        if (Vector256.IsHardwareAccelerated)
        {
            var eps = Vector256.Create(1e-9f);
            for (; i + 8 <= end; i += 8)
            {
                var vz = Vector256.Load(z + i);
                var den = vz + eps;
                den = Vector256.ConditionalSelect(Vector256.Equals(den, Vector256<float>.Zero), eps, den);
                var q = Vector256.Load(a + i) / den;
                Vector256.Store(Vector256.ConditionalSelect(Vector256.Equals(vz, Vector256<float>.Zero), Vector256<float>.Zero, q), y + i);
            }
        }
        for (; i < end; i++) y[i] = SafeDivide(a[i], z[i]);
    }

    /// <summary>The scalar rule of <see cref="ComputeBackend.SafeDivide"/>.</summary>
    public static float SafeDivide(float a, float z)
    {
        if (z == 0f) return 0f;
        float den = z + 1e-9f;
        if (den == 0f) den = 1e-9f;
        return a / den;
    }

    public override void Divide(Tensor a, Tensor z, Tensor y) => TensorPrimitives.Divide(a.Data.AsSpan(0, y.Length), z.Data.AsSpan(0, y.Length), y.Data);

    public override void EpsilonDivide(Tensor a, Tensor z, float epsilon, Tensor y)
    {
        long n = y.Length;
        if (a.Length < n || z.Length < n) throw new ArgumentException($"epsilon divide of {a.Length} by {z.Length} elements into {n}");
        if (!(epsilon >= 0) || float.IsInfinity(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon {epsilon} must be finite and ≥ 0");
        fixed (float* pa = a.Data, pz = z.Data, py = y.Data)
        {
            var args = new RangeArgs { P0 = pa, P1 = pz, P2 = py, S0 = epsilon };
            TeamFor.Run(&EpsilonDivideRange, args, checked((int)n), n);
        }
    }

    static void EpsilonDivideRange(in RangeArgs r, int start, int end)
    {
        float* a = r.P0, z = r.P1, y = r.P2;
        float epsilon = r.S0;
        int i = start;
        if (Vector256.IsHardwareAccelerated)
        {
            var positive = Vector256.Create(epsilon);
            var negative = Vector256.Create(-epsilon);
            for (; i + 8 <= end; i += 8)
            {
                var vz = Vector256.Load(z + i);
                // z ≥ 0 holds for −0 too, so a zero of either sign takes +ε, as sign 0 = +1 says
                var shift = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(vz, Vector256<float>.Zero), positive, negative);
                Vector256.Store(Vector256.Load(a + i) / (vz + shift), y + i);
            }
        }
        for (; i < end; i++) y[i] = EpsilonDivide(a[i], z[i], epsilon);
    }

    /// <summary>The scalar rule of <see cref="ComputeBackend.EpsilonDivide"/>.</summary>
    public static float EpsilonDivide(float a, float z, float epsilon) => a / (z + (z >= 0f ? epsilon : -epsilon));

    public override void Subtract(Tensor a, Tensor b, Tensor y) => TensorPrimitives.Subtract(a.Data.AsSpan(0, y.Length), b.Data.AsSpan(0, y.Length), y.Data.AsSpan(0, y.Length));

    public override void ScaleRows(Tensor x, Tensor factors, int rows, int cols, Tensor y)
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Multiply(S(x, (long)r * cols, cols), factors.Data[r], S(y, (long)r * cols, cols));
    }

    public override void CenterRows(Tensor x, int rows, int cols, Tensor y)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = S(x, (long)r * cols, cols);
            TensorPrimitives.Subtract(row, TensorPrimitives.Sum(row) / cols, S(y, (long)r * cols, cols));
        }
    }

    public override void ClearStrided(int rows, int cols, Tensor y, long yOffset, int ldy)
    {
        for (int r = 0; r < rows; r++) S(y, yOffset + (long)r * ldy, cols).Clear();
    }

    public override void SplitSigns(Tensor x, int rows, int cols, Tensor stacked)
    {
        if (x.Length < (long)rows * cols || stacked.Length < 2L * rows * cols) throw new ArgumentException($"sign split of {rows}x{cols} from {x.Length} into {stacked.Length} elements");
        fixed (float* px = x.Data, ps = stacked.Data)
        {
            var args = new RangeArgs { P0 = px, P1 = ps, Dim = cols };
            TeamFor.Run(&SplitSignsRange, args, rows, 2L * rows * cols);
        }
    }

    static void SplitSignsRange(in RangeArgs a, int start, int end)
    {
        int cols = a.Dim;
        for (int r = start; r < end; r++)
        {
            var xr = new ReadOnlySpan<float>(a.P0 + (long)r * cols, cols);
            TensorPrimitives.Max(xr, 0f, new Span<float>(a.P1 + (long)r * 2 * cols, cols));
            TensorPrimitives.Min(xr, 0f, new Span<float>(a.P1 + (long)r * 2 * cols + cols, cols));
        }
    }

    public override void SelectBySign(Tensor x, Tensor stacked, int rows, int cols, Tensor y)
    {
        fixed (float* px = x.Data, ps = stacked.Data, py = y.Data)
        {
            var args = new RangeArgs { P0 = px, P1 = ps, P2 = py, Dim = cols };
            TeamFor.Run(&SelectBySignRange, args, rows, (long)rows * cols);
        }
    }

    static void SelectBySignRange(in RangeArgs a, int start, int end)
    {
        int cols = a.Dim;
        for (int r = start; r < end; r++)
        {
            float* x = a.P0 + (long)r * cols, pos = a.P1 + (long)r * 2 * cols, neg = pos + cols, y = a.P2 + (long)r * cols;
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
                for (; i + 8 <= cols; i += 8)
                {
                    var v = Vector256.Load(x + i);
                    var chosen = Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v * Vector256.Load(pos + i), v * Vector256.Load(neg + i));
                    Vector256.Store(chosen, y + i);
                }
            for (; i < cols; i++)
            {
                float v = x[i];
                y[i] = v > 0f ? v * pos[i] : v * neg[i];
            }
        }
    }

    public override void MultiplyStrided(int rows, int cols, Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
        float scale, Tensor y, long yOffset, int ldy)
    {
        if (rows <= 0 || cols <= 0) return;
        long last = rows - 1L;
        if (aOffset < 0 || bOffset < 0 || yOffset < 0 || aOffset + last * lda + cols > a.Length || bOffset + last * ldb + cols > b.Length
            || yOffset + last * ldy + cols > y.Length)
            throw new ArgumentException($"strided product of {rows}x{cols} does not fit its operands");
        fixed (float* pa = a.Data, pb = b.Data, py = y.Data)
        {
            var args = new RangeArgs { P0 = pa + aOffset, P1 = pb + bOffset, P2 = py + yOffset, Dim = cols, Ld0 = lda, Ld1 = ldb, Ld2 = ldy, S0 = scale };
            TeamFor.Run(&MultiplyStridedRange, args, rows, (long)rows * cols);
        }
    }

    static void MultiplyStridedRange(in RangeArgs a, int start, int end)
    {
        int cols = a.Dim;
        for (int r = start; r < end; r++)
        {
            var dst = new Span<float>(a.P2 + (long)r * a.Ld2, cols);
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(a.P0 + (long)r * a.Ld0, cols), new ReadOnlySpan<float>(a.P1 + (long)r * a.Ld1, cols), dst);
            // the product rounded first, then scaled, as the reference's two steps
            if (a.S0 != 1f) TensorPrimitives.Multiply(dst, a.S0, dst);
        }
    }

    public override double[] SumPerSample(Tensor x, int samples)
    {
        long per = SampleLength(x, samples);
        var sums = new double[samples];
        fixed (float* px = x.Data)
        fixed (double* ps = sums)
        {
            var args = new RangeArgs { P0 = px, D0 = ps, Length = per };
            TeamFor.Run(&SumRange, args, samples, x.Length);
        }
        return sums;
    }

    static void SumRange(in RangeArgs a, int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            // In element order, in double: the reference sums float tensors in float64 for this rule.
            double s = 0;
            float* x = a.P0 + i * a.Length;
            for (long j = 0; j < a.Length; j++) s += x[j];
            a.D0[i] = s;
        }
    }

    public override void ScalePerSample(Tensor x, float[] factors, Tensor y)
    {
        long per = SampleLength(y, factors.Length);
        for (int i = 0; i < factors.Length; i++) TensorPrimitives.Multiply(S(x, i * per, per), factors[i], S(y, i * per, per));
    }

    public override (float[] Min, float[] Max) RangePerSample(Tensor x, int samples)
    {
        long per = SampleLength(x, samples);
        var min = new float[samples];
        var max = new float[samples];
        for (int i = 0; i < samples; i++)
        {
            min[i] = TensorPrimitives.Min(S(x, i * per, per));
            max[i] = TensorPrimitives.Max(S(x, i * per, per));
        }
        return (min, max);
    }

    public override void AddOuterPerSample(Tensor z, int samples, int cols, float[] coefficients, Tensor vector)
    {
        long per = SampleLength(z, samples);
        long rows = per / cols;
        var v = vector.Data.AsSpan(0, cols);
        for (int i = 0; i < samples; i++)
            for (long r = 0; r < rows; r++)
            {
                var row = S(z, i * per + r * cols, cols);
                TensorPrimitives.MultiplyAdd(v, coefficients[i], row, row);
            }
    }

    public override void AddScaledPerSample(Tensor y, Tensor x, float[] coefficients)
    {
        long per = SampleLength(y, coefficients.Length);
        for (int i = 0; i < coefficients.Length; i++)
        {
            var dst = S(y, i * per, per);
            TensorPrimitives.MultiplyAdd(S(x, i * per, per), coefficients[i], dst, dst);
        }
    }

    static long SampleLength(Tensor x, int samples)
    {
        if (samples <= 0 || x.Length % samples != 0) throw new ArgumentException($"{x.Length} elements do not split into {samples} samples");
        return x.Length / samples;
    }
}
