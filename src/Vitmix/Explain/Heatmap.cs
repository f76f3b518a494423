namespace Vitmix.Explain;

/// <summary>A 2-D map, row-major: a grid map over patches (gh, gw) or a pixel map (H, W).</summary>
public sealed record Heatmap(float[] Values, int Height, int Width)
{
    public float this[int row, int col] => Values[row * Width + col];
}
