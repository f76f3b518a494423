using System.Globalization;

namespace Vitmix.Evaluation;

/// <summary>
/// Where a perturbation curve is sampled: how many pixels of the ranking are perturbed at each point, and where the
/// point sits on the curve's x axis (the fraction of the walk) for its area. RISE and ViTmiX walk n even steps of
/// floor(H·W / n) pixels; ROAD-style protocols sample a few fractions of the pixels (0, 10 %, …, 90 %).
/// </summary>
public sealed class CurveSchedule
{
    CurveSchedule(int[] pixelCounts, double[] positions, int steps, int pixelsPerStep)
    {
        PixelCounts = pixelCounts;
        Positions = positions;
        Steps = steps;
        PixelsPerStep = pixelsPerStep;
    }

    /// <summary>Pixels perturbed at each point, non-decreasing, the first usually 0.</summary>
    public IReadOnlyList<int> PixelCounts { get; }

    /// <summary>The x of each point: s / n for even steps, the fraction itself for fractions.</summary>
    public IReadOnlyList<double> Positions { get; }

    /// <summary>n for an even-step schedule; 0 for fractions.</summary>
    public int Steps { get; }

    /// <summary>floor(H·W / n) for an even-step schedule; 0 for fractions.</summary>
    public int PixelsPerStep { get; }

    /// <summary>Number of points.</summary>
    public int Count => PixelCounts.Count;

    /// <summary>
    /// RISE's walk: n + 1 points, s·floor(H·W / n) pixels at point s (the H·W − n·pps pixels at the end of a ranking
    /// are never perturbed, as in the reference). Throws an <see cref="ArgumentException"/> when n is below 1 or
    /// leaves no pixel per step.
    /// </summary>
    public static CurveSchedule EvenSteps(int steps, int pixels)
    {
        if (steps < 1) throw new ArgumentException($"perturbation steps {steps} must be at least 1");
        if (pixels < 1) throw new ArgumentException($"an image of {pixels} pixels cannot be perturbed");
        int pps = pixels / steps;
        if (pps == 0) throw new ArgumentException($"{steps} steps over {pixels} pixels leave no pixel per step; use at most {pixels} steps");
        var counts = new int[steps + 1];
        var positions = new double[steps + 1];
        for (int s = 0; s <= steps; s++) { counts[s] = s * pps; positions[s] = (double)s / steps; }
        return new CurveSchedule(counts, positions, steps, pps);
    }

    /// <summary>
    /// One point per fraction f (strictly increasing, in [0, 1]): floor(f·H·W) pixels perturbed. At least two
    /// fractions; an <see cref="ArgumentException"/> names the first bad one.
    /// </summary>
    public static CurveSchedule Fractions(IReadOnlyList<double> fractions, int pixels)
    {
        ValidateFractions(fractions);
        if (pixels < 1) throw new ArgumentException($"an image of {pixels} pixels cannot be perturbed");
        var counts = new int[fractions.Count];
        // A hair above the product so that 0.3·50176 = 15052.8 and 0.5·50176 = 25088 both floor as written.
        for (int i = 0; i < fractions.Count; i++) counts[i] = (int)Math.Min(pixels, Math.Floor(fractions[i] * pixels + 1e-9));
        return new CurveSchedule(counts, [.. fractions], 0, 0);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first fraction that is not in [0, 1] or does not increase.</summary>
    public static void ValidateFractions(IReadOnlyList<double> fractions)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        if (fractions.Count < 2) throw new ArgumentException($"a curve needs at least 2 fractions, got {fractions.Count}");
        for (int i = 0; i < fractions.Count; i++)
        {
            double f = fractions[i];
            if (!double.IsFinite(f) || f < 0 || f > 1)
                throw new ArgumentException($"curve fraction {f.ToString(CultureInfo.InvariantCulture)} is not in [0, 1]");
            if (i > 0 && f <= fractions[i - 1])
                throw new ArgumentException($"curve fractions must increase: {fractions[i - 1].ToString(CultureInfo.InvariantCulture)} is followed by {f.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>
    /// Comma-separated finite numbers in the invariant culture ("0, 0.1,0.2"); an <see cref="ArgumentException"/> naming
    /// <paramref name="source"/> and the first entry that is not one.
    /// </summary>
    public static List<double> ParseNumbers(string text, string source)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new List<double>(parts.Length);
        foreach (string p in parts)
        {
            if (!double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                throw new ArgumentException($"{source}: '{p}' is not a number");
            values.Add(v);
        }
        return values;
    }

    /// <summary>Parses and checks "0,0.1,0.2,…" (invariant culture); the error names <paramref name="source"/> and the bad entry.</summary>
    public static IReadOnlyList<double> ParseFractions(string text, string source)
    {
        var values = ParseNumbers(text, source);
        try { ValidateFractions(values); }
        catch (ArgumentException e) { throw new ArgumentException($"{source}: {e.Message}", e); }
        return values;
    }

    /// <summary>
    /// The curve's area, normalised to the x range it covers (the mean probability along the walk). Even steps use
    /// the reference's trapezoid (Σa − a₀/2 − aₙ/2) / n exactly; fractions the trapezoid over their own spacing.
    /// </summary>
    public double Area(ReadOnlySpan<double> values)
    {
        if (values.Length != Count) throw new ArgumentException($"{values.Length} values for a curve of {Count} points");
        if (Steps > 0) return PerturbationCurve.Area(values);
        double area = 0;
        for (int i = 1; i < values.Length; i++) area += (Positions[i] - Positions[i - 1]) * (values[i] + values[i - 1]) / 2;
        double span = Positions[^1] - Positions[0];
        return area / span;
    }
}
