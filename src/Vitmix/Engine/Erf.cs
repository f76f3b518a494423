namespace Vitmix.Engine;

/// <summary>The error function in double precision (.NET has no Math.Erf).</summary>
public static class Erf
{
    /// <summary>erf(x) with relative error below 1e-14: Maclaurin series for small |x|, continued fraction for erfc otherwise.</summary>
    public static double Evaluate(double x)
    {
        double ax = Math.Abs(x);
        if (double.IsNaN(x)) return double.NaN;
        if (ax < 2.5)
        {
            // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 60; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return 1.1283791670955126 * sum;
        }
        if (ax > 6.0) return Math.Sign(x);
        // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) evaluated by Lentz's method.
        double f = Erfc(ax);
        return x > 0 ? 1.0 - f : f - 1.0;
    }

    static double Erfc(double x)
    {
        // Continued fraction: erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
        const double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int i = 1; i < 300; i++)
        {
            double an = i * 0.5;
            d = x + an * d;
            if (Math.Abs(d) < tiny) d = tiny;
            c = x + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1.0) < 1e-16) break;
        }
        return Math.Exp(-x * x) / (f * 1.7724538509055160273);
    }
}
