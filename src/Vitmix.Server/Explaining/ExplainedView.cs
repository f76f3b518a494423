using System.Collections.Concurrent;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Server.Images;

namespace Vitmix.Server.Explaining;

/// <summary>
/// One explained view: an image, the class explained, the explainer options, and every method's map. Fusions and
/// thresholds are computed from these maps on request; the normalised fused maps are kept, so a slider that only
/// moves the threshold re-thresholds a cached array.
/// </summary>
public sealed class ExplainedView
{
    /// <summary>Most normalised fusions kept per view (the page asks for one at a time).</summary>
    const int MaxNormalized = 32;

    readonly ConcurrentDictionary<FusionSpec, float[]> normalized = new();

    /// <summary>The view's handle in the API: a hash of image, target and options.</summary>
    public required string Id { get; init; }
    /// <summary>The image explained.</summary>
    public required ImageSession Image { get; init; }
    /// <summary>The class explained.</summary>
    public required int Target { get; init; }
    /// <summary>The options the explainers ran with (only those set; the rest are defaults).</summary>
    public required ExplainerOptions Options { get; init; }
    /// <summary>The methods, in the set's order.</summary>
    public required IReadOnlyList<string> Methods { get; init; }
    /// <summary>Every map by key ("rollout", "saliency.pixels", …), as <see cref="ImageExplanation.Maps"/>.</summary>
    public required IReadOnlyDictionary<string, Heatmap> Maps { get; init; }
    /// <summary>The maps fusions can combine (grid maps).</summary>
    public required IReadOnlyList<string> GridMaps { get; init; }
    /// <summary>The pass the maps came from (its attention feeds the patch view).</summary>
    public required PassRecord Pass { get; init; }

    /// <summary>Bytes held, for the cache's bound (the pass is counted by its own cache).</summary>
    public long Bytes => Maps.Values.Sum(m => 4L * m.Values.Length) + normalized.Values.Sum(v => 4L * v.Length);

    /// <summary>The map <paramref name="spec"/> fuses, raw (grid or pixel resolution).</summary>
    public Heatmap Raw(FusionSpec spec) => spec.Apply(Maps);

    /// <summary>The map <paramref name="spec"/> fuses, upsampled to the image and min-max normalised; computed once per spec.</summary>
    public float[] Normalized(FusionSpec spec)
    {
        if (normalized.TryGetValue(spec, out var kept)) return kept;
        var map = MapToMask.Normalize(Raw(spec), Image.Display.Height, Image.Display.Width);
        if (normalized.Count < MaxNormalized) normalized.TryAdd(spec, map);
        return map;
    }
}
