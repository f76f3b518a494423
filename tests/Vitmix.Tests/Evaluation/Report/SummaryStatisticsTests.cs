using Vitmix.Evaluation.Report;

namespace Vitmix.Tests.Evaluation.Report;

public class SummaryStatisticsTests
{
    [Theory] // two-sided 95% critical values from standard t tables
    [InlineData(1, 12.7062)]
    [InlineData(2, 4.3027)]
    [InlineData(3, 3.1824)]
    [InlineData(5, 2.5706)]
    [InlineData(10, 2.2281)]
    [InlineData(30, 2.0423)]
    [InlineData(120, 1.9799)]
    [InlineData(100000, 1.9600)]
    public void TQuantileMatchesTables(int df, double expected)
    {
        Assert.Equal(expected, SummaryStatistics.StudentTQuantile(0.95, df), 3);
    }

    [Fact]
    public void TQuantileAt99Percent()
    {
        Assert.Equal(63.657, SummaryStatistics.StudentTQuantile(0.99, 1), 2);
        Assert.Equal(3.169, SummaryStatistics.StudentTQuantile(0.99, 10), 3);
    }

    [Fact]
    public void CentralProbabilityClosedForms()
    {
        // ν = 1 is Cauchy: P(|T| ≤ 1) = 1/2; ν = 2: P(|T| ≤ t) = t/√(2+t²).
        Assert.Equal(0.5, SummaryStatistics.StudentTCentralProbability(1, 1), 12);
        Assert.Equal(3 / Math.Sqrt(11), SummaryStatistics.StudentTCentralProbability(3, 2), 12);
    }

    [Fact]
    public void MeanAndIntervalByHand()
    {
        // values 1,2,3,4,5: mean 3, s = √2.5, half-width = t(0.975,4)=2.7764 · √2.5/√5
        var r = SummaryStatistics.MeanWithInterval([1.0, 2, 3, 4, 5, double.NaN]);
        Assert.Equal(5, r.N);
        Assert.Equal(3, r.Mean, 12);
        Assert.Equal(Math.Sqrt(2.5), r.StandardDeviation, 12);
        double half = 2.7764 * Math.Sqrt(2.5) / Math.Sqrt(5);
        Assert.Equal(3 - half, r.Low, 3);
        Assert.Equal(3 + half, r.High, 3);
        Assert.Equal(half, r.HalfWidth, 3);
    }

    [Fact]
    public void DegenerateCounts()
    {
        var none = SummaryStatistics.MeanWithInterval(Array.Empty<double>());
        Assert.Equal(0, none.N);
        Assert.True(double.IsNaN(none.Mean));
        var one = SummaryStatistics.MeanWithInterval([0.7]);
        Assert.Equal(0.7, one.Mean);
        Assert.True(double.IsNaN(one.Low) && double.IsNaN(one.High));
        Assert.Throws<ArgumentOutOfRangeException>(() => SummaryStatistics.MeanWithInterval([1.0, 2], confidence: 1.5));
    }
}
