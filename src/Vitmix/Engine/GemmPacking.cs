using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vitmix.Engine;

/// <summary>
/// Packs op(A) into MR-row panels (element [p·MR + r]) and op(B) into NR-column panels (element [p·NR + j]),
/// zero padded to full panels. Layouts that need a transpose (row-major A, Wᵀ) go through 8×8 in-register
/// transposes; the others are row copies.
/// </summary>
internal static unsafe class GemmPacking
{
    public static void PackA(ref GemmArgs g, int i0, int mc, int p0, int kc, float* dst, int mr)
    {
        long lda = g.Lda;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* d = dst + (long)ir * kc;
            if (g.TransA)
            {
                // op(A)[i, p] = A[p, i]: each p is a contiguous run of rows.
                float* s = g.A + p0 * lda + i0 + ir;
                if (rows == 8 && mr == 8)
                    for (int p = 0; p < kc; p++) Vector256.Store(Vector256.Load(s + p * lda), d + p * 8);
                else if (rows == 6 && mr == 6)
                    for (int p = 0; p < kc; p++)
                    {
                        float* sp = s + p * lda;
                        float* dp = d + p * 6;
                        Vector128.Store(Vector128.Load(sp), dp);
                        dp[4] = sp[4];
                        dp[5] = sp[5];
                    }
                else
                    for (int p = 0; p < kc; p++)
                    {
                        float* sp = s + p * lda;
                        float* dp = d + p * mr;
                        int r = 0;
                        for (; r < rows; r++) dp[r] = sp[r];
                        for (; r < mr; r++) dp[r] = 0f;
                    }
            }
            else
            {
                // op(A)[i, p] = A[i, p]: rows become columns of the panel.
                float* s = g.A + (i0 + ir) * lda + p0;
                int p = 0;
                if (Avx.IsSupported && rows == mr && (mr == 8 || mr == 6))
                {
                    for (; p + 8 <= kc; p += 8)
                    {
                        float* sp = s + p;
                        var r0 = Vector256.Load(sp); var r1 = Vector256.Load(sp + lda);
                        var r2 = Vector256.Load(sp + 2 * lda); var r3 = Vector256.Load(sp + 3 * lda);
                        var r4 = Vector256.Load(sp + 4 * lda); var r5 = Vector256.Load(sp + 5 * lda);
                        Vector256<float> r6 = default, r7 = default;
                        if (mr == 8) { r6 = Vector256.Load(sp + 6 * lda); r7 = Vector256.Load(sp + 7 * lda); }
                        // With mr = 6 each 8-wide store overlaps the next column by two floats; stores go in
                        // increasing order so the overlap is always rewritten, and the buffer has slack at its end.
                        Transpose8x8(r0, r1, r2, r3, r4, r5, r6, r7, d + p * mr, mr);
                    }
                }
                for (; p < kc; p++)
                {
                    float* dp = d + p * mr;
                    int r = 0;
                    for (; r < rows; r++) dp[r] = s[r * lda + p];
                    for (; r < mr; r++) dp[r] = 0f;
                }
            }
        }
    }

    public static void PackB(ref GemmArgs g, int p0, int kc, int j0, int nc, float* dst, int nr)
    {
        long ldb = g.Ldb;
        if (!g.TransB)
        {
            // op(B)[p, j] = B[p, j]: copy each row of B across all panels (streams B once, row by row).
            int full = nc / nr * nr;
            for (int p = 0; p < kc; p++)
            {
                float* s = g.B + (p0 + p) * ldb + j0;
                int jr = 0;
                for (; jr < full; jr += nr)
                {
                    float* d = dst + (long)jr * kc + p * nr;
                    for (int j = 0; j < nr; j += 8) Vector256.Store(Vector256.Load(s + jr + j), d + j);
                }
                if (jr < nc)
                {
                    float* d = dst + (long)jr * kc + p * nr;
                    int j = 0;
                    for (; j < nc - jr; j++) d[j] = s[jr + j];
                    for (; j < nr; j++) d[j] = 0f;
                }
            }
            return;
        }
        // op(B)[p, j] = B[j, p] (a Linear weight W[n×k]): transpose 8 rows × 8 depths at a time.
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* d = dst + (long)jr * kc;
            float* s = g.B + (j0 + jr) * ldb + p0;
            int p = 0;
            if (Avx.IsSupported && cols == nr)
            {
                for (; p + 8 <= kc; p += 8)
                    for (int q = 0; q < nr; q += 8)
                    {
                        float* sp = s + q * ldb + p;
                        Transpose8x8(Vector256.Load(sp), Vector256.Load(sp + ldb), Vector256.Load(sp + 2 * ldb),
                            Vector256.Load(sp + 3 * ldb), Vector256.Load(sp + 4 * ldb), Vector256.Load(sp + 5 * ldb),
                            Vector256.Load(sp + 6 * ldb), Vector256.Load(sp + 7 * ldb), d + p * nr + q, nr);
                    }
            }
            for (; p < kc; p++)
            {
                float* dp = d + p * nr;
                int j = 0;
                for (; j < cols; j++) dp[j] = s[j * ldb + p];
                for (; j < nr; j++) dp[j] = 0f;
            }
        }
    }

    /// <summary>Stores column q of the 8×8 block whose rows are r0..r7 at dst + q·stride, q = 0..7 in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, long stride)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Vector256.Store(Avx.Permute2x128(s0, s4, 0x20), dst);
        Vector256.Store(Avx.Permute2x128(s1, s5, 0x20), dst + stride);
        Vector256.Store(Avx.Permute2x128(s2, s6, 0x20), dst + 2 * stride);
        Vector256.Store(Avx.Permute2x128(s3, s7, 0x20), dst + 3 * stride);
        Vector256.Store(Avx.Permute2x128(s0, s4, 0x31), dst + 4 * stride);
        Vector256.Store(Avx.Permute2x128(s1, s5, 0x31), dst + 5 * stride);
        Vector256.Store(Avx.Permute2x128(s2, s6, 0x31), dst + 6 * stride);
        Vector256.Store(Avx.Permute2x128(s3, s7, 0x31), dst + 7 * stride);
    }
}
