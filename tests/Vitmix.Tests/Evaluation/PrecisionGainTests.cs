using Vitmix.Evaluation;

namespace Vitmix.Tests.Evaluation;

public class PrecisionGainTests
{
    [Fact]
    public void RatesPredictionsAndMeasuredPrecisionByHand()
    {
        // 4 object pixels, 4 background pixels, one void.
        byte[] truth = [1, 1, 1, 1, 0, 0, 0, 0, 255];
        byte[] a = [1, 1, 1, 0, 1, 1, 0, 0, 1]; // p = 3/4, q = 2/4
        byte[] b = [1, 1, 0, 1, 0, 1, 1, 0, 1]; // p = 3/4, q = 2/4
        var pg = new PrecisionGainAnalysis(["a", "b"]);
        pg.Add(new Dictionary<string, byte[]> { ["a"] = a, ["b"] = b }, truth);
        var rates = pg.Rates();
        Assert.Equal(0.75, rates[0].P); Assert.Equal(0.5, rates[0].Q); Assert.Equal(0.6, rates[0].Precision);
        var row = Assert.Single(pg.Rows());
        Assert.Equal(["a", "b"], row.Methods);
        // Equal priors: p²/(p² + q²) = 0.5625 / 0.8125; prior π = 1/2 gives the same.
        Assert.Equal(0.5625 / 0.8125, row.PredictedEqualPrior, 12);
        Assert.Equal(0.5625 / 0.8125, row.PredictedWithPrior, 12);
        // Intersection: pixels 0, 1 (object) and 5 (background) → 2/3.
        Assert.Equal(2.0 / 3, row.Measured, 12);
        Assert.Equal(3, row.IntersectionPixels);
        Assert.Equal(0.6, row.BestSingleMeasured, 12);
    }

    [Fact]
    public void PriorWeightsThePrediction()
    {
        byte[] truth = [1, 0, 0, 0];
        byte[] m = [1, 1, 0, 0]; // p = 1, q = 1/3, π = 1/4
        var pg = new PrecisionGainAnalysis(["x", "y"], [["x", "y"]]);
        pg.Add(new Dictionary<string, byte[]> { ["x"] = m, ["y"] = m }, truth);
        var row = pg.Rows().Single();
        Assert.Equal(1 / (1 + 1.0 / 9), row.PredictedEqualPrior, 12);
        Assert.Equal(0.25 / (0.25 + 0.75 / 9), row.PredictedWithPrior, 12);
        Assert.Equal(0.5, row.Measured, 12);
        Assert.Throws<ArgumentException>(() => new PrecisionGainAnalysis(["x"], [["x", "z"]]));
    }
}
