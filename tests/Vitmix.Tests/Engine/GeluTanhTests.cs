using Vitmix.Engine;

namespace Vitmix.Tests.Engine;

/// <summary>The tanh-GELU kernel against its naive twin in double precision (PyTorch's approximate='tanh'), and its derivative against finite differences.</summary>
public class GeluTanhTests
{
    static double Naive(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    [Fact]
    public void ForwardAndBackwardMatchTheNaiveTwin()
    {
        var rng = new Random(4);
        foreach (int n in new[] { 1, 7, 8, 19, 1000 })
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 16 - 8)).ToArray();
            var y = new float[n];
            GeluTanh.Forward(x, y);
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(y[i] - Naive(x[i])) <= 2e-6 * Math.Max(1, Math.Abs(x[i])), $"y({x[i]}) = {y[i]}, expected {Naive(x[i])}");

            var dy = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var dx = new float[n];
            GeluTanh.Backward(x, dy, dx);
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
        float[] x = [-1e30f, -200f, 200f, 1e30f, 0f, -0f, -30f, 30f];
        var y = new float[x.Length];
        var dx = new float[x.Length];
        GeluTanh.Forward(x, y);
        GeluTanh.Backward(x, Enumerable.Repeat(1f, x.Length).ToArray(), dx);
        Assert.True(FiniteCheck.IndexOfNonFinite(y) < 0, string.Join(", ", y));
        Assert.True(FiniteCheck.IndexOfNonFinite(dx) < 0, string.Join(", ", dx));
    }
}
