using Vitmix.Data.Synthetic;

namespace Vitmix.Tests.Data.Synthetic;

public class DeterministicMathTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(Math.PI / 4)]
    [InlineData(Math.PI / 2)]
    [InlineData(2.0)]
    [InlineData(Math.PI)]
    [InlineData(4.5)]
    [InlineData(2 * Math.PI - 1e-9)]
    [InlineData(-1.0)]
    [InlineData(-7.25)]
    [InlineData(100.0)]
    public void SinCos_AgreesWithMath(double x)
    {
        var (s, c) = DeterministicMath.SinCos(x);
        Assert.Equal(Math.Sin(x), s, 1e-14);
        Assert.Equal(Math.Cos(x), c, 1e-14);
    }
}
