namespace Vitmix.Data.Synthetic;

/// <summary>
/// xoshiro256** (Blackman and Vigna, 2018) seeded through SplitMix64. Our own generator rather than System.Random,
/// whose algorithm is not part of its contract, so a seed names the same benchmark on every .NET version.
/// </summary>
internal struct SyntheticRandom
{
    ulong _s0, _s1, _s2, _s3;

    SyntheticRandom(ulong seed)
    {
        // SplitMix64 expands one 64-bit seed into the 256-bit state; it never yields the all-zero state in practice.
        _s0 = SplitMix64(ref seed);
        _s1 = SplitMix64(ref seed);
        _s2 = SplitMix64(ref seed);
        _s3 = SplitMix64(ref seed);
    }

    /// <summary>
    /// An independent stream for (seed, index, stream): image i depends on nothing but the seed and i, so images can be
    /// generated in any order, in parallel, or for any count.
    /// </summary>
    public static SyntheticRandom For(long seed, long index, ulong stream)
    {
        ulong s = (ulong)seed;
        ulong a = SplitMix64(ref s);
        ulong b = (ulong)index ^ (stream * 0xD1B54A32D192ED03UL);
        ulong c = SplitMix64(ref b);
        return new SyntheticRandom(a ^ c);
    }

    /// <summary>A generator with the given raw state (for checking against the reference implementation).</summary>
    internal static SyntheticRandom FromState(ulong s0, ulong s1, ulong s2, ulong s3) =>
        new() { _s0 = s0, _s1 = s1, _s2 = s2, _s3 = s3 };

    internal static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [0, n); the multiply-shift map's bias (n / 2^64) is far below anything we could see.</summary>
    public int NextInt(int n) => (int)(((UInt128)NextUInt64() * (ulong)n) >> 64);

    public bool Chance(double p) => NextDouble() < p;
}
