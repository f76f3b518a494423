namespace Vitmix.Fusion.Thresholds;

/// <summary>
/// Otsu (1979) exactly as OpenCV's THRESH_OTSU computes it: v = (byte)trunc(m · 255) in float32, a 256-bin
/// histogram, t maximising the between-class variance q1·q2·(μ1 − μ2)² in double precision (first maximum; t skipped
/// when min(q1, q2) &lt; FLT_EPSILON or max(q1, q2) &gt; 1 − FLT_EPSILON; 0 if none); mask = v &gt; t.
/// </summary>
public sealed class OtsuThreshold : IMaskThreshold
{
    /// <inheritdoc/>
    public string Name => "otsu";

    /// <inheritdoc/>
    public double Apply(ReadOnlySpan<float> normalized, Span<byte> mask)
    {
        if (mask.Length < normalized.Length) throw new ArgumentException($"mask of {mask.Length} pixels is shorter than the {normalized.Length}-pixel map");
        Span<long> hist = stackalloc long[256];
        hist.Clear();
        for (int i = 0; i < normalized.Length; i++) hist[ToByte(normalized[i])]++;
        int t = Threshold(hist, normalized.Length);
        for (int i = 0; i < normalized.Length; i++) mask[i] = ToByte(normalized[i]) > t ? (byte)1 : (byte)0;
        return t;
    }

    /// <summary>The uint8 level of a normalised value: trunc(m · 255) in float32, saturated to 0..255 (NaN → 0).</summary>
    public static byte ToByte(float m)
    {
        float v = m * 255f;
        if (!(v > 0f)) return 0;
        return v >= 255f ? (byte)255 : (byte)(int)v;
    }

    /// <summary>OpenCV's getThreshVal_Otsu_8u over a 256-bin histogram of <paramref name="total"/> pixels.</summary>
    public static int Threshold(ReadOnlySpan<long> hist, long total)
    {
        if (hist.Length != 256) throw new ArgumentException($"histogram has {hist.Length} bins, expected 256");
        if (total <= 0) return 0;
        const double FltEpsilon = 1.1920928955078125e-07; // FLT_EPSILON as OpenCV uses it
        double scale = 1.0 / total, mu = 0, q1 = 0, mu1 = 0, maxSigma = 0;
        int maxVal = 0;
        for (int i = 0; i < 256; i++) mu += i * (double)hist[i];
        mu *= scale;
        for (int i = 0; i < 256; i++)
        {
            double pi = hist[i] * scale;
            // OpenCV multiplies mu1 back by q1 before the skip test; kept to match it on edge cases.
            mu1 *= q1;
            q1 += pi;
            double q2 = 1.0 - q1;
            if (Math.Min(q1, q2) < FltEpsilon || Math.Max(q1, q2) > 1.0 - FltEpsilon) continue;
            mu1 = (mu1 + i * pi) / q1;
            double mu2 = (mu - q1 * mu1) / q2;
            double sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
            if (sigma > maxSigma) { maxSigma = sigma; maxVal = i; }
        }
        return maxVal;
    }
}
