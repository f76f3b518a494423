namespace Vitmix.Engine;

/// <summary>
/// Seeded Gaussian noise that any language can reproduce bit for bit (tests/reference/vitcx.py does): a SplitMix64
/// stream per (seed, stream index) and the Box–Muller transform. <see cref="System.Random"/> would do for
/// determinism, but its algorithm is not specified, so a reference could not draw the same noise.
/// <para>
/// Stream k of seed s starts at state s·0x9E3779B97F4A7C15 + (k + 1)·0xD1B54A32D192ED03 (mod 2⁶⁴); each draw adds
/// 0x9E3779B97F4A7C15 and mixes (SplitMix64); u = (draw ≫ 11)·2⁻⁵³. Values come in pairs from (u₁, u₂):
/// r = √(−2 ln(1 − u₁)), z₀ = r cos 2πu₂, z₁ = r sin 2πu₂.
/// </para>
/// </summary>
public static class SplitMixGaussian
{
    const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>Fills <paramref name="destination"/> with σ·z for standard normal z from stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static void Fill(long seed, long stream, float sigma, Span<float> destination)
    {
        ulong state = unchecked((ulong)seed * Golden + ((ulong)stream + 1) * 0xD1B54A32D192ED03UL);
        for (int i = 0; i < destination.Length; i += 2)
        {
            double u1 = Uniform(ref state), u2 = Uniform(ref state);
            double r = Math.Sqrt(-2 * Math.Log(1 - u1));
            destination[i] = (float)(sigma * r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < destination.Length) destination[i + 1] = (float)(sigma * r * Math.Sin(2 * Math.PI * u2));
        }
    }

    static double Uniform(ref ulong state)
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
