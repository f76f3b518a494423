namespace Vitmix.Evaluation;

/// <summary>How a ratio with a zero denominator is reported.</summary>
public enum ZeroDivision
{
    /// <summary>methods.md: when prediction and ground truth are both empty every metric is 1 (a perfect answer); any other 0/0 is 0.</summary>
    BothEmptyIsPerfect,
    /// <summary>The ViTmiX script and the golden manifests: every 0/0 is 0 (IoU of two empty masks is 0).</summary>
    Zero,
}

/// <summary>
/// Pixel counts of a binary prediction against a ground-truth mask, void pixels (label 255) excluded from everything.
/// Counts add, so a dataset-level (pooled) metric is the metric of the summed counts.
/// </summary>
public readonly record struct ConfusionCounts(long TruePositive, long FalsePositive, long FalseNegative, long TrueNegative)
{
    /// <summary>Non-void pixels.</summary>
    public long Valid => TruePositive + FalsePositive + FalseNegative + TrueNegative;
    /// <summary>Pixels predicted object, |P| = TP + FP.</summary>
    public long Predicted => TruePositive + FalsePositive;
    /// <summary>Pixels that are object in the ground truth, |G| = TP + FN.</summary>
    public long Actual => TruePositive + FalseNegative;

    /// <summary>
    /// Counts <paramref name="predicted"/> (non-zero = object) against <paramref name="truth"/> (0 background,
    /// 1 (or any value but 255) object, 255 void).
    /// </summary>
    public static ConfusionCounts Count(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, byte voidLabel = 255)
    {
        if (predicted.Length != truth.Length)
            throw new ArgumentException($"prediction has {predicted.Length} pixels, ground truth {truth.Length}: the masks must be the same size");
        long tp = 0, fp = 0, fn = 0, tn = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            byte g = truth[i];
            if (g == voidLabel) continue;
            bool p = predicted[i] != 0;
            if (g != 0) { if (p) tp++; else fn++; }
            else if (p) fp++; else tn++;
        }
        return new ConfusionCounts(tp, fp, fn, tn);
    }

    /// <summary>The counts of two masks pooled, field by field.</summary>
    public static ConfusionCounts operator +(ConfusionCounts a, ConfusionCounts b) =>
        new(a.TruePositive + b.TruePositive, a.FalsePositive + b.FalsePositive, a.FalseNegative + b.FalseNegative, a.TrueNegative + b.TrueNegative);

    bool BothEmpty => Predicted == 0 && Actual == 0;

    double Ratio(long num, long den, ZeroDivision zd) =>
        den != 0 ? (double)num / den : zd == ZeroDivision.BothEmptyIsPerfect && BothEmpty ? 1.0 : 0.0;

    /// <summary>Jaccard index TP / (TP + FP + FN).</summary>
    public double Iou(ZeroDivision zd = ZeroDivision.BothEmptyIsPerfect) => Ratio(TruePositive, TruePositive + FalsePositive + FalseNegative, zd);

    /// <summary>Dice / F1 = 2TP / (2TP + FP + FN) = 2·IoU / (1 + IoU).</summary>
    public double F1(ZeroDivision zd = ZeroDivision.BothEmptyIsPerfect) => Ratio(2 * TruePositive, 2 * TruePositive + FalsePositive + FalseNegative, zd);

    /// <summary>True pixel accuracy (TP + TN) / valid pixels.</summary>
    public double PixelAccuracy(ZeroDivision zd = ZeroDivision.BothEmptyIsPerfect) => Ratio(TruePositive + TrueNegative, Valid, zd);

    /// <summary>TP / |G|: what the ViTmiX script (and the golden manifests) call "pixel accuracy".</summary>
    public double Recall(ZeroDivision zd = ZeroDivision.BothEmptyIsPerfect) => Ratio(TruePositive, Actual, zd);

    /// <summary>TP / |P|.</summary>
    public double Precision(ZeroDivision zd = ZeroDivision.BothEmptyIsPerfect) => Ratio(TruePositive, Predicted, zd);

    /// <summary>All five metrics at once.</summary>
    public SegmentationScores Scores(ZeroDivision zd = ZeroDivision.BothEmptyIsPerfect) =>
        new(Iou(zd), F1(zd), PixelAccuracy(zd), Recall(zd), Precision(zd));
}

/// <summary>Per-image segmentation metrics of a binary mask (see <see cref="ConfusionCounts"/>).</summary>
public readonly record struct SegmentationScores(double Iou, double F1, double PixelAccuracy, double Recall, double Precision)
{
    /// <summary>Scores of <paramref name="predicted"/> against <paramref name="truth"/> (void 255 excluded).</summary>
    public static SegmentationScores Of(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, ZeroDivision zd = ZeroDivision.BothEmptyIsPerfect) =>
        ConfusionCounts.Count(predicted, truth).Scores(zd);
}
