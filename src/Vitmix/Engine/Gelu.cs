namespace Vitmix.Engine;

/// <summary>
/// Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)), PyTorch's default (approximate='none').
/// </summary>
public static class Gelu
{
    const double InvSqrt2 = 0.70710678118654752440;
    const double InvSqrt2Pi = 0.39894228040143267794;

    public static void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            y[i] = (float)(0.5 * v * (1.0 + Erf.Evaluate(v * InvSqrt2)));
        }
    }

    /// <summary>dx = dy · (Φ(x) + x·φ(x)).</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            double cdf = 0.5 * (1.0 + Erf.Evaluate(v * InvSqrt2));
            double pdf = InvSqrt2Pi * Math.Exp(-0.5 * v * v);
            dx[i] = (float)(dy[i] * (cdf + v * pdf));
        }
    }
}
