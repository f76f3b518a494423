using System.Globalization;

namespace Vitmix.Fusion.Thresholds;

/// <summary>mask = m &gt; value, for a fixed value in normalised units.</summary>
public sealed class FixedThreshold(float value) : IMaskThreshold
{
    public float Value { get; } = value;
    public string Name => "fixed:" + Value.ToString("G6", CultureInfo.InvariantCulture);

    public double Apply(ReadOnlySpan<float> normalized, Span<byte> mask)
    {
        if (mask.Length < normalized.Length) throw new ArgumentException($"mask of {mask.Length} pixels is shorter than the {normalized.Length}-pixel map");
        for (int i = 0; i < normalized.Length; i++) mask[i] = normalized[i] > Value ? (byte)1 : (byte)0;
        return Value;
    }
}
