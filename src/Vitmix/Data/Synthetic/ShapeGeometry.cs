namespace Vitmix.Data.Synthetic;

/// <summary>
/// Each shape as an exact point-membership test in a unit frame: every shape lies inside the unit disc, so an object
/// of radius R placed at (cx, cy) never reaches beyond R pixels from its centre. The mask and the drawn image both
/// come from this one test, which is what makes the masks exact.
/// </summary>
internal static class ShapeGeometry
{
    /// <summary>Half side of the square, in units of the object radius.</summary>
    public const double SquareHalfSide = 0.7;
    public const double CircleRadius = 0.9;
    public const double RingInner = 0.5, RingOuter = 0.9;
    public const double BarHalfLength = 0.9, BarHalfWidth = 0.3;
    public const double CrossHalfLength = 0.9, CrossHalfWidth = 0.3;
    // Crescent: the disc of radius 0.9 minus a disc of radius 0.72 shifted right by 0.45.
    const double CrescentOuter = 0.9, CrescentBiteRadius = 0.72, CrescentBiteOffset = 0.45;
    // Heart: (x²+y²−1)³ − x²y³ ≤ 0 spans |x| ≤ 1.14, −1 ≤ y ≤ 1.24 and lies within 1.25 of (0, 0.25); scaling by
    // 1.25/0.95 keeps it inside the unit disc with the same margin as the other shapes.
    const double HeartScale = 1.25 / 0.95, HeartCenterY = 0.25;

    static readonly double[] Triangle = RegularPolygon(3, 0.95, Math.PI / 2);
    static readonly double[] Star = StarPolygon(5, 0.95, 0.42);
    static readonly double[] Arrow =
    [
        -0.9, -0.22, 0.1, -0.22, 0.1, -0.62, 0.9, 0.0, 0.1, 0.62, 0.1, 0.22, -0.9, 0.22,
    ];

    public static int Count => 10;

    public static bool Contains(SyntheticShape shape, double u, double v) => shape switch
    {
        SyntheticShape.Circle => u * u + v * v <= CircleRadius * CircleRadius,
        SyntheticShape.Square => Math.Abs(u) <= SquareHalfSide && Math.Abs(v) <= SquareHalfSide,
        SyntheticShape.Triangle => InPolygon(Triangle, u, v),
        SyntheticShape.Star => InPolygon(Star, u, v),
        SyntheticShape.Cross =>
            (Math.Abs(u) <= CrossHalfWidth && Math.Abs(v) <= CrossHalfLength) ||
            (Math.Abs(v) <= CrossHalfWidth && Math.Abs(u) <= CrossHalfLength),
        SyntheticShape.Ring => InRing(u * u + v * v),
        SyntheticShape.Crescent =>
            u * u + v * v <= CrescentOuter * CrescentOuter &&
            (u - CrescentBiteOffset) * (u - CrescentBiteOffset) + v * v > CrescentBiteRadius * CrescentBiteRadius,
        SyntheticShape.Heart => InHeart(u * HeartScale, -v * HeartScale + HeartCenterY),
        SyntheticShape.Arrow => InPolygon(Arrow, u, v),
        SyntheticShape.Bar => Math.Abs(u) <= BarHalfLength && Math.Abs(v) <= BarHalfWidth,
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, "unknown synthetic shape"),
    };

    static bool InRing(double r2) => r2 >= RingInner * RingInner && r2 <= RingOuter * RingOuter;

    static bool InHeart(double x, double y)
    {
        double a = x * x + y * y - 1;
        return a * a * a - x * x * y * y * y <= 0;
    }

    /// <summary>Crossing-number test; vertices as x0, y0, x1, y1, ...</summary>
    static bool InPolygon(double[] xy, double u, double v)
    {
        bool inside = false;
        int n = xy.Length / 2;
        for (int i = 0, j = n - 1; i < n; j = i++)
        {
            double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
            if ((yi > v) != (yj > v) && u < (xj - xi) * (v - yi) / (yj - yi) + xi)
                inside = !inside;
        }
        return inside;
    }

    static double[] RegularPolygon(int sides, double radius, double phase)
    {
        var xy = new double[2 * sides];
        for (int k = 0; k < sides; k++)
        {
            var (s, c) = DeterministicMath.SinCos(phase + 2 * Math.PI * k / sides);
            xy[2 * k] = radius * c;
            xy[2 * k + 1] = radius * s;
        }
        return xy;
    }

    static double[] StarPolygon(int points, double outer, double inner)
    {
        var xy = new double[4 * points];
        for (int k = 0; k < 2 * points; k++)
        {
            double r = k % 2 == 0 ? outer : inner;
            var (s, c) = DeterministicMath.SinCos(Math.PI / 2 + Math.PI * k / points);
            xy[2 * k] = r * c;
            xy[2 * k + 1] = r * s;
        }
        return xy;
    }
}
