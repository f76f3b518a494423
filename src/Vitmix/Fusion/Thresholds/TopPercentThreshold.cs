using System.Globalization;

namespace Vitmix.Fusion.Thresholds;

/// <summary>
/// Keeps the ceil(percent/100 · n) most relevant pixels exactly (ties broken by ascending flat index, as the stable
/// ranking of the perturbation curves), whatever the value distribution.
/// </summary>
public sealed class TopPercentThreshold : IMaskThreshold
{
    /// <summary>The share of pixels kept, in percent, within [0, 100].</summary>
    public double Percent { get; }

    /// <summary>Keeps <paramref name="percent"/> % of the pixels; throws an <see cref="ArgumentException"/> outside [0, 100] (NaN included).</summary>
    public TopPercentThreshold(double percent)
    {
        if (!(percent >= 0 && percent <= 100)) throw new ArgumentException($"top-k percentage {percent} is outside [0, 100]");
        Percent = percent;
    }

    /// <inheritdoc/>
    public string Name => "top:" + Percent.ToString("G6", CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    /// <returns>The value of the last pixel kept (NaN when none is kept).</returns>
    public double Apply(ReadOnlySpan<float> normalized, Span<byte> mask)
    {
        int n = normalized.Length;
        if (mask.Length < n) throw new ArgumentException($"mask of {mask.Length} pixels is shorter than the {n}-pixel map");
        int k = (int)Math.Min(n, Math.Ceiling(Percent / 100.0 * n - 1e-9));
        var order = Evaluation.PixelOrder.Descending(normalized);
        mask[..n].Clear();
        for (int i = 0; i < k; i++) mask[order[i]] = 1;
        return k > 0 ? normalized[order[k - 1]] : double.NaN;
    }
}
