namespace Vitmix.Engine;

/// <summary>
/// Seeded Gaussian noise that any language can reproduce bit for bit (tests/reference/vitcx.py does): a
/// <see cref="SplitMix64"/> stream per (seed, stream index) and the Box–Muller transform in double precision. Values
/// come in pairs from two uniforms (u₁, u₂): r = √(−2 ln(1 − u₁)), z₀ = r cos 2πu₂, z₁ = r sin 2πu₂.
/// </summary>
public static class SplitMixGaussian
{
    /// <summary>Fills <paramref name="destination"/> with σ·z for standard normal z from stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static void Fill(long seed, long stream, float sigma, Span<float> destination)
    {
        var random = new SplitMix64(seed, stream);
        for (int i = 0; i < destination.Length; i += 2)
        {
            double u1 = random.NextDouble(), u2 = random.NextDouble();
            double r = Math.Sqrt(-2 * Math.Log(1 - u1));
            destination[i] = (float)(sigma * r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < destination.Length) destination[i + 1] = (float)(sigma * r * Math.Sin(2 * Math.PI * u2));
        }
    }
}
