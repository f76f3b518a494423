namespace Vitmix.Engine;

/// <summary>
/// Seeded uniform noise any language can reproduce bit for bit, the uniform counterpart of
/// <see cref="SplitMixGaussian"/> with the same <see cref="SplitMix64"/> streams: value = lo + (hi − lo)·u for the
/// stream's uniforms u ∈ [0, 1).
/// </summary>
public static class SplitMixUniform
{
    /// <summary>Fills <paramref name="destination"/> with values in [<paramref name="low"/>, <paramref name="high"/>) from stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static void Fill(long seed, long stream, double low, double high, Span<float> destination)
    {
        var random = new SplitMix64(seed, stream);
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)(low + (high - low) * random.NextDouble());
    }
}
