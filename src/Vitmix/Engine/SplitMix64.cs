namespace Vitmix.Engine;

/// <summary>
/// A SplitMix64 stream (Steele, Lea &amp; Flood 2014) per (seed, stream index): specified to the bit, so noise and
/// random weights drawn from it are the same on every machine and a reference script in another language can draw
/// the same numbers (<see cref="System.Random"/>'s algorithm is not specified).
/// Stream k of seed s starts at state s·0x9E3779B97F4A7C15 + (k + 1)·0xD1B54A32D192ED03 (mod 2⁶⁴); each draw adds
/// 0x9E3779B97F4A7C15 and mixes; a uniform double in [0, 1) is (draw ≫ 11)·2⁻⁵³.
/// </summary>
public struct SplitMix64
{
    const ulong Golden = 0x9E3779B97F4A7C15UL;
    ulong state;

    /// <summary>Stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public SplitMix64(long seed, long stream) => state = unchecked((ulong)seed * Golden + ((ulong)stream + 1) * 0xD1B54A32D192ED03UL);

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        unchecked
        {
            state += Golden;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
