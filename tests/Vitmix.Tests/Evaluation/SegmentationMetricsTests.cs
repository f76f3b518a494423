using Vitmix.Evaluation;

namespace Vitmix.Tests.Evaluation;

public class SegmentationMetricsTests
{
    [Fact]
    public void VoidPixelsAreExcludedFromEveryCount()
    {
        //            TP  FP  FN  TN  void(pred 1) void(pred 0)
        byte[] pred = [1, 1, 0, 0, 1, 0, 1, 0];
        byte[] gt = [1, 0, 1, 0, 255, 255, 1, 0];
        var c = ConfusionCounts.Count(pred, gt);
        Assert.Equal(new ConfusionCounts(2, 1, 1, 2), c);
        var s = c.Scores();
        Assert.Equal(2.0 / 4, s.Iou);
        Assert.Equal(4.0 / 6, s.F1);
        Assert.Equal(4.0 / 6, s.PixelAccuracy);
        Assert.Equal(2.0 / 3, s.Recall);
        Assert.Equal(2.0 / 3, s.Precision);
        Assert.Equal(2 * s.Iou / (1 + s.Iou), s.F1, 12);
    }

    [Fact]
    public void EmptyMasksFollowTheChosenZeroDivisionPolicy()
    {
        byte[] none = [0, 0, 255];
        var both = ConfusionCounts.Count(none, none);
        Assert.Equal(new SegmentationScores(1, 1, 1, 1, 1), both.Scores());
        // Pixel accuracy is (TP + TN) / valid = 2/2, never 0/0 while a valid pixel exists.
        Assert.Equal(new SegmentationScores(0, 0, 1, 0, 0), both.Scores(ZeroDivision.Zero));
        // Only the prediction is empty: recall 0, precision 0/0 is not "both empty" → 0.
        var missed = ConfusionCounts.Count([0, 0], [1, 0]);
        Assert.Equal(0, missed.Iou()); Assert.Equal(0, missed.Recall()); Assert.Equal(0, missed.Precision());
        Assert.Equal(0.5, missed.PixelAccuracy());
    }

    [Fact]
    public void CountsAddForPooledMetrics()
    {
        var a = ConfusionCounts.Count([1, 0], [1, 1]);
        var b = ConfusionCounts.Count([1, 1], [0, 1]);
        Assert.Equal(new ConfusionCounts(2, 1, 1, 0), a + b);
        Assert.Throws<ArgumentException>(() => ConfusionCounts.Count([1], [1, 0]));
    }

    [Fact]
    public void AveragePrecisionMatchesScikitLearnExamples()
    {
        // sklearn's documented example: average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333...
        Assert.Equal(0.8333333333333333, AveragePrecision.Compute([0.1f, 0.4f, 0.35f, 0.8f], [0, 0, 1, 1]), 12);
        // Ties form one step: at 0.5 P = 1/2, R = 1/2; at 0.2 P = 2/3, R = 1 → 0.25 + 1/3.
        Assert.Equal(0.25 + 1.0 / 3, AveragePrecision.Compute([0.5f, 0.5f, 0.2f], [1, 0, 1]), 12);
        Assert.Equal(0, AveragePrecision.Compute([0.5f, 0.2f], [0, 0]));
    }

    [Fact]
    public void CheferProtocolPoolsCountsAndAveragesAp()
    {
        var acc = new CheferSegmentationAccumulator();
        // Image 1: mean of [0, 0.2, 0.9, 1] is 0.525 → prediction [0, 0, 1, 1]; truth [0, 1, 1, 1].
        acc.Add([0f, 0.2f, 0.9f, 1f], [0, 1, 1, 1]);
        // Image 2: mean 0.5 → prediction [1, 0]; truth [1, 0] plus a void pixel that must not count.
        acc.Add([1f, 0f, 0.3f], [1, 0, 255]);
        var r = acc.Result();
        Assert.Equal(2, r.Images);
        Assert.Equal(5.0 / 6, r.PixelAccuracy, 12);
        // Background: inter 1 + 1, union 2 + 1; foreground: inter 2 + 1, union 3 + 1.
        Assert.Equal(2.0 / 3, r.BackgroundIou, 12);
        Assert.Equal(3.0 / 4, r.ForegroundIou, 12);
        Assert.Equal((2.0 / 3 + 3.0 / 4) / 2, r.MeanIou, 12);
        // Image 1 AP over scores [1, .8, .1, 0 | 0, .2, .9, 1] vs labels [1, 0, 0, 0 | 0, 1, 1, 1]:
        // descending 1 (two tied positives) → P 1, R 2/4; 0.9 (+) P 1, R 3/4; 0.8 (−) adds nothing; 0.2 (+) P 4/5, R 1.
        double ap1 = 0.5 * 1 + 0.25 * 1 + 0.25 * (4.0 / 5);
        // Image 2 is separated perfectly: AP 1.
        Assert.Equal((ap1 + 1) / 2, r.MeanAveragePrecision, 12);
    }
}
