namespace Vitmix.Engine;

/// <summary>
/// SwiGLU's gated product (Shazeer 2020), h = silu(g) ⊙ v with silu(g) = g·σ(g), over rows whose first half is the gate
/// g and second half the value v (timm GluMlp with gate_last=False, or SwiGLU's fc1_g and fc1_x stacked).
/// </summary>
public static class SwiGlu
{
    /// <summary>h (rows, hidden) from pre (rows, 2·hidden).</summary>
    public static void Forward(ReadOnlySpan<float> pre, Span<float> h, int rows, int hidden)
    {
        for (int r = 0; r < rows; r++)
        {
            var g = pre.Slice(r * 2 * hidden, hidden);
            var v = pre.Slice(r * 2 * hidden + hidden, hidden);
            var o = h.Slice(r * hidden, hidden);
            for (int j = 0; j < hidden; j++) o[j] = Silu(g[j]) * v[j];
        }
    }

    /// <summary>d pre (rows, 2·hidden) from d h (rows, hidden): dg = dh·v·silu′(g), dv = dh·silu(g).</summary>
    public static void Backward(ReadOnlySpan<float> pre, ReadOnlySpan<float> dh, Span<float> dPre, int rows, int hidden)
    {
        for (int r = 0; r < rows; r++)
        {
            var g = pre.Slice(r * 2 * hidden, hidden);
            var v = pre.Slice(r * 2 * hidden + hidden, hidden);
            var d = dh.Slice(r * hidden, hidden);
            var dg = dPre.Slice(r * 2 * hidden, hidden);
            var dv = dPre.Slice(r * 2 * hidden + hidden, hidden);
            for (int j = 0; j < hidden; j++)
            {
                float s = Sigmoid(g[j]);
                dg[j] = d[j] * v[j] * s * (1f + g[j] * (1f - s));
                dv[j] = d[j] * g[j] * s;
            }
        }
    }

    /// <summary>g·σ(g).</summary>
    public static float Silu(float g) => g * Sigmoid(g);

    static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
