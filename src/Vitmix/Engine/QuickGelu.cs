using System.Runtime.Intrinsics;

namespace Vitmix.Engine;

/// <summary>
/// QuickGELU, x·σ(1.702·x), the sigmoid approximation of GELU (Hendrycks and Gimpel 2016, §2) that OpenAI's CLIP
/// (Radford et al. 2021) was trained with; open_clip's QuickGELU, transformers' ACT2FN["quick_gelu"], timm's
/// act_layer='quick_gelu'. Checkpoints trained with it must run with it: the exact GELU differs by up to 0.02.
/// </summary>
public static unsafe class QuickGelu
{
    /// <summary>The slope inside the sigmoid.</summary>
    public const float Slope = 1.702f;

    /// <summary>y = x·σ(1.702·x); y may alias x. Large inputs use both threads.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => TeamFor.Activation(x, y, &ForwardRange);

    /// <summary>dx = dy · (σ(1.702x) + 1.702·x·σ(1.702x)·(1 − σ(1.702x))); dx may alias dy.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) => TeamFor.ActivationBackward(x, dy, dx, &BackwardRange);

    static void ForwardRange(in RangeArgs a, int start, int end)
    {
        float* x = a.P0, y = a.P1;
        int i = start;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= end; i += 8)
            {
                var v = Vector256.Load(x + i);
                Vector256.Store(v * Sigmoid(v), y + i);
            }
        for (; i < end; i++)
        {
            float v = x[i];
            y[i] = v * SigmoidScalar(v);
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
                var s = Sigmoid(v);
                var slope = Vector256.Create(Slope) * v * (Vector256<float>.One - s);
                Vector256.Store(Vector256.Load(dy + i) * Vector256.FusedMultiplyAdd(s, slope, s), dx + i);
            }
        for (; i < end; i++)
        {
            float v = x[i], s = SigmoidScalar(v);
            dx[i] = dy[i] * MathF.FusedMultiplyAdd(s, Slope * v * (1f - s), s);
        }
    }

    // σ(1.702x) = 1 / (1 + exp(−1.702x)); exp overflows to +∞ for very negative x, which gives σ = 0 as it should.
    static Vector256<float> Sigmoid(Vector256<float> x) =>
        Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(Vector256.Create(-Slope) * x));

    static float SigmoidScalar(float x) => 1f / (1f + MathF.Exp(-Slope * x));
}
