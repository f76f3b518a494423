using Vitmix.Engine;

namespace Vitmix.Tests.Engine;

/// <summary>The QuickGELU kernel against its naive twin, x·σ(1.702x) in double precision, and its derivative against finite differences.</summary>
public class QuickGeluTests
{
    static double Naive(double x) => x / (1 + Math.Exp(-1.702 * x));

    [Fact]
    public void ForwardAndBackwardMatchTheNaiveTwin()
    {
        var rng = new Random(3);
        // lengths that exercise the vector body and the scalar tail, values that reach saturation
        foreach (int n in new[] { 1, 7, 8, 19, 1000 })
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 24 - 12)).ToArray();
            var y = new float[n];
            QuickGelu.Forward(x, y);
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(y[i] - Naive(x[i])) <= 1e-5 * Math.Max(1, Math.Abs(x[i])), $"y({x[i]}) = {y[i]}, expected {Naive(x[i])}");

            var dy = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var dx = new float[n];
            QuickGelu.Backward(x, dy, dx);
            for (int i = 0; i < n; i++)
            {
                double h = 1e-4, slope = (Naive(x[i] + h) - Naive(x[i] - h)) / (2 * h);
                Assert.True(Math.Abs(dx[i] - dy[i] * slope) <= 1e-4, $"dx({x[i]}) = {dx[i]}, expected {dy[i] * slope}");
            }
        }
    }

    [Fact]
    public void ExtremeInputsStayFinite()
    {
        float[] x = [-1e30f, -200f, 200f, 1e30f, 0f, -0f, -90f, 90f, 1f];
        var y = new float[x.Length];
        var dx = new float[x.Length];
        QuickGelu.Forward(x, y);
        QuickGelu.Backward(x, Enumerable.Repeat(1f, x.Length).ToArray(), dx);
        Assert.True(FiniteCheck.IndexOfNonFinite(y) < 0);
        Assert.True(FiniteCheck.IndexOfNonFinite(dx) < 0);
    }
}
