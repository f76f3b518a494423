using System.Globalization;

namespace Vitmix.Fusion.Thresholds;

/// <summary>Parses threshold specs: "otsu", "mean", "top:20" (or "top20", "20%"), "fixed:0.5" (or a bare number).</summary>
public static class MaskThresholds
{
    /// <summary>
    /// The threshold <paramref name="spec"/> names (case-insensitive, surrounding spaces ignored); throws an
    /// <see cref="ArgumentException"/> for an unknown spec, a percentage outside [0, 100] or a non-finite value.
    /// </summary>
    public static IMaskThreshold Parse(string spec)
    {
        string s = spec.Trim().ToLowerInvariant();
        if (s == "otsu") return new OtsuThreshold();
        if (s == "mean") return new MeanThreshold();
        if (s.StartsWith("top", StringComparison.Ordinal) || s.EndsWith('%'))
        {
            string num = s.StartsWith("top", StringComparison.Ordinal) ? s[3..].TrimStart(':', '-', '=').TrimEnd('%') : s.TrimEnd('%');
            if (double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p >= 0 && p <= 100)
                return new TopPercentThreshold(p);
            throw new ArgumentException($"threshold '{spec}': '{num}' is not a percentage in [0, 100] (e.g. top:20)");
        }
        string v = s.StartsWith("fixed", StringComparison.Ordinal) ? s[5..].TrimStart(':', '-', '=') : s;
        if (float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f))
            return new FixedThreshold(f);
        throw new ArgumentException($"unknown threshold '{spec}', expected otsu, mean, top:PERCENT or fixed:VALUE");
    }

    /// <summary>Parses a comma-separated list "otsu,mean,top:20".</summary>
    public static IReadOnlyList<IMaskThreshold> ParseList(string text) =>
        [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(Parse)];
}
