namespace Vitmix.Data.Synthetic;

/// <summary>
/// Draws the random description of image i from its own generator stream. Lengths are given for the default 64 px and
/// scale with the image size, so a larger benchmark looks like an upsampled smaller one.
/// </summary>
internal static class SceneSampler
{
    // Object radius as a fraction of the image side: 0.2–0.34 gives 13–22 px at 64 px, i.e. 3–5 patches of 8 px across.
    const double MinTargetRadius = 0.20, MaxTargetRadius = 0.34;
    // Distractors are clearly smaller than the labelled object, so the label is never ambiguous to the classifier,
    // yet big enough to be recognisable: a class-specific explanation must tell them apart.
    const double MinDistractorScale = 0.45, MaxDistractorScale = 0.7;
    /// <summary>Pixels kept free between the bounding discs of any two objects (more than a pixel's half diagonal,
    /// so no anti-aliased edge of one object reaches a pixel of another).</summary>
    public const double ObjectGap = 2.0;
    const double Margin = 1.0;
    // Minimum colour distance (RGB, 0–255) between an object's colours and the background under its centre.
    const double MinContrast = 90, MinSecondaryContrast = 60;
    const int Attempts = 32;
    // Figure and ground: objects are bright (HSV value ≥ 0.75, a texture's second colour ≥ 0.7) on a dark, cluttered
    // ground (value ≤ 0.35, blobs ≤ 0.4, strokes ≤ 0.45); hue, saturation and texture stay random. Measured on this
    // benchmark (docs/benchmarks.md): with random brightness on both sides, whether a pixel belongs to an object is no
    // linear function of its colour, a ViT trained from scratch must first learn that nonlinearity, and it reached 13 %
    // after three epochs where this contrast gives 35 %; the object's silhouette becomes what the patch embedding sees.
    const double MaxBackgroundValue = 0.35, MaxClutterValue = 0.4, MaxStrokeValue = 0.45;
    const double MinObjectValue = 0.75, MinSecondaryValue = 0.7;

    public static SyntheticScene Sample(int size, int classIndex, SyntheticRandom rng, SyntheticRandom noise)
    {
        double scale = size / 64.0;
        var background = SampleBackground(size, scale, ref rng, noise);

        double radius = rng.Uniform(MinTargetRadius, MaxTargetRadius) * size;
        double cx = rng.Uniform(radius + Margin, size - radius - Margin);
        double cy = rng.Uniform(radius + Margin, size - radius - Margin);
        var target = new SceneObject(
            new ShapePlacement((SyntheticShape)classIndex, cx, cy, radius, rng.Uniform(-Math.PI, Math.PI)),
            SampleTexture(background.GradientAt(cx, cy, size), scale, ref rng));

        double u = rng.NextDouble();
        int wanted = u < 0.4 ? 0 : u < 0.75 ? 1 : 2;
        var distractors = new List<SceneObject>(wanted);
        for (int d = 0; d < wanted; d++)
        {
            // Another class, uniformly: shift by 1..K−1 so the labelled class is never drawn twice.
            var shape = (SyntheticShape)((classIndex + 1 + rng.NextInt(ShapeGeometry.Count - 1)) % ShapeGeometry.Count);
            double r = radius * rng.Uniform(MinDistractorScale, MaxDistractorScale);
            double rotation = rng.Uniform(-Math.PI, Math.PI);
            for (int attempt = 0; attempt < Attempts; attempt++)
            {
                double x = rng.Uniform(r + Margin, size - r - Margin);
                double y = rng.Uniform(r + Margin, size - r - Margin);
                if (!Clear(x, y, r, target, distractors)) continue;
                distractors.Add(new SceneObject(new ShapePlacement(shape, x, y, r, rotation),
                    SampleTexture(background.GradientAt(x, y, size), scale, ref rng)));
                break;
            }
        }
        return new SyntheticScene(size, classIndex, target, distractors, background);
    }

    static bool Clear(double x, double y, double r, SceneObject target, List<SceneObject> others)
    {
        if (!Apart(x, y, r, target.Placement)) return false;
        foreach (var o in others)
            if (!Apart(x, y, r, o.Placement)) return false;
        return true;
    }

    static bool Apart(double x, double y, double r, ShapePlacement p)
    {
        double dx = x - p.CenterX, dy = y - p.CenterY, min = r + p.Radius + ObjectGap;
        return dx * dx + dy * dy >= min * min;
    }

    static SyntheticBackground SampleBackground(int size, double scale, ref SyntheticRandom rng, SyntheticRandom noise)
    {
        Rgb from = MutedColour(ref rng), to = MutedColour(ref rng);
        var (dy, dx) = DeterministicMath.SinCos(rng.Uniform(0, 2 * Math.PI));

        int blobCount = rng.NextInt(6);
        var blobs = new Blob[blobCount];
        for (int i = 0; i < blobCount; i++)
            blobs[i] = new Blob(rng.Uniform(0, size), rng.Uniform(0, size), rng.Uniform(0.08, 0.3) * size,
                Rgb.FromHsv(rng.NextDouble(), rng.Uniform(0, 0.8), rng.Uniform(0.1, MaxClutterValue)), rng.Uniform(0.2, 0.6));

        int strokeCount = rng.NextInt(11);
        var strokes = new Stroke[strokeCount];
        for (int i = 0; i < strokeCount; i++)
            strokes[i] = new Stroke(
                rng.Uniform(-0.1, 1.1) * size, rng.Uniform(-0.1, 1.1) * size,
                rng.Uniform(-0.1, 1.1) * size, rng.Uniform(-0.1, 1.1) * size,
                rng.Uniform(0.6, 2.0) * scale,
                Rgb.FromHsv(rng.NextDouble(), rng.NextDouble(), rng.Uniform(0.1, MaxStrokeValue)), rng.Uniform(0.5, 1));

        return new SyntheticBackground(from, to, dx, dy, blobs, strokes, rng.Uniform(0, 28), rng.Uniform(0, 8), noise);
    }

    static Rgb MutedColour(ref SyntheticRandom rng) =>
        Rgb.FromHsv(rng.NextDouble(), rng.Uniform(0, 0.6), rng.Uniform(0.05, MaxBackgroundValue));

    static Rgb VividColour(ref SyntheticRandom rng) =>
        Rgb.FromHsv(rng.NextDouble(), rng.Uniform(0.55, 1), rng.Uniform(MinObjectValue, 1));

    static ObjectTexture SampleTexture(Rgb behind, double scale, ref SyntheticRandom rng)
    {
        var kind = (TextureKind)rng.NextInt(4);
        Rgb primary = Contrasting(behind, MinContrast, ref rng);
        Rgb secondary = primary;
        if (kind != TextureKind.Solid)
        {
            // The second colour must stand out from both the background (or the silhouette breaks up) and the first.
            double best = -1;
            for (int attempt = 0; attempt < Attempts; attempt++)
            {
                var c = Rgb.FromHsv(rng.NextDouble(), rng.Uniform(0.3, 1), rng.Uniform(MinSecondaryValue, 1));
                double score = Math.Min(c.DistanceTo(behind), c.DistanceTo(primary));
                if (score > best) { best = score; secondary = c; }
                if (score >= MinSecondaryContrast) break;
            }
        }
        double period = kind == TextureKind.Dots ? rng.Uniform(4, 7) * scale : rng.Uniform(3, 6) * scale;
        return new ObjectTexture(kind, primary, secondary, period, rng.Uniform(0, 2 * Math.PI), rng.NextDouble());
    }

    static Rgb Contrasting(Rgb behind, double min, ref SyntheticRandom rng)
    {
        Rgb best = default;
        double bestDistance = -1;
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            var c = VividColour(ref rng);
            double d = c.DistanceTo(behind);
            if (d > bestDistance) { bestDistance = d; best = c; }
            if (d >= min) break;
        }
        return best;
    }
}
