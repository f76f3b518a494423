namespace Vitmix.Evaluation.MapMetrics;

/// <summary>
/// Relevance mass accuracy (Arras, Osman &amp; Samek, "CLEVR-XAI", Information Fusion 2022): R_within / R_total, the
/// positive relevance on the object over the positive relevance of the whole image. Arras et al. take only positive
/// relevance, which makes the formula the energy pointing game's (<see cref="EnergyPointingGame"/>); the two columns
/// differ by the map they are given: this one the method's own map (upsampled, not normalised), the energy pointing
/// game the min-max normalised map, whose minimum is moved to 0 — so a map with a uniform baseline (rollout) scores
/// its baseline's mass here and not there.
/// <para>
/// Quantus's RelevanceMassAccuracy sums the map as given, negative values included (unless abs is set); methods.md and
/// the paper define it on positive relevance, which is followed here.
/// </para>
/// Void pixels (255) count in neither sum.
/// </summary>
public static class RelevanceMassAccuracy
{
    /// <summary>The accuracy in [0, 1]; NaN without object pixels, 0 when the map has no positive value.</summary>
    public static double Score(ReadOnlySpan<float> map, ReadOnlySpan<byte> truth) => EnergyPointingGame.Score(map, truth);
}
