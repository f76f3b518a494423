namespace Vitmix.Data.Synthetic;

/// <summary>
/// The classes of the synthetic benchmark. Chosen to stay distinguishable at 10–20 px under any rotation: no two are
/// rotations of each other (no diamond beside the square) and none is a near-circle (no hexagon beside the circle).
/// </summary>
public enum SyntheticShape
{
    /// <summary>A filled disc.</summary>
    Circle,
    /// <summary>A filled square.</summary>
    Square,
    /// <summary>An equilateral triangle.</summary>
    Triangle,
    /// <summary>A five-pointed star.</summary>
    Star,
    /// <summary>A plus sign: two perpendicular bars of equal length.</summary>
    Cross,
    /// <summary>An annulus (inner radius 5/9 of the outer).</summary>
    Ring,
    /// <summary>A disc with an offset disc cut out of one side.</summary>
    Crescent,
    /// <summary>The heart curve (x²+y²−1)³ − x²y³ ≤ 0.</summary>
    Heart,
    /// <summary>A block arrow: a shaft with a triangular head.</summary>
    Arrow,
    /// <summary>A rectangle three times as long as it is wide.</summary>
    Bar,
}
