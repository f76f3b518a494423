namespace Vitmix.Data.Synthetic;

/// <summary>
/// Rasterises a scene. Objects are anti-aliased by 4×4 supersampling of the same membership test that decides the
/// mask (mask = pixel centre inside the labelled shape), so image and mask agree up to the one-pixel soft edge.
/// </summary>
internal static class SceneRenderer
{
    const int Subsamples = 4;

    /// <summary>Renders RGB bytes (row-major, 3 per pixel) and the labelled object's mask (0/1 per pixel).</summary>
    public static (byte[] Rgb, byte[] Mask) Render(SyntheticScene scene, bool drawTarget = true)
    {
        int n = scene.Size;
        var canvas = new double[3 * n * n];
        var noise = scene.Background.Noise;
        PaintBackground(scene.Background, n, canvas, ref noise);
        foreach (var d in scene.Distractors)
            PaintObject(d, n, canvas);
        if (drawTarget)
            PaintObject(scene.Target, n, canvas);
        AddNoise(canvas, scene.Background.SensorNoise, ref noise);

        var rgb = new byte[canvas.Length];
        for (int i = 0; i < canvas.Length; i++)
            rgb[i] = (byte)Math.Clamp((int)Math.Floor(canvas[i] + 0.5), 0, 255);
        return (rgb, RasterizeMask(scene.Target.Placement, n));
    }

    /// <summary>1 where the pixel centre lies inside the shape, else 0.</summary>
    public static byte[] RasterizeMask(ShapePlacement shape, int size)
    {
        var mask = new byte[size * size];
        var (x0, x1, y0, y1) = Bounds(shape, size);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                if (shape.ContainsPixel(x, y)) mask[y * size + x] = 1;
        return mask;
    }

    static (int X0, int X1, int Y0, int Y1) Bounds(ShapePlacement s, int size) => (
        Math.Max(0, (int)Math.Floor(s.CenterX - s.Radius) - 1), Math.Min(size, (int)Math.Ceiling(s.CenterX + s.Radius) + 1),
        Math.Max(0, (int)Math.Floor(s.CenterY - s.Radius) - 1), Math.Min(size, (int)Math.Ceiling(s.CenterY + s.Radius) + 1));

    /// <summary>Pixel rows/columns whose centres may fall in [x0, x1] × [y0, y1], clipped to the image.</summary>
    static (int X0, int X1, int Y0, int Y1) Clip(double x0, double x1, double y0, double y1, int size) => (
        Math.Clamp((int)Math.Floor(x0), 0, size), Math.Clamp((int)Math.Ceiling(x1) + 1, 0, size),
        Math.Clamp((int)Math.Floor(y0), 0, size), Math.Clamp((int)Math.Ceiling(y1) + 1, 0, size));

    static void PaintObject(SceneObject o, int size, double[] canvas)
    {
        var shape = o.Placement;
        var (x0, x1, y0, y1) = Bounds(shape, size);
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                int inside = 0;
                for (int sy = 0; sy < Subsamples; sy++)
                    for (int sx = 0; sx < Subsamples; sx++)
                        if (shape.Contains(x + (sx + 0.5) / Subsamples, y + (sy + 0.5) / Subsamples)) inside++;
                if (inside == 0) continue;
                var (lx, ly) = shape.ToLocal(x + 0.5, y + 0.5);
                Blend(canvas, (y * size + x) * 3, o.Texture.ColourAt(lx, ly, shape.Radius),
                    inside / (double)(Subsamples * Subsamples));
            }
        }
    }

    static void PaintBackground(SyntheticBackground bg, int size, double[] canvas, ref SyntheticRandom noise)
    {
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                var c = bg.GradientAt(x + 0.5, y + 0.5, size);
                int i = (y * size + x) * 3;
                canvas[i] = c.R; canvas[i + 1] = c.G; canvas[i + 2] = c.B;
            }

        foreach (var b in bg.Blobs)
        {
            var (bx0, bx1, by0, by1) = Clip(b.CenterX - b.Radius, b.CenterX + b.Radius, b.CenterY - b.Radius, b.CenterY + b.Radius, size);
            for (int y = by0; y < by1; y++)
                for (int x = bx0; x < bx1; x++)
                {
                    double dx = x + 0.5 - b.CenterX, dy = y + 0.5 - b.CenterY;
                    double f = 1 - (dx * dx + dy * dy) / (b.Radius * b.Radius);
                    if (f > 0) Blend(canvas, (y * size + x) * 3, b.Colour, b.Alpha * f * f);
                }
        }

        foreach (var s in bg.Strokes)
        {
            double vx = s.X1 - s.X0, vy = s.Y1 - s.Y0, len2 = vx * vx + vy * vy, reach = s.Width / 2 + 1;
            var (sx0, sx1, sy0, sy1) = Clip(Math.Min(s.X0, s.X1) - reach, Math.Max(s.X0, s.X1) + reach,
                Math.Min(s.Y0, s.Y1) - reach, Math.Max(s.Y0, s.Y1) + reach, size);
            for (int y = sy0; y < sy1; y++)
                for (int x = sx0; x < sx1; x++)
                {
                    // Distance from the pixel centre to the segment; coverage ramps over one pixel at the edge.
                    double px = x + 0.5 - s.X0, py = y + 0.5 - s.Y0;
                    double t = len2 > 0 ? Math.Clamp((px * vx + py * vy) / len2, 0, 1) : 0;
                    double ex = px - t * vx, ey = py - t * vy;
                    double coverage = Math.Clamp(s.Width / 2 + 0.5 - Math.Sqrt(ex * ex + ey * ey), 0, 1);
                    if (coverage > 0) Blend(canvas, (y * size + x) * 3, s.Colour, s.Alpha * coverage);
                }
        }

        AddNoise(canvas, bg.NoiseAmplitude, ref noise);
    }

    /// <summary>Uniform noise in ±amplitude per channel; always draws one number per channel so the stream position
    /// (and hence the noise of later layers) does not depend on the amplitude.</summary>
    static void AddNoise(double[] canvas, double amplitude, ref SyntheticRandom noise)
    {
        for (int i = 0; i < canvas.Length; i++)
            canvas[i] += (2 * noise.NextDouble() - 1) * amplitude;
    }

    static void Blend(double[] canvas, int i, Rgb c, double alpha)
    {
        canvas[i] += (c.R - canvas[i]) * alpha;
        canvas[i + 1] += (c.G - canvas[i + 1]) * alpha;
        canvas[i + 2] += (c.B - canvas[i + 2]) * alpha;
    }
}
