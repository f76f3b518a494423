using Vitmix.Data.Synthetic;

namespace Vitmix.Server.Images;

/// <summary>
/// The demo's synthetic images (held-out benchmark seed), rendered on demand at the model's size, each with its exact
/// object mask, so IoU and F1 work without any upload.
/// </summary>
public sealed class DemoImages(int modelSize, long seed, int count)
{
    readonly SyntheticBenchmark benchmark = new(Math.Clamp(modelSize, SyntheticBenchmark.MinSize, SyntheticBenchmark.MaxSize), seed);

    /// <summary>How many are offered.</summary>
    public int Count => count;

    /// <summary>The benchmark they come from.</summary>
    public SyntheticBenchmark Benchmark => benchmark;

    /// <summary>(index, name, class name) of every offered image.</summary>
    public IEnumerable<(int Index, string Name, string ClassName)> List() =>
        Enumerable.Range(0, count).Select(i => (i, SyntheticBenchmark.SampleName(i), benchmark.ClassNames[benchmark.ClassOf(i)]));

    /// <summary>Image <paramref name="index"/>, or an <see cref="ApiException"/> (404) outside 0..count-1.</summary>
    public SyntheticSample Get(int index) =>
        index >= 0 && index < count ? benchmark.Generate(index)
            : throw ApiException.NotFound($"demo image {index}: outside 0..{count - 1}");
}
