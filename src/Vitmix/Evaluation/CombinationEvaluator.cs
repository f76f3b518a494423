using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;

namespace Vitmix.Evaluation;

/// <summary>One map on one image: the fused grid, its mask at image resolution and, with ground truth, the counts.</summary>
/// <param name="Id">Which map: methods, fusion rule with weights, threshold.</param>
/// <param name="Grid">The fused grid map (the method's own map for a single one).</param>
/// <param name="Mask">The map at image resolution, normalised, and its thresholded mask.</param>
/// <param name="Counts">Confusion counts against the ground truth, when one was given.</param>
public sealed record CombinationResult(MapId Id, Heatmap Grid, MaskResult Mask, ConfusionCounts? Counts)
{
    /// <summary>The methods, rule and weights of <see cref="Id"/>.</summary>
    public FusionSpec Spec => Id.Spec;

    /// <summary>The five metrics of <see cref="Counts"/>, or null without ground truth.</summary>
    public SegmentationScores? Scores(ZeroDivision zd = ZeroDivision.BothEmptyIsPerfect) => Counts?.Scores(zd);
}

/// <summary>
/// The per-image chain the CLI needs: for every spec fuse the method maps, upsample and normalise to the mask size,
/// threshold, and score against the ground truth when one is given (void 255 excluded).
/// </summary>
public static class CombinationEvaluator
{
    /// <summary>
    /// One result per spec, in order: the method <paramref name="maps"/> (grid maps by method name) fused by the spec,
    /// brought to <paramref name="height"/> × <paramref name="width"/>, normalised and thresholded by
    /// <paramref name="threshold"/> (Otsu when null), and counted against <paramref name="truth"/> (height·width labels,
    /// row-major, 0/1/255) when given. Throws an <see cref="ArgumentException"/> when the truth has another size.
    /// </summary>
    public static IReadOnlyList<CombinationResult> Run(IReadOnlyDictionary<string, Heatmap> maps, IReadOnlyList<FusionSpec> specs,
        int height, int width, IMaskThreshold? threshold = null, byte[]? truth = null)
    {
        if (truth is not null && truth.Length != height * width)
            throw new ArgumentException($"ground truth has {truth.Length} pixels, expected {height}x{width}");
        var t = threshold ?? new OtsuThreshold();
        var results = new List<CombinationResult>(specs.Count);
        foreach (var spec in specs)
        {
            var grid = spec.Apply(maps);
            var mask = MapToMask.Build(grid, height, width, t);
            results.Add(new CombinationResult(new MapId(spec, t.Name), grid, mask, truth is null ? null : ConfusionCounts.Count(mask.Mask, truth)));
        }
        return results;
    }
}

/// <summary>Dataset summary of one combination: per-image means (as the ViTmiX tables) and pooled-count scores.</summary>
public sealed record CombinationSummary(string Name, int Images, SegmentationScores MeanPerImage, SegmentationScores Pooled);

/// <summary>Accumulates per-image counts by combination name, keeping first-seen order.</summary>
public sealed class SegmentationSummary(ZeroDivision zeroDivision = ZeroDivision.BothEmptyIsPerfect)
{
    readonly Dictionary<string, (int Images, double Iou, double F1, double Acc, double Recall, double Precision, ConfusionCounts Pooled)> acc = [];
    readonly List<string> order = [];

    /// <summary>Adds one image's counts under <paramref name="name"/>.</summary>
    public void Add(string name, ConfusionCounts counts)
    {
        var s = counts.Scores(zeroDivision);
        if (!acc.TryGetValue(name, out var a)) { order.Add(name); a = default; }
        acc[name] = (a.Images + 1, a.Iou + s.Iou, a.F1 + s.F1, a.Acc + s.PixelAccuracy, a.Recall + s.Recall, a.Precision + s.Precision, a.Pooled + counts);
    }

    /// <summary>Adds every result that has counts, under its map's display name.</summary>
    public void Add(IEnumerable<CombinationResult> results)
    {
        foreach (var r in results) if (r.Counts is { } c) Add(r.Id.DisplayName, c);
    }

    /// <summary>One summary per name, in first-seen order: the mean of the per-image scores and the scores of the pooled counts.</summary>
    public IReadOnlyList<CombinationSummary> Results() =>
        [.. order.Select(n =>
        {
            var a = acc[n];
            double k = a.Images;
            return new CombinationSummary(n, a.Images, new SegmentationScores(a.Iou / k, a.F1 / k, a.Acc / k, a.Recall / k, a.Precision / k), a.Pooled.Scores(zeroDivision));
        })];
}
