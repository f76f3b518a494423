namespace Vitmix.Data.Synthetic;

/// <summary>
/// The classes of the synthetic benchmark. Chosen to stay distinguishable at 10–20 px under any rotation: no two are
/// rotations of each other (no diamond beside the square) and none is a near-circle (no hexagon beside the circle).
/// </summary>
public enum SyntheticShape
{
    Circle,
    Square,
    Triangle,
    Star,
    Cross,
    Ring,
    Crescent,
    Heart,
    Arrow,
    Bar,
}
