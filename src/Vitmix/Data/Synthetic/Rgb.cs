namespace Vitmix.Data.Synthetic;

/// <summary>A colour with channels on the 0–255 scale, kept in double until the final rounding.</summary>
internal readonly record struct Rgb(double R, double G, double B)
{
    public static Rgb Lerp(Rgb a, Rgb b, double t) =>
        new(a.R + (b.R - a.R) * t, a.G + (b.G - a.G) * t, a.B + (b.B - a.B) * t);

    public double DistanceTo(Rgb o)
    {
        double dr = R - o.R, dg = G - o.G, db = B - o.B;
        return Math.Sqrt(dr * dr + dg * dg + db * db);
    }

    /// <summary>Hue in turns [0, 1), saturation and value in [0, 1]; piecewise linear, so no platform maths.</summary>
    public static Rgb FromHsv(double hue, double saturation, double value)
    {
        double h = (hue - Math.Floor(hue)) * 6;
        int sector = Math.Min((int)h, 5);
        double f = h - sector;
        double p = value * (1 - saturation), q = value * (1 - saturation * f), t = value * (1 - saturation * (1 - f));
        var (r, g, b) = sector switch
        {
            0 => (value, t, p),
            1 => (q, value, p),
            2 => (p, value, t),
            3 => (p, q, value),
            4 => (t, p, value),
            _ => (value, p, q),
        };
        return new Rgb(r * 255, g * 255, b * 255);
    }
}
