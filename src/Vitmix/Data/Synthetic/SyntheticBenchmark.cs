using Vitmix.Data.Datasets;

namespace Vitmix.Data.Synthetic;

/// <summary>
/// A procedural segmentation benchmark with exact masks: each image shows one labelled shape (random size, position,
/// rotation, hue and texture; always bright) on a dark cluttered background (gradients, blobs, strokes, noise),
/// sometimes with smaller shapes of other classes beside it.
/// Image i depends only on (size, seed, i), so any image can be generated on its own, in any order or in parallel,
/// and a longer run extends a shorter one. Classes are balanced: every block of <see cref="ClassCount"/> consecutive
/// indices holds each class once, in an order shuffled per block.
/// </summary>
public sealed class SyntheticBenchmark
{
    /// <summary>64 px with 8 px patches gives an 8×8 token grid: small enough to train a ViT on two cores in well
    /// under an hour, large enough that each object spans several patches.</summary>
    public const int DefaultSize = 64;
    /// <summary>The range of image sides the generator accepts, in pixels.</summary>
    public const int MinSize = 32, MaxSize = 1024;

    // Generator streams: a separate stream per purpose keeps them independent of each other's draw counts.
    const ulong ClassStream = 1, SceneStream = 2, NoiseStream = 3;

    static readonly string[] Names = Enum.GetValues<SyntheticShape>().Select(s => s.ToString().ToLowerInvariant()).ToArray();

    /// <summary>
    /// The benchmark of square <paramref name="size"/>-pixel images generated from <paramref name="seed"/>; throws an
    /// <see cref="ArgumentOutOfRangeException"/> when the size is outside [<see cref="MinSize"/>, <see cref="MaxSize"/>].
    /// </summary>
    public SyntheticBenchmark(int size = DefaultSize, long seed = 0)
    {
        if (size < MinSize || size > MaxSize)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"synthetic image size must be {MinSize}..{MaxSize} px");
        Size = size;
        Seed = seed;
    }

    /// <summary>Image side in pixels (images are square).</summary>
    public int Size { get; }
    /// <summary>The seed every image is derived from; another seed gives another benchmark.</summary>
    public long Seed { get; }

    /// <summary>Class names in index order (lower-case shape names: circle, square, ...).</summary>
    public IReadOnlyList<string> ClassNames => Names;
    /// <summary>Number of classes: one per <see cref="SyntheticShape"/>.</summary>
    public int ClassCount => Names.Length;

    /// <summary>The file stem of image i: "synth_000042" (six digits or more; independent of the count).</summary>
    public static string SampleName(long index) => $"synth_{index:D6}";

    /// <summary>The class of image i, without rendering it.</summary>
    public int ClassOf(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        int k = ClassCount;
        var rng = SyntheticRandom.For(Seed, index / k, ClassStream);
        Span<int> order = stackalloc int[k];
        for (int i = 0; i < k; i++) order[i] = i;
        for (int i = k - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[(int)(index % k)];
    }

    /// <summary>Renders image i with its mask and class.</summary>
    public SyntheticSample Generate(long index)
    {
        var scene = Scene(index);
        var (rgb, mask) = SceneRenderer.Render(scene);
        return new SyntheticSample(index, SampleName(index), scene.ClassIndex, Names[scene.ClassIndex],
            new RgbImage(rgb, Size, Size), mask);
    }

    /// <summary>The geometric description of image i (what <see cref="Generate"/> draws).</summary>
    internal SyntheticScene Scene(long index)
    {
        int cls = ClassOf(index);
        return SceneSampler.Sample(Size, cls,
            SyntheticRandom.For(Seed, index, SceneStream), SyntheticRandom.For(Seed, index, NoiseStream));
    }
}
