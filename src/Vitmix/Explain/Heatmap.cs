namespace Vitmix.Explain;

/// <summary>A 2-D map, row-major: a grid map over patches (gh, gw) or a pixel map (H, W).</summary>
/// <param name="Values">Height × Width values, row by row.</param>
/// <param name="Height">Rows: patch rows of a grid map, pixels of a pixel map.</param>
/// <param name="Width">Columns.</param>
public sealed record Heatmap(float[] Values, int Height, int Width)
{
    /// <summary>The value at (<paramref name="row"/>, <paramref name="col"/>); <c>Values[row · Width + col]</c>, so only that flat index is bounds-checked.</summary>
    public float this[int row, int col] => Values[row * Width + col];
}
