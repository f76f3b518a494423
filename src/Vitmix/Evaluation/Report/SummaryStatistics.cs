namespace Vitmix.Evaluation.Report;

/// <summary>A mean with a two-sided confidence interval.</summary>
/// <param name="Mean">Mean of the finite values (NaN when there are none).</param>
/// <param name="Low">Lower bound of the interval (NaN when N &lt; 2).</param>
/// <param name="High">Upper bound of the interval (NaN when N &lt; 2).</param>
/// <param name="N">Number of finite values used.</param>
/// <param name="StandardDeviation">Sample standard deviation (n − 1 denominator; NaN when N &lt; 2).</param>
public sealed record MeanInterval(double Mean, double Low, double High, int N, double StandardDeviation)
{
    /// <summary>Half the interval's width (the "±" value).</summary>
    public double HalfWidth => (High - Low) / 2;
}

/// <summary>
/// Means and confidence intervals for per-image metrics. The interval is Student's t:
/// mean ± t(1−α/2, n−1) · s/√n, exact for normal data and close to the normal approximation for large n.
/// Non-finite values (e.g. precision of an empty predicted mask) are left out and not counted.
/// </summary>
public static class SummaryStatistics
{
    /// <summary>Mean and <paramref name="confidence"/> (default 95%) Student-t interval of the finite values.</summary>
    public static MeanInterval MeanWithInterval(ReadOnlySpan<double> values, double confidence = 0.95)
    {
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "Confidence must lie in (0, 1).");
        int n = 0;
        double sum = 0;
        foreach (double v in values)
            if (double.IsFinite(v)) { n++; sum += v; }
        if (n == 0) return new MeanInterval(double.NaN, double.NaN, double.NaN, 0, double.NaN);
        double mean = sum / n;
        if (n == 1) return new MeanInterval(mean, double.NaN, double.NaN, 1, double.NaN);
        double ss = 0;
        foreach (double v in values)
            if (double.IsFinite(v)) ss += (v - mean) * (v - mean);
        double sd = Math.Sqrt(ss / (n - 1));
        double half = StudentTQuantile(confidence, n - 1) * sd / Math.Sqrt(n);
        return new MeanInterval(mean, mean - half, mean + half, n, sd);
    }

    /// <inheritdoc cref="MeanWithInterval(ReadOnlySpan{double}, double)"/>
    public static MeanInterval MeanWithInterval(IEnumerable<double> values, double confidence = 0.95) =>
        MeanWithInterval(values.ToArray().AsSpan(), confidence);

    /// <summary>
    /// The t such that P(|T| ≤ t) = <paramref name="confidence"/> for Student's t with <paramref name="degreesOfFreedom"/>
    /// (e.g. 12.706 for 0.95 and 1 df, → 1.960 as df grows). Found by bisection on <see cref="StudentTCentralProbability"/>.
    /// </summary>
    public static double StudentTQuantile(double confidence, int degreesOfFreedom)
    {
        if (degreesOfFreedom < 1) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Need ≥ 1 degree of freedom.");
        double lo = 0, hi = 1;
        while (StudentTCentralProbability(hi, degreesOfFreedom) < confidence) { lo = hi; hi *= 2; }
        for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++)
        {
            double mid = (lo + hi) / 2;
            if (StudentTCentralProbability(mid, degreesOfFreedom) < confidence) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /// <summary>
    /// A(t|ν) = P(|T| ≤ t) for t ≥ 0 by the finite series of Abramowitz &amp; Stegun (1964) 26.7.3 (ν odd) and
    /// 26.7.4 (ν even), θ = atan(t/√ν). The series terms cos^(2k)θ · ratio shrink, so large ν only costs time.
    /// </summary>
    public static double StudentTCentralProbability(double t, int nu)
    {
        t = Math.Abs(t);
        double theta = Math.Atan(t / Math.Sqrt(nu));
        double s = Math.Sin(theta), c = Math.Cos(theta), c2 = c * c;
        if (nu % 2 == 0)
        {
            // sinθ (1 + 1/2 cos²θ + 1·3/(2·4) cos⁴θ + … + 1·3…(ν−3)/(2·4…(ν−2)) cos^(ν−2)θ)
            double term = 1, total = 1;
            for (int k = 2; k <= nu - 2; k += 2)
            {
                term *= (k - 1.0) / k * c2;
                total += term;
                if (term < 1e-17 * total) break;
            }
            return s * total;
        }
        else
        {
            // 2/π (θ + sinθ (cosθ + 2/3 cos³θ + … + 2·4…(ν−3)/(1·3…(ν−2)) cos^(ν−2)θ)); ν = 1 gives 2θ/π.
            if (nu == 1) return 2 * theta / Math.PI;
            double term = c, total = c;
            for (int k = 3; k <= nu - 2; k += 2)
            {
                term *= (k - 1.0) / k * c2;
                total += term;
                if (term < 1e-17 * total) break;
            }
            return 2 / Math.PI * (theta + s * total);
        }
    }
}
