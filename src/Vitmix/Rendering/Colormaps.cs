namespace Vitmix.Rendering;

/// <summary>
/// Colormaps as 256-entry RGB lookup tables. The default, "oklab", is perceptually uniform in the way viridis is:
/// lightness rises linearly in OKLab (Ottosson 2020) from 0.27 to 0.93 while the hue turns from blue-violet through
/// teal to yellow, chroma reduced where needed to stay inside sRGB — so equal steps of relevance look equally far
/// apart and the map reads correctly in grey. "jet" (matplotlib's) is kept for comparison with published figures,
/// "gray" for plain intensity.
/// </summary>
public static class Colormaps
{
    static readonly Lazy<byte[]> oklab = new(() => Build(OklabRamp));
    static readonly Lazy<byte[]> jet = new(() => Build(Jet));
    static readonly Lazy<byte[]> gray = new(() => Build(t => (t, t, t)));

    /// <summary>Names accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["oklab", "jet", "gray"];

    /// <summary>The lookup table (256 × RGB, 768 bytes) of a colormap; "viridis" is accepted as an alias of "oklab".</summary>
    public static byte[] Get(string name) => name.Trim().ToLowerInvariant() switch
    {
        "oklab" or "viridis" or "default" => oklab.Value,
        "jet" => jet.Value,
        "gray" or "grey" => gray.Value,
        _ => throw new ArgumentException($"unknown colormap '{name}', expected one of {string.Join(", ", Names)}"),
    };

    /// <summary>Index of a value in [0, 1] into a 256-entry table (clamped; NaN → 0).</summary>
    public static int Index(float v) => v > 0f ? (v >= 1f ? 255 : (int)(v * 255f + 0.5f)) : 0;

    static byte[] Build(Func<double, (double R, double G, double B)> f)
    {
        var lut = new byte[256 * 3];
        for (int i = 0; i < 256; i++)
        {
            var (r, g, b) = f(i / 255.0);
            lut[3 * i] = ToByte(r);
            lut[3 * i + 1] = ToByte(g);
            lut[3 * i + 2] = ToByte(b);
        }
        return lut;
    }

    static byte ToByte(double v) => (byte)Math.Round(Math.Clamp(v, 0, 1) * 255);

    static (double, double, double) OklabRamp(double t)
    {
        double l = 0.27 + 0.66 * t;
        double hue = (285 - 180 * t) * Math.PI / 180; // 285° blue-violet → 105° yellow
        double chroma = 0.13 + 0.05 * t * t;
        // Shrink the chroma until the colour fits in sRGB, keeping lightness (hence uniformity) exact.
        for (int i = 0; i < 60; i++)
        {
            var (r, g, b) = OklabToLinearSrgb(l, chroma * Math.Cos(hue), chroma * Math.Sin(hue));
            if (r is >= 0 and <= 1 && g is >= 0 and <= 1 && b is >= 0 and <= 1) return (Gamma(r), Gamma(g), Gamma(b));
            chroma *= 0.95;
        }
        var (r0, g0, b0) = OklabToLinearSrgb(l, 0, 0);
        return (Gamma(r0), Gamma(g0), Gamma(b0));
    }

    // OKLab → linear sRGB (Ottosson 2020, the published matrices).
    static (double, double, double) OklabToLinearSrgb(double L, double a, double b)
    {
        double l = L + 0.3963377774 * a + 0.2158037573 * b;
        double m = L - 0.1055613458 * a - 0.0638541728 * b;
        double s = L - 0.0894841775 * a - 1.2914855480 * b;
        l = l * l * l; m = m * m * m; s = s * s * s;
        return (4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
                -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
                -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s);
    }

    static double Gamma(double x) => x <= 0.0031308 ? 12.92 * x : 1.055 * Math.Pow(x, 1 / 2.4) - 0.055;

    // matplotlib's "jet" segment data: piecewise linear per channel.
    static (double, double, double) Jet(double t) => (
        Piecewise(t, [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)]),
        Piecewise(t, [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)]),
        Piecewise(t, [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)]));

    static double Piecewise(double t, (double X, double Y)[] points)
    {
        for (int i = 1; i < points.Length; i++)
        {
            if (t <= points[i].X)
            {
                var (x0, y0) = points[i - 1];
                var (x1, y1) = points[i];
                return y0 + (y1 - y0) * (t - x0) / (x1 - x0);
            }
        }
        return points[^1].Y;
    }
}
