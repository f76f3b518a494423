using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Vitmix.Engine;

/// <summary>
/// Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)), PyTorch's default (approximate='none').
/// </summary>
/// <remarks>
/// erf is the Abramowitz-Stegun 7.1.26 rational approximation (absolute error ≤ 1.5e-7), the same
/// one PyTorch's vectorised CPU GELU uses; <see cref="Erf.Evaluate"/> is the double-precision reference.
/// </remarks>
public static unsafe class Gelu
{
    const float InvSqrt2 = 0.70710678118654752440f;
    const float InvSqrt2Pi = 0.39894228040143267794f;
    const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    /// <summary>y = GELU(x); y may alias x. Large inputs use both threads.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => TeamFor.Activation(x, y, &ForwardRange);

    /// <summary>dx = dy · (Φ(x) + x·φ(x)); dx may alias dy.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) => TeamFor.ActivationBackward(x, dy, dx, &BackwardRange);

    static void ForwardRange(in RangeArgs a, int start, int end)
    {
        float* x = a.P0, y = a.P1;
        int i = start;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= end; i += 8)
            {
                var v = Vector256.Load(x + i);
                var (cdf, _) = Cdf(v);
                Vector256.Store(v * cdf, y + i);
            }
        for (; i < end; i++)
        {
            float v = x[i];
            y[i] = v * CdfScalar(v, out _);
        }
    }

    static void BackwardRange(in RangeArgs a, int start, int end)
    {
        float* x = a.P0, dy = a.P1, dx = a.P2;
        int i = start;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= end; i += 8)
            {
                var v = Vector256.Load(x + i);
                var (cdf, gauss) = Cdf(v);
                var pdf = gauss * Vector256.Create(InvSqrt2Pi);
                Vector256.Store(Vector256.Load(dy + i) * Vector256.FusedMultiplyAdd(v, pdf, cdf), dx + i);
            }
        for (; i < end; i++)
        {
            float v = x[i];
            float cdf = CdfScalar(v, out float gauss);
            dx[i] = dy[i] * MathF.FusedMultiplyAdd(v, gauss * InvSqrt2Pi, cdf);
        }
    }

    /// <summary>Φ(x) and exp(-x²/2), eight lanes at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector256<float> Cdf, Vector256<float> Gauss) Cdf(Vector256<float> x)
    {
        var z = Vector256.Abs(x) * Vector256.Create(InvSqrt2);
        var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(Vector256.Create(P), z, Vector256<float>.One);
        var poly = Vector256.FusedMultiplyAdd(Vector256.Create(A5), t, Vector256.Create(A4));
        poly = Vector256.FusedMultiplyAdd(poly, t, Vector256.Create(A3));
        poly = Vector256.FusedMultiplyAdd(poly, t, Vector256.Create(A2));
        poly = Vector256.FusedMultiplyAdd(poly, t, Vector256.Create(A1));
        poly *= t;
        var gauss = Vector256.Exp(-(z * z));
        var erfAbs = Vector256<float>.One - poly * gauss;
        // erf is odd: flip the sign for negative inputs.
        var erf = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -erfAbs, erfAbs);
        return (Vector256.Create(0.5f) * (Vector256<float>.One + erf), gauss);
    }

    static float CdfScalar(float x, out float gauss)
    {
        float z = MathF.Abs(x) * InvSqrt2;
        float t = 1f / MathF.FusedMultiplyAdd(P, z, 1f);
        float poly = MathF.FusedMultiplyAdd(A5, t, A4);
        poly = MathF.FusedMultiplyAdd(poly, t, A3);
        poly = MathF.FusedMultiplyAdd(poly, t, A2);
        poly = MathF.FusedMultiplyAdd(poly, t, A1);
        poly *= t;
        gauss = MathF.Exp(-(z * z));
        float erfAbs = 1f - poly * gauss;
        float erf = x < 0 ? -erfAbs : erfAbs;
        return 0.5f * (1f + erf);
    }
}
