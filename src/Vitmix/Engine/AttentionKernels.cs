namespace Vitmix.Engine;

/// <summary>
/// Multi-head attention on the CPU, one (sample, head) at a time: each head runs its small products, softmax and
/// their backward while its N×N matrix is in cache, and the heads are shared among the worker threads. Splitting
/// each 197×64×197 product over both threads instead (what a plain GEMM call does) woke the team thousands of
/// times per pass and streamed the score matrices through memory; at batch 16 (192 heads, 30 MB of scores per
/// block) that halved the speed of the backward pass.
/// </summary>
internal static unsafe class AttentionKernels
{
    readonly unsafe struct Args(float* qkv, float* probabilities, float* context, float* dProbabilities, float* dQkv,
        int tokens, int dim, int heads, int headDim, int* offsets = null, float* bias = null, long biasStride = 0, int leadingRows = 0)
    {
        public readonly float* Qkv = qkv, Probabilities = probabilities, Context = context, DProbabilities = dProbabilities, DQkv = dQkv;
        public readonly int N = tokens, D = dim, H = heads, Hd = headDim;
        /// <summary>Packed sequences: sequence i is rows Offsets[i] to Offsets[i+1] of qkv and context; null for a regular batch.</summary>
        public readonly int* Offsets = offsets;
        /// <summary>Logits bias (H, N, N) of sample 0, or null; sample i's at Bias + i·BiasStride (a regular batch only).</summary>
        public readonly float* Bias = bias;
        public readonly long BiasStride = biasStride;
        /// <summary>When positive, only the first this many queries of each sequence, written compactly: sequence i's at rows i·LeadingRows of Context.</summary>
        public readonly int LeadingRows = leadingRows;
    }

    sealed class Job : TeamJob
    {
        public Args Args;
        public bool Backward;
        internal override void Execute(int index)
        {
            if (Backward) BackwardHead(Args, index);
            else ForwardHead(Args, index);
        }
    }

    [ThreadStatic] static float[]? scratch;
    [ThreadStatic] static Job? job;

    static float[] Scratch(long length)
    {
        var s = scratch;
        if (s == null || s.Length < length) scratch = s = new float[length];
        return s;
    }

    /// <summary>softmax(q·kᵀ/√hd)·v per (sample, head); probabilities kept when the pointer is non-null.</summary>
    public static void Forward(float[] qkv, float[]? probabilities, float[] context, int batch, int tokens, int heads, int headDim)
    {
        fixed (float* pq = qkv, pp = probabilities, pc = context)
            Run(new Args(pq, pp, pc, null, null, tokens, heads * headDim, heads, headDim), batch * heads, backward: false);
    }

    /// <summary>softmax(q·kᵀ/√hd + bias)·v per (sample, head), the bias (H, N, N) of sample i at i·<paramref name="biasStride"/>.</summary>
    public static void Forward(float[] qkv, float[]? probabilities, float[] context, int batch, int tokens, int heads, int headDim,
        float[] bias, long biasStride)
    {
        fixed (float* pq = qkv, pp = probabilities, pc = context, pb = bias)
            Run(new Args(pq, pp, pc, null, null, tokens, heads * headDim, heads, headDim, bias: pb, biasStride: biasStride), batch * heads, backward: false);
    }

    /// <summary>dQkv from dContext per (sample, head); dProbabilities (post-softmax) kept when non-null.</summary>
    public static void Backward(float[] qkv, float[] probabilities, float[] dContext, float[] dQkv, float[]? dProbabilities,
        int batch, int tokens, int heads, int headDim)
    {
        fixed (float* pq = qkv, pp = probabilities, pc = dContext, pdp = dProbabilities, pdq = dQkv)
            Run(new Args(pq, pp, pc, pdp, pdq, tokens, heads * headDim, heads, headDim), batch * heads, backward: true);
    }

    /// <summary>
    /// softmax(q·kᵀ/√hd)·v of sequences of different lengths packed one after another (no padding): sequence i is the
    /// rows <paramref name="offsets"/>[i] to <paramref name="offsets"/>[i+1] of qkv (T, 3D) and context (T, D), and
    /// attends only within itself. Probabilities are not kept: packed passes are inference only.
    /// </summary>
    public static void ForwardPacked(float[] qkv, float[] context, int[] offsets, int heads, int headDim)
    {
        int sequences = offsets.Length - 1;
        fixed (float* pq = qkv, pc = context)
        fixed (int* po = offsets)
            Run(new Args(pq, null, pc, null, null, 0, heads * headDim, heads, headDim, po), sequences * heads, backward: false);
    }

    /// <summary>
    /// softmax(q·kᵀ/√hd [+ bias])·v for the first <paramref name="rows"/> queries of each sequence only, against every key
    /// and value of the sequence: sequence i's outputs are rows i·rows to i·rows + rows − 1 of <paramref name="context"/>
    /// (S, rows, D). Sequences are a batch of <paramref name="batch"/> × <paramref name="tokens"/> when
    /// <paramref name="offsets"/> is null, else packed as in <see cref="ForwardPacked"/>; the bias (H, N, N) per sample as in
    /// the biased <see cref="Forward(float[], float[], float[], int, int, int, int, float[], long)"/>, for a batch only.
    /// </summary>
    public static void ForwardLeadingRows(float[] qkv, float[] context, int batch, int tokens, int[]? offsets, int heads, int headDim, int rows,
        float[]? bias, long biasStride)
    {
        int sequences = offsets == null ? batch : offsets.Length - 1;
        fixed (float* pq = qkv, pc = context, pb = bias)
        fixed (int* po = offsets)
            Run(new Args(pq, null, pc, null, null, tokens, heads * headDim, heads, headDim, po, pb, biasStride, rows), sequences * heads, backward: false);
    }

    static void Run(in Args args, int count, bool backward)
    {
        if (count >= 2 && WorkerTeam.TryBegin())
        {
            try
            {
                // One job object per calling thread: two models may run passes on two threads at once.
                var j = job ??= new Job();
                j.Args = args;
                j.Backward = backward;
                WorkerTeam.Run(j, count);
            }
            finally { WorkerTeam.End(); }
        }
        else
            for (int index = 0; index < count; index++)
            {
                if (backward) BackwardHead(args, index);
                else ForwardHead(args, index);
            }
    }

    static void ForwardHead(in Args a, int index)
    {
        int n = a.N, d = a.D, hd = a.Hd, i = index / a.H, head = index % a.H;
        // A packed sequence starts at its own row and has its own length; a batch's sample i starts at row i·N.
        long firstRow = (long)i * n;
        if (a.Offsets != null) (firstRow, n) = (a.Offsets[i], a.Offsets[i + 1] - a.Offsets[i]);
        // m queries: every row, or the leading rows only (their outputs packed one sequence after another)
        int m = a.LeadingRows > 0 ? Math.Min(a.LeadingRows, n) : n;
        long outputRow = a.LeadingRows > 0 ? (long)i * a.LeadingRows : firstRow;
        float scale = 1f / MathF.Sqrt(hd);
        float[]? own = a.Probabilities == null ? Scratch((long)m * n) : null;
        fixed (float* ps = own)
        {
            float* scores = a.Probabilities != null ? a.Probabilities + (long)index * n * n : ps;
            float* q = a.Qkv + firstRow * 3 * d + head * hd;
            var shape = GemmKernels.Resolve(GemmKernel.Auto);
            // a logit bias is the product's starting value: scores = bias, then scores += scale·q·kᵀ
            float beta = 0f;
            if (a.Bias != null)
            {
                long bytes = (long)m * n * sizeof(float);
                Buffer.MemoryCopy(a.Bias + i * a.BiasStride + (long)head * n * n, scores, bytes, bytes);
                beta = 1f;
            }
            var qk = new GemmArgs(false, true, m, n, hd, scale, q, 3 * d, q + d, 3 * d, beta, scores, n, null);
            GemmDriver.Serial(ref qk, shape);
            for (int r = 0; r < m; r++) Softmax.Row(scores + (long)r * n, n);
            var pv = new GemmArgs(false, false, m, hd, n, 1f, scores, n, q + 2 * d, 3 * d, 0f,
                a.Context + outputRow * d + head * hd, d, null);
            GemmDriver.Serial(ref pv, shape);
        }
    }

    static void BackwardHead(in Args a, int index)
    {
        int n = a.N, d = a.D, hd = a.Hd, i = index / a.H, head = index % a.H;
        float scale = 1f / MathF.Sqrt(hd);
        long nn = (long)n * n;
        float[] own = Scratch(nn);
        fixed (float* dA = own)
        {
            float* q = a.Qkv + (long)i * n * 3 * d + head * hd, k = q + d, v = q + 2 * d;
            float* dq = a.DQkv + (long)i * n * 3 * d + head * hd, dk = dq + d, dv = dq + 2 * d;
            float* dCtx = a.Context + (long)i * n * d + head * hd;
            float* p = a.Probabilities + index * nn;
            var shape = GemmKernels.Resolve(GemmKernel.Auto);
            // context = P·v: dP = dCtx·vᵀ, dv = Pᵀ·dCtx
            var g1 = new GemmArgs(false, true, n, n, hd, 1f, dCtx, d, v, 3 * d, 0f, dA, n, null);
            GemmDriver.Serial(ref g1, shape);
            if (a.DProbabilities != null) Buffer.MemoryCopy(dA, a.DProbabilities + index * nn, nn * sizeof(float), nn * sizeof(float));
            var g2 = new GemmArgs(true, false, n, hd, n, 1f, p, n, dCtx, d, 0f, dv, 3 * d, null);
            GemmDriver.Serial(ref g2, shape);
            // P = softmax(S): dS = P ⊙ (dP − Σ P·dP) row by row
            Softmax.RowsBackwardSerial(p, dA, dA, n, n);
            // S = scale·q·kᵀ: dq = scale·dS·k, dk = scale·dSᵀ·q
            var g3 = new GemmArgs(false, false, n, hd, n, scale, dA, n, k, 3 * d, 0f, dq, 3 * d, null);
            GemmDriver.Serial(ref g3, shape);
            var g4 = new GemmArgs(true, false, n, hd, n, scale, dA, n, q, 3 * d, 0f, dk, 3 * d, null);
            GemmDriver.Serial(ref g4, shape);
        }
    }
}
