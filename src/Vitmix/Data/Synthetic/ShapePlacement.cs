namespace Vitmix.Data.Synthetic;

/// <summary>
/// A shape placed in the image: centre and radius in pixels (the shape lies within Radius of the centre), rotation in
/// radians. Pixel (x, y) covers [x, x+1) × [y, y+1), so its centre is (x + 0.5, y + 0.5).
/// </summary>
internal sealed class ShapePlacement
{
    readonly double _sin, _cos;

    public ShapePlacement(SyntheticShape shape, double centerX, double centerY, double radius, double rotation)
    {
        Shape = shape;
        CenterX = centerX;
        CenterY = centerY;
        Radius = radius;
        Rotation = rotation;
        (_sin, _cos) = DeterministicMath.SinCos(rotation);
    }

    public SyntheticShape Shape { get; }
    public double CenterX { get; }
    public double CenterY { get; }
    public double Radius { get; }
    public double Rotation { get; }

    /// <summary>Image point → object frame in pixels (rotated so the shape is upright, still pixel-scaled).</summary>
    public (double X, double Y) ToLocal(double x, double y)
    {
        double dx = x - CenterX, dy = y - CenterY;
        return (dx * _cos + dy * _sin, -dx * _sin + dy * _cos);
    }

    /// <summary>Whether the image point (x, y) lies inside the shape.</summary>
    public bool Contains(double x, double y)
    {
        var (lx, ly) = ToLocal(x, y);
        return ShapeGeometry.Contains(Shape, lx / Radius, ly / Radius);
    }

    /// <summary>The mask rule: pixel (px, py) belongs to the object when its centre lies inside the shape.</summary>
    public bool ContainsPixel(int px, int py) => Contains(px + 0.5, py + 0.5);
}
