using System.Runtime.Intrinsics;

namespace Vitmix.Engine;

/// <summary>
/// GELU in its tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (Hendrycks and Gimpel 2016), PyTorch's
/// GELU(approximate='tanh'): SigLIP's activation (transformers "gelu_pytorch_tanh", timm act_layer='gelu_tanh').
/// tanh(u) is computed as 1 − 2/(exp(2u) + 1), which saturates to ±1 without overflow.
/// </summary>
public static unsafe class GeluTanh
{
    const float C = 0.7978845608028654f, K = 0.044715f, Saturation = 20f;

    /// <summary>y = GELU_tanh(x); y may alias x. Large inputs use both threads.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => TeamFor.Activation(x, y, &ForwardRange);

    /// <summary>dx = dy · GELU_tanh′(x); dx may alias dy.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) => TeamFor.ActivationBackward(x, dy, dx, &BackwardRange);

    static void ForwardRange(in RangeArgs a, int start, int end)
    {
        float* x = a.P0, y = a.P1;
        int i = start;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= end; i += 8)
            {
                var v = Vector256.Load(x + i);
                Vector256.Store(Vector256.Create(0.5f) * v * (Vector256<float>.One + Tanh(v)), y + i);
            }
        for (; i < end; i++)
        {
            float v = x[i];
            y[i] = 0.5f * v * (1f + TanhScalar(v));
        }
    }

    static void BackwardRange(in RangeArgs a, int start, int end)
    {
        float* x = a.P0, dy = a.P1, dx = a.P2;
        int i = start;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= end; i += 8)
            {
                // past ±20 tanh is ±1 in float and the slope 1 or 0: clamping keeps x³ from overflowing into 0·∞
                var v = Vector256.Clamp(Vector256.Load(x + i), Vector256.Create(-Saturation), Vector256.Create(Saturation));
                var t = Tanh(v);
                var inner = Vector256.Create(C) * Vector256.FusedMultiplyAdd(Vector256.Create(3f * K) * v, v, Vector256<float>.One);
                var half = Vector256.Create(0.5f);
                var slope = half * (Vector256<float>.One + t) + half * v * (Vector256<float>.One - t * t) * inner;
                Vector256.Store(Vector256.Load(dy + i) * slope, dx + i);
            }
        for (; i < end; i++)
        {
            float v = Math.Clamp(x[i], -Saturation, Saturation), t = TanhScalar(v);
            float slope = 0.5f * (1f + t) + 0.5f * v * (1f - t * t) * C * (1f + 3f * K * v * v);
            dx[i] = dy[i] * slope;
        }
    }

    // tanh(√(2/π)(x + 0.044715x³)) = 1 − 2/(exp(2u) + 1)
    static Vector256<float> Tanh(Vector256<float> x)
    {
        var u = Vector256.Create(C) * Vector256.FusedMultiplyAdd(Vector256.Create(K) * x * x, x, x);
        return Vector256<float>.One - Vector256.Create(2f) / (Vector256.Exp(Vector256.Create(2f) * u) + Vector256<float>.One);
    }

    static float TanhScalar(float x)
    {
        float u = C * MathF.FusedMultiplyAdd(K * x * x, x, x);
        return 1f - 2f / (MathF.Exp(2f * u) + 1f);
    }
}
