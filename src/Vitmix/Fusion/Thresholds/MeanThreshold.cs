namespace Vitmix.Fusion.Thresholds;

/// <summary>
/// Chefer et al.'s (2021) segmentation protocol: mask = m &gt; mean(m). The mean is accumulated in double and rounded
/// to float32 once (PyTorch's float32 mean may differ in the last bit; only pixels exactly at the mean can flip).
/// </summary>
public sealed class MeanThreshold : IMaskThreshold
{
    /// <inheritdoc/>
    public string Name => "mean";

    /// <inheritdoc/>
    public double Apply(ReadOnlySpan<float> normalized, Span<byte> mask)
    {
        if (mask.Length < normalized.Length) throw new ArgumentException($"mask of {mask.Length} pixels is shorter than the {normalized.Length}-pixel map");
        double sum = 0;
        foreach (float v in normalized) sum += v;
        float mean = normalized.IsEmpty ? 0f : (float)(sum / normalized.Length);
        for (int i = 0; i < normalized.Length; i++) mask[i] = normalized[i] > mean ? (byte)1 : (byte)0;
        return mean;
    }
}
