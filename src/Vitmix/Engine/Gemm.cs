using System.Runtime.InteropServices;

namespace Vitmix.Engine;

/// <summary>
/// Single-precision matrix multiply with the BLAS sgemm contract on row-major storage:
/// C = alpha · op(A) · op(B) + beta · C, op(X) = X or Xᵀ, leading dimensions in elements.
/// A beta of 0 never reads C (garbage, even NaN, is overwritten).
/// </summary>
/// <remarks>
/// BLIS-style (Van Zee &amp; van de Geijn 2015): op(B) is packed into KC×NR column panels and op(A) into
/// MR×KC row panels (zero padded), and an FMA micro-kernel keeps an MR×NR tile of C in registers.
/// Large problems are split over <see cref="WorkerTeam"/> along the larger of M and N; batches over the batch.
/// </remarks>
public static unsafe class Gemm
{
    // Below this many multiply-adds a second thread costs more to wake than it saves.
    const long ParallelThreshold = 1L << 20;

    /// <summary>C[m×n] = alpha·op(A)[m×k]·op(B)[k×n] + beta·C.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Multiply(GemmKernel.Auto, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary><see cref="Multiply(bool,bool,int,int,int,float,ReadOnlySpan{float},int,ReadOnlySpan{float},int,float,Span{float},int)"/> with a chosen micro-kernel (tests run every kernel).</summary>
    internal static void Multiply(GemmKernel kernel, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Check(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var g = new GemmArgs(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, null);
            Run(ref g, GemmKernels.Resolve(kernel), parallel: true);
        }
    }

    /// <summary>Linear layer y[m×n] = x[m×k]·W[n×k]ᵀ (+ bias[n]); the bias is added in the kernel's epilogue.</summary>
    public static void Linear(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> y, int m, int k, int n)
    {
        Check(false, true, m, n, k, x.Length, k, weight.Length, k, y.Length, n);
        if (!bias.IsEmpty && bias.Length < n)
            throw new ArgumentException($"bias has {bias.Length} elements, the layer has {n} outputs", nameof(bias));
        if (m == 0 || n == 0) return;
        fixed (float* px = x, pw = weight, pb = bias, py = y)
        {
            var g = new GemmArgs(false, true, m, n, k, 1f, px, k, pw, k, 0f, py, n, bias.IsEmpty ? null : pb);
            Run(ref g, GemmKernels.Resolve(GemmKernel.Auto), parallel: true);
        }
    }

    /// <summary>
    /// Many independent multiplies with fixed strides between consecutive operands (attention heads).
    /// The batch is shared among the worker threads.
    /// </summary>
    public static void MultiplyBatched(int count, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC)
        => MultiplyBatched(GemmKernel.Auto, count, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC);

    internal static void MultiplyBatched(GemmKernel kernel, int count, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC)
    {
        if (count < 0) throw new ArgumentException($"batch count {count} is negative", nameof(count));
        if (count == 0 || m == 0 || n == 0) return;
        if (strideA < 0 || strideB < 0 || strideC < 0)
            throw new ArgumentException($"batch strides ({strideA}, {strideB}, {strideC}) must not be negative");
        long last = count - 1;
        Check(transA, transB, m, n, k, a.Length - last * strideA, lda, b.Length - last * strideB, ldb, c.Length - last * strideC, ldc);
        var shape = GemmKernels.Resolve(kernel);
        fixed (float* pa = a, pb = b, pc = c)
        {
            var g = new GemmArgs(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, null);
            if (count == 1) { Run(ref g, shape, parallel: true); return; }
            if ((long)m * n * k * count >= ParallelThreshold && WorkerTeam.TryBegin())
            {
                try
                {
                    var job = BatchJob.Instance;
                    job.Args = g; job.Shape = shape; job.StrideA = strideA; job.StrideB = strideB; job.StrideC = strideC;
                    WorkerTeam.Run(job, count);
                }
                finally { WorkerTeam.End(); }
                return;
            }
            for (int t = 0; t < count; t++)
            {
                var gt = g.Offset(t * strideA, t * strideB, t * strideC);
                GemmDriver.Serial(ref gt, shape);
            }
        }
    }

    /// <summary>
    /// One multiply per (sample, head) pair, C_ih = alpha·op(A_ih)·op(B_ih) + beta·C_ih, where the operand of sample i and
    /// head h starts at offset + i·sampleStride + h·headStride (attention's layout: heads interleaved in the features of
    /// each token). The pairs are shared among the worker threads, each multiply staying on one thread.
    /// </summary>
    public static void MultiplyPerHead(int batch, int heads, bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, long aOffset, int lda, long aSample, long aHead,
        float[] b, long bOffset, int ldb, long bSample, long bHead,
        float beta, float[] c, long cOffset, int ldc, long cSample, long cHead)
    {
        if (batch < 0 || heads < 0) throw new ArgumentException($"{batch} samples of {heads} heads");
        if (batch == 0 || heads == 0 || m == 0 || n == 0) return;
        if (aOffset < 0 || bOffset < 0 || cOffset < 0 || aSample < 0 || bSample < 0 || cSample < 0 || aHead < 0 || bHead < 0 || cHead < 0)
            throw new ArgumentException("per-head offsets and strides must not be negative");
        long lastA = aOffset + (batch - 1) * aSample + (heads - 1) * aHead;
        long lastB = bOffset + (batch - 1) * bSample + (heads - 1) * bHead;
        long lastC = cOffset + (batch - 1) * cSample + (heads - 1) * cHead;
        // The extents of the first and the last pair bound every pair (offsets grow monotonically).
        Check(transA, transB, m, n, k, a.Length - lastA, lda, b.Length - lastB, ldb, c.Length - lastC, ldc);
        var shape = GemmKernels.Resolve(GemmKernel.Auto);
        fixed (float* pa = a, pb = b, pc = c)
        {
            var g = new GemmArgs(transA, transB, m, n, k, alpha, pa + aOffset, lda, pb + bOffset, ldb, beta, pc + cOffset, ldc, null);
            var job = HeadJob.Instance ??= new HeadJob();
            job.Args = g; job.Shape = shape; job.Heads = heads;
            job.A0 = aSample; job.A1 = aHead; job.B0 = bSample; job.B1 = bHead; job.C0 = cSample; job.C1 = cHead;
            int count = batch * heads;
            if (count >= 2 && (long)m * n * k * count >= ParallelThreshold && WorkerTeam.TryBegin())
            {
                try { WorkerTeam.Run(job, count); }
                finally { WorkerTeam.End(); }
            }
            else
                for (int t = 0; t < count; t++) job.Execute(t);
        }
    }

    /// <summary>Pointer-level entry for engine code that already pinned its operands; may use the team.</summary>
    internal static void Run(ref GemmArgs g, GemmKernels.Shape shape, bool parallel)
    {
        if (g.K == 0)
        {
            GemmDriver.ScaleOnly(ref g);
            return;
        }
        bool splitN = g.N >= g.M;
        int unit = splitN ? shape.NR : shape.MR;
        int units = ((splitN ? g.N : g.M) + unit - 1) / unit;
        if (parallel && units >= 2 && (long)g.M * g.N * g.K >= ParallelThreshold && WorkerTeam.TryBegin())
        {
            try
            {
                var job = SplitJob.Instance;
                job.Args = g; job.Shape = shape; job.SplitN = splitN; job.Units = units; job.Unit = unit;
                job.Parts = Math.Min(WorkerTeam.Size, units);
                WorkerTeam.Run(job, job.Parts);
            }
            finally { WorkerTeam.End(); }
            return;
        }
        GemmDriver.Serial(ref g, shape);
    }

    static void Check(bool transA, bool transB, int m, int n, int k, long aLen, int lda, long bLen, int ldb, long cLen, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"GEMM sizes m={m}, n={n}, k={k} must not be negative");
        int aCols = transA ? m : k, aRows = transA ? k : m;
        int bCols = transB ? k : n, bRows = transB ? n : k;
        if (lda < Math.Max(1, aCols)) throw new ArgumentException($"lda={lda} is smaller than op(A)'s stored row length {aCols}", nameof(lda));
        if (ldb < Math.Max(1, bCols)) throw new ArgumentException($"ldb={ldb} is smaller than op(B)'s stored row length {bCols}", nameof(ldb));
        if (ldc < Math.Max(1, n)) throw new ArgumentException($"ldc={ldc} is smaller than n={n}", nameof(ldc));
        if (m == 0 || n == 0) return;
        if (k > 0 && aLen < (long)(aRows - 1) * lda + aCols)
            throw new ArgumentException($"A has {aLen} elements, {aRows}x{aCols} with lda={lda} needs {(long)(aRows - 1) * lda + aCols}", "a");
        if (k > 0 && bLen < (long)(bRows - 1) * ldb + bCols)
            throw new ArgumentException($"B has {bLen} elements, {bRows}x{bCols} with ldb={ldb} needs {(long)(bRows - 1) * ldb + bCols}", "b");
        if (cLen < (long)(m - 1) * ldc + n)
            throw new ArgumentException($"C has {cLen} elements, {m}x{n} with ldc={ldc} needs {(long)(m - 1) * ldc + n}", "c");
    }

    /// <summary>One slice of a split GEMM per thread: a range of NR-aligned columns or MR-aligned rows.</summary>
    sealed class SplitJob : TeamJob
    {
        public static readonly SplitJob Instance = new();
        public GemmArgs Args;
        public GemmKernels.Shape Shape = null!;
        public bool SplitN;
        public int Units, Unit, Parts;

        internal override void Execute(int index)
        {
            int u0 = (int)((long)Units * index / Parts), u1 = (int)((long)Units * (index + 1) / Parts);
            int size = SplitN ? Args.N : Args.M;
            int start = u0 * Unit, end = Math.Min(size, u1 * Unit);
            if (end <= start) return;
            var g = SplitN ? Args.Columns(start, end - start) : Args.Rows(start, end - start);
            GemmDriver.Serial(ref g, Shape);
        }
    }

    sealed class HeadJob : TeamJob
    {
        // One per calling thread: passes of two models may run on two threads at once.
        [ThreadStatic] public static HeadJob? Instance;
        public GemmArgs Args;
        public GemmKernels.Shape Shape = null!;
        public int Heads;
        public long A0, A1, B0, B1, C0, C1;

        internal override void Execute(int index)
        {
            long i = index / Heads, h = index % Heads;
            var g = Args.Offset(i * A0 + h * A1, i * B0 + h * B1, i * C0 + h * C1);
            GemmDriver.Serial(ref g, Shape);
        }
    }

    sealed class BatchJob : TeamJob
    {
        public static readonly BatchJob Instance = new();
        public GemmArgs Args;
        public GemmKernels.Shape Shape = null!;
        public long StrideA, StrideB, StrideC;

        internal override void Execute(int index)
        {
            var g = Args.Offset(index * StrideA, index * StrideB, index * StrideC);
            GemmDriver.Serial(ref g, Shape);
        }
    }
}

/// <summary>Which micro-kernel a multiply uses; Auto picks the widest the hardware accelerates.</summary>
internal enum GemmKernel { Auto, Vector512, Vector256, Scalar }

/// <summary>Operands of one sgemm call, already pinned.</summary>
[StructLayout(LayoutKind.Auto)]
internal unsafe struct GemmArgs(bool transA, bool transB, int m, int n, int k, float alpha,
    float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, float* bias)
{
    public bool TransA = transA, TransB = transB;
    public int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
    public float Alpha = alpha, Beta = beta;
    public float* A = a, B = b, C = c;
    /// <summary>Per-column bias added once to every row (Linear), or null.</summary>
    public float* Bias = bias;

    /// <summary>The sub-problem of columns [j0, j0+count) of C.</summary>
    public readonly GemmArgs Columns(int j0, int count)
    {
        var g = this;
        g.N = count;
        g.B = TransB ? B + (long)j0 * Ldb : B + j0;
        g.C = C + j0;
        if (Bias != null) g.Bias = Bias + j0;
        return g;
    }

    /// <summary>The sub-problem of rows [i0, i0+count) of C.</summary>
    public readonly GemmArgs Rows(int i0, int count)
    {
        var g = this;
        g.M = count;
        g.A = TransA ? A + i0 : A + (long)i0 * Lda;
        g.C = C + (long)i0 * Ldc;
        return g;
    }

    public readonly GemmArgs Offset(long da, long db, long dc)
    {
        var g = this;
        g.A = A + da; g.B = B + db; g.C = C + dc;
        return g;
    }
}
