using Vitmix.Data.Synthetic;

namespace Vitmix.Tests.Data.Synthetic;

public class ShapeGeometryTests
{
    const int Size = 64;

    static int Count(byte[] mask) => mask.Count(v => v == 1);

    static (int X0, int X1, int Y0, int Y1) BoundingBox(byte[] mask, int size)
    {
        int x0 = size, x1 = -1, y0 = size, y1 = -1;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                if (mask[y * size + x] == 1) { x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y); }
        return (x0, x1, y0, y1);
    }

    [Fact]
    public void Square_NoRotation_HasTheHandComputedArea()
    {
        // Half side 0.7·20 = 14 around (32, 32): edges at 18 and 46, pixel centres 18.5..45.5 → 28 × 28.
        var mask = SceneRenderer.RasterizeMask(new ShapePlacement(SyntheticShape.Square, 32, 32, 20, 0), Size);
        Assert.Equal(28 * 28, Count(mask));
        Assert.Equal((18, 45, 18, 45), BoundingBox(mask, Size));
    }

    [Fact]
    public void Bar_QuarterTurn_SwapsItsExtent()
    {
        // Bar of radius 30: half length 27, half width 9 → 54 × 18 pixels; a quarter turn makes it 18 wide, 54 tall.
        var flat = SceneRenderer.RasterizeMask(new ShapePlacement(SyntheticShape.Bar, 32, 32, 30, 0), Size);
        var upright = SceneRenderer.RasterizeMask(new ShapePlacement(SyntheticShape.Bar, 32, 32, 30, Math.PI / 2), Size);
        Assert.Equal(54 * 18, Count(flat));
        Assert.Equal((5, 58, 23, 40), BoundingBox(flat, Size));
        Assert.Equal(54 * 18, Count(upright));
        Assert.Equal((23, 40, 5, 58), BoundingBox(upright, Size));
    }

    [Theory]
    [InlineData(31.3, 30.8, 17.0, 0.0)]
    [InlineData(20.7, 40.1, 11.3, 2.2)]
    [InlineData(33.0, 33.0, 25.0, 5.0)]
    public void CircleAndRing_EqualTheNaiveDiscTest_AtAnyRotation(double cx, double cy, double radius, double rotation)
    {
        var circle = SceneRenderer.RasterizeMask(new ShapePlacement(SyntheticShape.Circle, cx, cy, radius, rotation), Size);
        var ring = SceneRenderer.RasterizeMask(new ShapePlacement(SyntheticShape.Ring, cx, cy, radius, rotation), Size);
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy, d = Math.Sqrt(dx * dx + dy * dy);
                Assert.Equal(d <= 0.9 * radius ? 1 : 0, circle[y * Size + x]);
                Assert.Equal(d >= 0.5 * radius && d <= 0.9 * radius ? 1 : 0, ring[y * Size + x]);
            }
    }

    [Fact]
    public void EveryShape_LiesInsideTheUnitDisc_AndCoversAFairPartOfIt()
    {
        const int n = 401;
        foreach (var shape in Enum.GetValues<SyntheticShape>())
        {
            int inside = 0, total = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double u = -1.2 + 2.4 * i / (n - 1), v = -1.2 + 2.4 * j / (n - 1);
                    bool hit = ShapeGeometry.Contains(shape, u, v);
                    if (u * u + v * v > 1) Assert.False(hit, $"{shape} reaches ({u}, {v}) outside the unit disc");
                    else { total++; if (hit) inside++; }
                }
            // A recognisable shape fills between ~20% (ring, crescent, bar) and ~81% (circle) of its disc.
            Assert.InRange(inside / (double)total, 0.15, 0.85);
        }
    }

    [Fact]
    public void ShapeCount_MatchesTheEnum()
    {
        Assert.Equal(Enum.GetValues<SyntheticShape>().Length, ShapeGeometry.Count);
        Assert.True(ShapeGeometry.Count >= 10);
    }
}
