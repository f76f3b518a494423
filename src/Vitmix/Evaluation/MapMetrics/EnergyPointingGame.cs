using Vitmix.Data.Datasets;

namespace Vitmix.Evaluation.MapMetrics;

/// <summary>
/// Energy-based pointing game (Wang et al., "Score-CAM", CVPR Workshops 2020): the share of the map's energy that
/// falls on the object, Σ_{p∈G} m_p / Σ_p m_p, for a non-negative map m. Score-CAM measures it inside the bounding
/// box; with a segmentation the object mask is the region. Negative values are clamped at 0 (they are evidence
/// against the class, not energy). Void pixels (255) count in neither sum.
/// </summary>
public static class EnergyPointingGame
{
    /// <summary>
    /// The share in [0, 1]; NaN when the ground truth has no object pixel (nothing to point at), 0 when the map has no
    /// positive value (no energy anywhere, so none on the object).
    /// </summary>
    public static double Score(ReadOnlySpan<float> map, ReadOnlySpan<byte> truth)
    {
        if (map.Length != truth.Length) throw new ArgumentException($"map has {map.Length} pixels, ground truth {truth.Length}");
        double inside = 0, total = 0;
        bool anyObject = false;
        for (int i = 0; i < map.Length; i++)
        {
            byte g = truth[i];
            if (g == GroundTruthMask.Void) continue;
            double energy = map[i] > 0 ? map[i] : 0; // NaN is not > 0: no energy
            total += energy;
            if (g != 0) { inside += energy; anyObject = true; }
        }
        if (!anyObject) return double.NaN;
        return total > 0 ? inside / total : 0;
    }
}
