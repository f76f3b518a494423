namespace Vitmix.Fusion.Thresholds;

/// <summary>Turns a map normalised to [0, 1] into a binary mask (1 = object).</summary>
public interface IMaskThreshold
{
    /// <summary>Spec name: "otsu", "mean", "top:20", "fixed:0.5".</summary>
    string Name { get; }

    /// <summary>Writes 0/1 into <paramref name="mask"/>; returns the threshold in the rule's own units (Otsu: uint8 level).</summary>
    double Apply(ReadOnlySpan<float> normalized, Span<byte> mask);
}
