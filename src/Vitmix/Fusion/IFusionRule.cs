using Vitmix.Explain;

namespace Vitmix.Fusion;

/// <summary>
/// A rule that combines k grid maps of the same shape into one (ViTmiX, Kolarik et al.): element-wise over
/// patches. Inputs are used in the order given; products run left to right in float32 so results match the
/// reference bit for bit where the reference defines them.
/// </summary>
public interface IFusionRule
{
    /// <summary>The rule's name in specs and output names: product, gmean, sqrt, wgmean, mean, hmean, min, rankmean.</summary>
    string Name { get; }

    /// <summary>Fuses <paramref name="maps"/> (at least one, same shape); <paramref name="weights"/> (one per map, positive) only where the rule uses them.</summary>
    Heatmap Fuse(IReadOnlyList<Heatmap> maps, IReadOnlyList<float>? weights = null);
}
