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
        double sum = 0;
        foreach (float v in normalized) sum += v;
        float mean = normalized.IsEmpty ? 0f : (float)(sum / normalized.Length);
        int valid = 0;
        foreach (byte g in truth) if (g != 255) valid++;
        var scores = new float[2 * valid];
        var labels = new byte[2 * valid];
        int k = 0;
        for (int i = 0; i < normalized.Length; i++)
        {
            byte g = truth[i];
            if (g == 255) continue;
            int gc = g != 0 ? 1 : 0, pc = normalized[i] > mean ? 1 : 0;
            labeled++;
            if (gc == pc) { correct++; inter[gc]++; union[gc]++; }
            else { union[0]++; union[1]++; }
            // Channel 0 (background) scores 1 − m, channel 1 (foreground) scores m; flattened channel-first.
            scores[k] = 1f - normalized[i]; labels[k] = (byte)(1 - gc);
            scores[valid + k] = normalized[i]; labels[valid + k] = (byte)gc;
            k++;
        }
        apSum += AveragePrecision.Compute(scores, labels);
        images++;
    }

    /// <summary>The dataset-level results over the images added so far; every ratio is 0 before the first image.</summary>
    public CheferSegmentationResult Result()
    {
        double iou0 = union[0] > 0 ? (double)inter[0] / union[0] : 0, iou1 = union[1] > 0 ? (double)inter[1] / union[1] : 0;
        return new CheferSegmentationResult(images, labeled > 0 ? (double)correct / labeled : 0, (iou0 + iou1) / 2, iou0, iou1,
            images > 0 ? apSum / images : 0);
    }
}
