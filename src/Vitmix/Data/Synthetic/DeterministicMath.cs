namespace Vitmix.Data.Synthetic;

/// <summary>
/// Sine and cosine from plain arithmetic. Math.Sin/Cos come from the platform's C library and may differ in the last
/// bit between platforms; a rotation that differs by one ulp could move a pixel centre across a shape's edge and
/// change a mask, so geometry uses these instead (only +, *, and IEEE-exact operations).
/// </summary>
internal static class DeterministicMath
{
    public static (double Sin, double Cos) SinCos(double x)
    {
        // Reduce to r in [-pi/4, pi/4] and a quadrant q, then use Taylor series (error < 1e-16 on that interval).
        double k = Math.Floor(x / (Math.PI / 2) + 0.5);
        double r = x - k * (Math.PI / 2);
        int q = (int)(((long)k % 4 + 4) % 4);
        double s = SinTaylor(r), c = CosTaylor(r);
        return q switch
        {
            0 => (s, c),
            1 => (c, -s),
            2 => (-s, -c),
            _ => (-c, s),
        };
    }

    static double SinTaylor(double r)
    {
        double r2 = r * r, term = r, sum = r;
        for (int n = 1; n <= 10; n++)
        {
            term *= -r2 / ((2 * n) * (2 * n + 1));
            sum += term;
        }
        return sum;
    }

    static double CosTaylor(double r)
    {
        double r2 = r * r, term = 1, sum = 1;
        for (int n = 1; n <= 10; n++)
        {
            term *= -r2 / ((2 * n - 1) * (2 * n));
            sum += term;
        }
        return sum;
    }
}
