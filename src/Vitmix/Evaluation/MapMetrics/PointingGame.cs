using Vitmix.Data.Datasets;

namespace Vitmix.Evaluation.MapMetrics;

/// <summary>
/// Pointing game (Zhang et al., "Top-down neural attention by excitation backprop", IJCV 2018): a hit when the map's
/// maximum lies within <c>tolerance</c> pixels (Euclidean, distance ≤ tolerance) of an object pixel of the ground
/// truth; the original uses 15 px. Dataset accuracy = hits / (hits + misses), the mean of the per-image 0/1.
/// <para>
/// Ties at the maximum: the first maximum in row-major order is the point, as the original's argmax (and TorchRay's
/// reference implementation). Quantus instead counts a hit when any tied maximum is inside the mask, which rewards
/// flat maps: a constant map would hit on every image.
/// </para>
/// Void pixels (255) are neither candidates for the maximum nor object pixels.
/// </summary>
public static class PointingGame
{
    /// <summary>Zhang et al.'s tolerance in pixels.</summary>
    public const double DefaultTolerance = 15;

    /// <summary>
    /// True for a hit, false for a miss, null when the ground truth has no object pixel (not a pointing trial).
    /// <paramref name="map"/> and <paramref name="truth"/> are <paramref name="height"/> × <paramref name="width"/>, row-major.
    /// </summary>
    public static bool? Hit(ReadOnlySpan<float> map, ReadOnlySpan<byte> truth, int height, int width, double tolerance = DefaultTolerance)
    {
        if (map.Length != height * width || truth.Length != map.Length)
            throw new ArgumentException($"map has {map.Length} pixels and ground truth {truth.Length}, expected {height}x{width}");
        if (!(tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "the tolerance is a distance in pixels, ≥ 0");
        int best = -1;
        bool anyObject = false;
        for (int i = 0; i < map.Length; i++)
        {
            byte g = truth[i];
            if (g == GroundTruthMask.Void) continue;
            if (g != 0) anyObject = true;
            // Strictly greater: the first of tied maxima stays. NaN never compares greater, so it is never the point.
            if (best < 0 ? !float.IsNaN(map[i]) : map[i] > map[best]) best = i;
        }
        if (!anyObject) return null;
        if (best < 0) return false;
        return ObjectWithin(truth, height, width, best / width, best % width, tolerance);
    }

    /// <summary>Whether the disc of radius <paramref name="tolerance"/> around (row, col) holds an object pixel.</summary>
    static bool ObjectWithin(ReadOnlySpan<byte> truth, int height, int width, int row, int col, double tolerance)
    {
        int reach = (int)Math.Floor(tolerance);
        double limit = tolerance * tolerance;
        for (int dy = -reach; dy <= reach; dy++)
        {
            int y = row + dy;
            if ((uint)y >= (uint)height) continue;
            for (int dx = -reach; dx <= reach; dx++)
            {
                int x = col + dx;
                if ((uint)x >= (uint)width || (double)dx * dx + (double)dy * dy > limit) continue;
                byte g = truth[y * width + x];
                if (g != 0 && g != GroundTruthMask.Void) return true;
            }
        }
        return false;
    }
}
