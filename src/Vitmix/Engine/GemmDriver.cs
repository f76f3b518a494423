using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vitmix.Engine;

/// <summary>
/// The single-threaded blocked GEMM loop nest (BLIS order): for each NC column block and KC depth block
/// pack op(B); for each MC row block pack op(A); then sweep NR panels (the B micro-panel stays in L1)
/// over MR panels (A streams from L2).
/// </summary>
internal static unsafe class GemmDriver
{
    const int KC = 256, NC = 512, MC = 264; // MC is a multiple of every MR (6, 8); NC of every NR (16, 32)
    const int Slack = 64;                   // packers may overshoot a panel by a few floats

    // Per-thread pack buffers, allocated once per thread and kept (no steady-state allocation).
    [ThreadStatic] static float* packA;
    [ThreadStatic] static float* packB;
    [ThreadStatic] static float* tile;

    static void EnsureBuffers()
    {
        if (packA != null) return;
        packA = (float*)NativeMemory.AlignedAlloc((nuint)((MC * KC + Slack) * sizeof(float)), 64);
        packB = (float*)NativeMemory.AlignedAlloc((nuint)((KC * NC + Slack) * sizeof(float)), 64);
        tile = (float*)NativeMemory.AlignedAlloc((nuint)(8 * 32 * sizeof(float)), 64);
    }

    // Compiled fully optimised at once, outside tiering and Dynamic PGO: with PGO, the version profiled on large
    // split Linear GEMMs ran the per-head products of MultiplyBatched at half speed on both threads (measured:
    // 29 vs 61 GFLOP/s for 12 heads of 197x64x197 after one Linear call; see docs/benchmarks.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Serial(ref GemmArgs g, GemmKernels.Shape s)
    {
        if (g.M == 0 || g.N == 0) return;
        if (g.K == 0) { ScaleOnly(ref g); return; }
        EnsureBuffers();
        float* pA = packA, pB = packB, t = tile;
        int mr = s.MR, nr = s.NR;
        int kBlocks = (g.K + KC - 1) / KC, kcStep = (g.K + kBlocks - 1) / kBlocks;
        int mBlocks = (g.M + MC - 1) / MC, mcStep = (g.M + mBlocks - 1) / mBlocks;
        mcStep = (mcStep + mr - 1) / mr * mr;
        long ldc = g.Ldc;
        for (int jc = 0; jc < g.N; jc += NC)
        {
            int nc = Math.Min(NC, g.N - jc);
            for (int pc = 0; pc < g.K; pc += kcStep)
            {
                int kc = Math.Min(kcStep, g.K - pc);
                float beta = pc == 0 ? g.Beta : 1f;
                float* bias = pc + kc == g.K && g.Bias != null ? g.Bias + jc : null;
                GemmPacking.PackB(ref g, pc, kc, jc, nc, pB, nr);
                for (int ic = 0; ic < g.M; ic += mcStep)
                {
                    int mc = Math.Min(mcStep, g.M - ic);
                    GemmPacking.PackA(ref g, ic, mc, pc, kc, pA, mr);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nrr = Math.Min(nr, nc - jr);
                        float* pb = pB + (long)jr * kc;
                        float* bj = bias == null ? null : bias + jr;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int mrr = Math.Min(mr, mc - ir);
                            float* pa = pA + (long)ir * kc;
                            float* c = g.C + (ic + ir) * ldc + jc + jr;
                            if (mrr == mr && nrr == nr)
                                GemmKernels.Tile(s, kc, pa, pb, c, ldc, g.Alpha, beta, bj);
                            else
                            {
                                GemmKernels.Tile(s, kc, pa, pb, t, nr, 1f, 0f, null);
                                GemmKernels.Merge(t, nr, c, ldc, mrr, nrr, g.Alpha, beta, bj);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>k = 0: C = beta·C (+ bias), C unread when beta is 0.</summary>
    public static void ScaleOnly(ref GemmArgs g)
    {
        for (int i = 0; i < g.M; i++)
        {
            float* c = g.C + (long)i * g.Ldc;
            for (int j = 0; j < g.N; j++)
            {
                float v = g.Bias != null ? g.Bias[j] : 0f;
                if (g.Beta != 0f) v = MathF.FusedMultiplyAdd(g.Beta, c[j], v);
                c[j] = v;
            }
        }
    }
}
