using Vitmix.Evaluation.MapMetrics;
using Vitmix.Explain;

namespace Vitmix.Tests.Evaluation;

/// <summary>The per-map localisation and complexity metrics on cases solved by hand.</summary>
public class MapMetricsTests
{
    const byte Void = 255;

    /// <summary>A 40-wide, 1-high strip: the maximum at x = 0 and one object pixel at x = <paramref name="objectAt"/>.</summary>
    static (float[] Map, byte[] Truth) Strip(int objectAt)
    {
        var map = new float[40];
        map[0] = 1;
        var truth = new byte[40];
        truth[objectAt] = 1;
        return (map, truth);
    }

    [Theory]
    [InlineData(14, true)]
    [InlineData(15, true)] // exactly at the tolerance: within
    [InlineData(16, false)]
    public void PointingGameHitsWithinTheToleranceAndMissesBeyond(int distance, bool hit)
    {
        var (map, truth) = Strip(distance);
        Assert.Equal(hit, PointingGame.Hit(map, truth, 1, 40, 15));
    }

    [Fact]
    public void PointingGameMeasuresEuclideanDistanceAndItsToleranceIsAnOption()
    {
        // Maximum at (0, 0), object at (9, 12): exactly 15 px away on a diagonal (Euclidean, not the 12 px of the larger offset).
        int h = 20, w = 20;
        var map = new float[h * w];
        map[0] = 1;
        var truth = new byte[h * w];
        truth[12 * w + 9] = 1;
        Assert.True(PointingGame.Hit(map, truth, h, w, 15));
        Assert.False(PointingGame.Hit(map, truth, h, w, 14.99));
        Assert.False(PointingGame.Hit(map, truth, h, w, 0));
        truth[0] = 1;
        Assert.True(PointingGame.Hit(map, truth, h, w, 0));
    }

    [Fact]
    public void PointingGameTakesTheFirstOfTiedMaximaAndSkipsVoid()
    {
        // Tied maxima at x = 0 and x = 39; the object is at 39: the first maximum (x = 0) is 39 px away → miss.
        var (map, truth) = Strip(39);
        map[39] = 1;
        Assert.False(PointingGame.Hit(map, truth, 1, 40, 15));
        // A larger value on a void pixel is not a candidate: the maximum is x = 0 again, and x = 5 is object.
        truth[20] = Void;
        map[20] = 5;
        truth[5] = 1;
        Assert.True(PointingGame.Hit(map, truth, 1, 40, 15));
        // Void pixels are not object either; without any object pixel there is no trial.
        Assert.Null(PointingGame.Hit(map, new byte[40].Select((_, i) => i == 3 ? Void : (byte)0).ToArray(), 1, 40, 15));
    }

    [Fact]
    public void EnergyPointingGameIsTheShareOfPositiveEnergyOnTheObject()
    {
        //               object      background  void  object(negative → 0)
        float[] map = [0.5f, 0.25f, 0.25f, 1f, 8f, -3f];
        byte[] truth = [1, 1, 0, 0, Void, 1];
        // inside 0.75, total 0.75 + 1.25 = 2 (the void 8 and the negative −3 count nowhere).
        Assert.Equal(0.375, EnergyPointingGame.Score(map, truth), 12);
        Assert.Equal(0.375, RelevanceMassAccuracy.Score(map, truth), 12);
        Assert.Equal(0, EnergyPointingGame.Score([0f, -1f], [1, 0]));
        Assert.True(double.IsNaN(EnergyPointingGame.Score([1f, 2f], [0, Void])));
    }

    [Fact]
    public void RelevanceRankAccuracyCountsTheTopGPixelsOnTheObject()
    {
        var scratch = new float[8];
        // |G| = 3; the top 3 values are 0.9 (object), 0.8 (background), 0.7 (object) → 2/3.
        float[] map = [0.9f, 0.8f, 0.7f, 0.1f, 0.6f, 5f];
        byte[] truth = [1, 0, 1, 1, 0, Void];
        Assert.Equal(2.0 / 3, RelevanceRankAccuracy.Score(map, truth, scratch), 12);
        // Ties at the K-th value are shared: top 2 of [1, 0.5, 0.5, 0.5] with G = {0, 3}: 1 + (1 slot)·(1 of 3 tied on G).
        Assert.Equal((1 + 1.0 / 3) / 2, RelevanceRankAccuracy.Score([1f, 0.5f, 0.5f, 0.5f], [1, 0, 0, 1], scratch), 12);
        // A constant map scores the object's share of the image, whatever the pixel order.
        Assert.Equal(0.25, RelevanceRankAccuracy.Score([2f, 2f, 2f, 2f], [0, 0, 1, 0], scratch), 12);
        Assert.True(double.IsNaN(RelevanceRankAccuracy.Score([1f], [0], scratch)));
    }

    [Fact]
    public void SparsenessIsTheGiniIndexOfTheMagnitudes()
    {
        var scratch = new float[8];
        Assert.Equal(0, Sparseness.Score([3f, 3f, 3f, 3f], [], scratch), 12);
        Assert.Equal(1 - 1.0 / 4, Sparseness.Score([0f, 0f, -7f, 0f], [], scratch), 12);
        // [1, 2, 3, 4]: Σ(2i − n − 1)c_i = −3 − 2 + 3 + 12 = 10, n Σc = 40 → 0.25.
        Assert.Equal(0.25, Sparseness.Score([4f, -1f, 3f, 2f], [], scratch), 12);
        // The void pixel is left out: [1, 1] → 0.
        Assert.Equal(0, Sparseness.Score([1f, 100f, 1f], [0, Void, 1], scratch), 12);
        Assert.Equal(0, Sparseness.Score([0f, 0f], [], scratch));
    }

    [Fact]
    public void ComplexityIsTheEntropyOfTheFractionalContributions()
    {
        Assert.Equal(Math.Log(5), Complexity.Score([2f, -2f, 2f, 2f, 2f], []), 12);
        Assert.Equal(0, Complexity.Score([0f, 0f, 9f, 0f], []), 12);
        // p = [1/4, 3/4]: −(¼ ln ¼ + ¾ ln ¾).
        Assert.Equal(-(0.25 * Math.Log(0.25) + 0.75 * Math.Log(0.75)), Complexity.Score([1f, -3f], []), 12);
        Assert.Equal(Math.Log(2), Complexity.Score([5f, 100f, 5f], [0, Void, 1]), 12);
        Assert.Equal(Math.Log(3), Complexity.Score([0f, 0f, 0f], []), 12);
    }

    [Fact]
    public void TheScorerUpsamplesTheGridAsTheMasksAre()
    {
        // A 2x2 grid with its maximum top-left, brought to 8x8; the object is the top-left quarter.
        var grid = new Heatmap([4f, 1f, 1f, 0f], 2, 2);
        var truth = new byte[64];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) truth[y * 8 + x] = 1;
        var normalized = Vitmix.Fusion.MapToMask.Normalize(grid, 8, 8);
        var s = new MapScorer(8, 8, pointingTolerance: 0).Score(grid, normalized, truth);
        Assert.Equal(1, s.PointingGame);
        var upsampled = Vitmix.Fusion.MapToMask.Upsample(grid, 8, 8);
        Assert.Equal(RelevanceMassAccuracy.Score(upsampled, truth), s.RelevanceMassAccuracy, 12);
        Assert.Equal(RelevanceRankAccuracy.Score(upsampled, truth, new float[64]), s.RelevanceRankAccuracy, 12);
        Assert.Equal(EnergyPointingGame.Score(normalized, truth), s.EnergyPointingGame, 12);
        Assert.Equal(Sparseness.Score(upsampled, truth, new float[64]), s.Sparseness, 12);
        Assert.Equal(Complexity.Score(upsampled, truth), s.Complexity, 12);
    }

    [Fact]
    public void ScoringAMapAllocatesNothing()
    {
        int h = 64, w = 64;
        var grid = new Heatmap([.. Enumerable.Range(0, 16).Select(i => (float)Math.Sin(i))], 4, 4);
        var normalized = Vitmix.Fusion.MapToMask.Normalize(grid, h, w);
        var truth = new byte[h * w];
        for (int i = 0; i < truth.Length; i++) truth[i] = (byte)(i % 7 == 0 ? 255 : i % 3 == 0 ? 1 : 0);
        var scorer = new MapScorer(h, w);
        scorer.Score(grid, normalized, truth); // JIT and first-call work outside the measurement
        long before = GC.GetAllocatedBytesForCurrentThread();
        scorer.Score(grid, normalized, truth);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
