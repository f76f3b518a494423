namespace Vitmix.Engine;

/// <summary>
/// Seeded uniform noise any language can reproduce bit for bit, the uniform counterpart of
/// <see cref="SplitMixGaussian"/> with the same streams: stream k of seed s starts at state
/// s·0x9E3779B97F4A7C15 + (k + 1)·0xD1B54A32D192ED03 (mod 2⁶⁴); each draw adds 0x9E3779B97F4A7C15 and mixes
/// (SplitMix64); u = (draw ≫ 11)·2⁻⁵³ ∈ [0, 1); the value is lo + (hi − lo)·u.
/// </summary>
public static class SplitMixUniform
{
    const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>Fills <paramref name="destination"/> with values in [<paramref name="low"/>, <paramref name="high"/>) from stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static void Fill(long seed, long stream, double low, double high, Span<float> destination)
    {
        ulong state = unchecked((ulong)seed * Golden + ((ulong)stream + 1) * 0xD1B54A32D192ED03UL);
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)(low + (high - low) * Next(ref state));
    }

    static double Next(ref ulong state)
    {
        unchecked
        {
            state += Golden;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }
}
