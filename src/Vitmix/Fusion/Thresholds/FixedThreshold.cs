using System.Globalization;

namespace Vitmix.Fusion.Thresholds;

/// <summary>mask = m &gt; value, for a fixed value in normalised units.</summary>
public sealed class FixedThreshold(float value) : IMaskThreshold
{
    /// <summary>The threshold in normalised units (usually within [0, 1]); a pixel equal to it is background.</summary>
    public float Value { get; } = value;
    /// <inheritdoc/>
    public string Name => "fixed:" + Value.ToString("G6", CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public double Apply(ReadOnlySpan<float> normalized, Span<byte> mask)
    {
        if (mask.Length < normalized.Length) throw new ArgumentException($"mask of {mask.Length} pixels is shorter than the {normalized.Length}-pixel map");
        for (int i = 0; i < normalized.Length; i++) mask[i] = normalized[i] > Value ? (byte)1 : (byte)0;
        return Value;
    }
}
