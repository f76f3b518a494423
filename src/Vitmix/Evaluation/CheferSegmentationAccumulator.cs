using Vitmix.Fusion.Thresholds;

namespace Vitmix.Evaluation;

/// <summary>Dataset-level results of Chefer et al.'s (2021) ImageNet-segmentation protocol.</summary>
public sealed record CheferSegmentationResult(int Images, double PixelAccuracy, double MeanIou, double BackgroundIou, double ForegroundIou, double MeanAveragePrecision);

/// <summary>
/// Chefer, Gur &amp; Wolf (2021), imagenet_seg_eval: the map normalised to [0, 1] is thresholded at its mean
/// (m &gt; mean); pixel accuracy and the IoU of both classes {background, foreground} are pooled over the whole dataset
/// (intersections and unions summed, then divided), mIoU is their mean; AP is computed per image on the scores
/// [1 − m, m] against the one-hot ground truth (both channels flattened together, as the reference) and averaged.
/// Void pixels (255) are excluded from everything.
/// </summary>
public sealed class CheferSegmentationAccumulator
{
    long correct, labeled;
    readonly long[] inter = new long[2], union = new long[2];
    double apSum;
    int images;

    /// <summary>Adds one image: its normalised map and ground truth (0/1/255), same pixels.</summary>
    public void Add(ReadOnlySpan<float> normalized, ReadOnlySpan<byte> truth)
    {
        if (normalized.Length != truth.Length) throw new ArgumentException($"map has {normalized.Length} pixels, ground truth {truth.Length}");
        var mask = new byte[normalized.Length];
        new MeanThreshold().Apply(normalized, mask);
        Add(ConfusionCounts.Count(mask, truth), AveragePrecisionOf(normalized, truth));
    }

    /// <summary>
    /// Adds one image by what the protocol keeps of it: the confusion counts of its mean-thresholded mask (void
    /// excluded) and its <see cref="AveragePrecisionOf"/>. An evaluation run stores both per row, so a summary
    /// of merged shards pools exactly what one pass over the maps would.
    /// </summary>
    public void Add(ConfusionCounts countsAtMean, double averagePrecision)
    {
        // Foreground is class 1 (TP on the object), background class 0 (TN: both say background).
        correct += countsAtMean.TruePositive + countsAtMean.TrueNegative;
        labeled += countsAtMean.Valid;
        inter[1] += countsAtMean.TruePositive;
        inter[0] += countsAtMean.TrueNegative;
        long wrong = countsAtMean.FalsePositive + countsAtMean.FalseNegative;
        union[1] += countsAtMean.TruePositive + wrong;
        union[0] += countsAtMean.TrueNegative + wrong;
        apSum += averagePrecision;
        images++;
    }

    /// <summary>
    /// The image's AP: scores [1 − m, m] of the non-void pixels against the one-hot ground truth, both channels
    /// flattened together (channel 0 = background first, as the reference).
    /// </summary>
    public static double AveragePrecisionOf(ReadOnlySpan<float> normalized, ReadOnlySpan<byte> truth)
    {
        if (normalized.Length != truth.Length) throw new ArgumentException($"map has {normalized.Length} pixels, ground truth {truth.Length}");
        int valid = 0;
        foreach (byte g in truth) if (g != 255) valid++;
        var scores = new float[2 * valid];
        var labels = new byte[2 * valid];
        int k = 0;
        for (int i = 0; i < normalized.Length; i++)
        {
            byte g = truth[i];
            if (g == 255) continue;
            int gc = g != 0 ? 1 : 0;
            scores[k] = 1f - normalized[i]; labels[k] = (byte)(1 - gc);
            scores[valid + k] = normalized[i]; labels[valid + k] = (byte)gc;
            k++;
        }
        return AveragePrecision.Compute(scores, labels);
    }

    /// <summary>The dataset-level results over the images added so far; every ratio is 0 before the first image.</summary>
    public CheferSegmentationResult Result()
    {
        double iou0 = union[0] > 0 ? (double)inter[0] / union[0] : 0, iou1 = union[1] > 0 ? (double)inter[1] / union[1] : 0;
        return new CheferSegmentationResult(images, labeled > 0 ? (double)correct / labeled : 0, (iou0 + iou1) / 2, iou0, iou1,
            images > 0 ? apSum / images : 0);
    }
}
