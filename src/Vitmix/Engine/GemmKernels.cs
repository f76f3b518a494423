using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Vitmix.Engine;

/// <summary>
/// GEMM micro-kernels: C[MR×NR] (=|+=) alpha · Σₚ a[p,0..MR) ⊗ b[p,0..NR) over packed panels, the tile held
/// in registers. 8×32 with Vector512 (16 accumulators), 6×16 with Vector256 (12 accumulators, the
/// register file has 16), and a scalar loop on the 6×16 layout for hardware with neither.
/// Every kernel writes alpha·acc (+ bias[j]) (+ beta·C, C unread when beta is 0).
/// </summary>
internal static unsafe class GemmKernels
{
    /// <summary>Panel sizes of a kernel.</summary>
    internal sealed class Shape(GemmKernel kind, int mr, int nr)
    {
        public GemmKernel Kind { get; } = kind;
        public int MR { get; } = mr;
        public int NR { get; } = nr;
        public override string ToString() => $"{Kind} {MR}x{NR}";
    }

    static readonly Shape V512 = new(GemmKernel.Vector512, 8, 32);
    static readonly Shape V256 = new(GemmKernel.Vector256, 6, 16);
    static readonly Shape Scalar = new(GemmKernel.Scalar, 6, 16);

    public static Shape Resolve(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Vector512 => V512,
        GemmKernel.Vector256 => V256,
        GemmKernel.Scalar => Scalar,
        _ => Vector512.IsHardwareAccelerated ? V512 : Vector256.IsHardwareAccelerated ? V256 : Scalar,
    };

    /// <summary>Full MR×NR tile at <paramref name="c"/> with row stride <paramref name="ldc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(Shape s, int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, float* bias)
    {
        switch (s.Kind)
        {
            case GemmKernel.Vector512: Kernel8x32(kc, a, b, c, ldc, alpha, beta, bias); break;
            case GemmKernel.Vector256: Kernel6x16(kc, a, b, c, ldc, alpha, beta, bias); break;
            default: KernelScalar(kc, a, b, c, ldc, alpha, beta, bias, s.MR, s.NR); break;
        }
    }

    static void Kernel6x16(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, float* bias)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            a += 6;
            b += 16;
        }
        var va = Vector256.Create(alpha);
        Row256(c, c00, c01, va, beta, bias);
        Row256(c + ldc, c10, c11, va, beta, bias);
        Row256(c + 2 * ldc, c20, c21, va, beta, bias);
        Row256(c + 3 * ldc, c30, c31, va, beta, bias);
        Row256(c + 4 * ldc, c40, c41, va, beta, bias);
        Row256(c + 5 * ldc, c50, c51, va, beta, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Row256(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> alpha, float beta, float* bias)
    {
        x0 *= alpha;
        x1 *= alpha;
        if (bias != null)
        {
            x0 += Vector256.Load(bias);
            x1 += Vector256.Load(bias + 8);
        }
        if (beta != 0f)
        {
            var vb = Vector256.Create(beta);
            x0 = Vector256.FusedMultiplyAdd(vb, Vector256.Load(c), x0);
            x1 = Vector256.FusedMultiplyAdd(vb, Vector256.Load(c + 8), x1);
        }
        Vector256.Store(x0, c);
        Vector256.Store(x1, c + 8);
    }

    static void Kernel8x32(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, float* bias)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            a += 8;
            b += 32;
        }
        var va = Vector512.Create(alpha);
        Row512(c, c00, c01, va, beta, bias);
        Row512(c + ldc, c10, c11, va, beta, bias);
        Row512(c + 2 * ldc, c20, c21, va, beta, bias);
        Row512(c + 3 * ldc, c30, c31, va, beta, bias);
        Row512(c + 4 * ldc, c40, c41, va, beta, bias);
        Row512(c + 5 * ldc, c50, c51, va, beta, bias);
        Row512(c + 6 * ldc, c60, c61, va, beta, bias);
        Row512(c + 7 * ldc, c70, c71, va, beta, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Row512(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> alpha, float beta, float* bias)
    {
        x0 *= alpha;
        x1 *= alpha;
        if (bias != null)
        {
            x0 += Vector512.Load(bias);
            x1 += Vector512.Load(bias + 16);
        }
        if (beta != 0f)
        {
            var vb = Vector512.Create(beta);
            x0 = Vector512.FusedMultiplyAdd(vb, Vector512.Load(c), x0);
            x1 = Vector512.FusedMultiplyAdd(vb, Vector512.Load(c + 16), x1);
        }
        Vector512.Store(x0, c);
        Vector512.Store(x1, c + 16);
    }

    static void KernelScalar(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, float* bias, int mr, int nr)
    {
        float* acc = stackalloc float[mr * nr];
        new Span<float>(acc, mr * nr).Clear();
        for (int p = 0; p < kc; p++, a += mr, b += nr)
            for (int r = 0; r < mr; r++)
            {
                float av = a[r];
                for (int j = 0; j < nr; j++) acc[r * nr + j] = MathF.FusedMultiplyAdd(av, b[j], acc[r * nr + j]);
            }
        Merge(acc, nr, c, ldc, mr, nr, alpha, beta, bias);
    }

    /// <summary>Writes the valid mr×nr corner of an accumulated tile into C with the kernels' epilogue.</summary>
    public static void Merge(float* tile, int ldt, float* c, long ldc, int mr, int nr, float alpha, float beta, float* bias)
    {
        for (int r = 0; r < mr; r++)
        {
            float* cr = c + r * ldc;
            float* tr = tile + r * ldt;
            for (int j = 0; j < nr; j++)
            {
                float v = tr[j] * alpha;
                if (bias != null) v += bias[j];
                if (beta != 0f) v = MathF.FusedMultiplyAdd(beta, cr[j], v);
                cr[j] = v;
            }
        }
    }
}
