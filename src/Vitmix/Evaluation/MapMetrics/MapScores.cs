using Vitmix.Explain;

namespace Vitmix.Evaluation.MapMetrics;

/// <summary>
/// The per-map localisation and complexity metrics of one image against one ground truth (NaN = not defined for that
/// image, e.g. no object pixel, or not recorded by an older run).
/// </summary>
/// <param name="PointingGame">1 hit, 0 miss (<see cref="MapMetrics.PointingGame"/>).</param>
/// <param name="EnergyPointingGame">Share of the normalised map's energy on the object (<see cref="MapMetrics.EnergyPointingGame"/>).</param>
/// <param name="RelevanceMassAccuracy">Share of the map's positive relevance on the object (<see cref="MapMetrics.RelevanceMassAccuracy"/>).</param>
/// <param name="RelevanceRankAccuracy">Share of the |G| most relevant pixels on the object (<see cref="MapMetrics.RelevanceRankAccuracy"/>).</param>
/// <param name="Sparseness">Gini index of |m| (<see cref="MapMetrics.Sparseness"/>).</param>
/// <param name="Complexity">Entropy of |m| / Σ|m| (<see cref="MapMetrics.Complexity"/>).</param>
public readonly record struct MapScores(double PointingGame, double EnergyPointingGame, double RelevanceMassAccuracy,
    double RelevanceRankAccuracy, double Sparseness, double Complexity)
{
    /// <summary>Every metric absent (a row of a run written before these metrics existed).</summary>
    public static MapScores Absent { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
}

/// <summary>
/// Computes <see cref="MapScores"/> for the maps of images of one size, reusing its two pixel buffers, so scoring a map
/// allocates nothing. Each metric sees the map at pixel resolution, upsampled exactly as the masks are
/// (<see cref="Fusion.MapToMask.Upsample"/>): the pointing game, relevance mass and rank accuracy, sparseness and
/// complexity the method's own values (their sign and baseline are what those metrics measure), the energy pointing
/// game the min-max normalised map the masks are cut from (Score-CAM's normalised saliency map). One instance per
/// thread.
/// </summary>
public sealed class MapScorer(int height, int width, double pointingTolerance = PointingGame.DefaultTolerance)
{
    readonly float[] upsampled = new float[height * width];
    readonly float[] scratch = new float[height * width];

    /// <summary>Scores <paramref name="grid"/> (and its <paramref name="normalized"/> pixel map) against <paramref name="truth"/> (0/1/255).</summary>
    public MapScores Score(Heatmap grid, ReadOnlySpan<float> normalized, ReadOnlySpan<byte> truth)
    {
        if (truth.Length != upsampled.Length || normalized.Length != upsampled.Length)
            throw new ArgumentException($"map of {normalized.Length} and ground truth of {truth.Length} pixels, scorer for {height}x{width}");
        if (grid.Height == height && grid.Width == width) grid.Values.CopyTo(upsampled, 0);
        else Engine.BilinearResize.Resize(grid.Values, grid.Height, grid.Width, upsampled, height, width);
        bool? hit = PointingGame.Hit(upsampled, truth, height, width, pointingTolerance);
        return new MapScores(
            hit is null ? double.NaN : hit.Value ? 1 : 0,
            EnergyPointingGame.Score(normalized, truth),
            RelevanceMassAccuracy.Score(upsampled, truth),
            RelevanceRankAccuracy.Score(upsampled, truth, scratch),
            Sparseness.Score(upsampled, truth, scratch),
            Complexity.Score(upsampled, truth));
    }
}
