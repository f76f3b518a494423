using Vitmix.Data.Datasets;

namespace Vitmix.Data.Synthetic;

/// <summary>
/// Images [First, First + Count) of a <see cref="SyntheticBenchmark"/> as a segmentation dataset, rendered on demand
/// (nothing is written to disk). Each sample renders once, on first access to its image or mask.
/// </summary>
public sealed class SyntheticDataset : ISegmentationDataset
{
    /// <summary>
    /// Images [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) of
    /// <paramref name="benchmark"/>; throws when count is not positive or first is negative.
    /// </summary>
    public SyntheticDataset(SyntheticBenchmark benchmark, long count, long first = 0)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "synthetic dataset count must be positive");
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        Benchmark = benchmark;
        Count = count;
        First = first;
    }

    /// <summary>The benchmark the images come from.</summary>
    public SyntheticBenchmark Benchmark { get; }
    /// <summary>Number of images, positive.</summary>
    public long Count { get; }
    /// <summary>Index of the first image in the benchmark.</summary>
    public long First { get; }

    /// <inheritdoc/>
    /// <remarks>"synthetic-&lt;size&gt;px-seed&lt;seed&gt;", e.g. "synthetic-64px-seed0".</remarks>
    public string Name => $"synthetic-{Benchmark.Size}px-seed{Benchmark.Seed}";
    /// <inheritdoc/>
    public IReadOnlyList<string>? ClassNames => Benchmark.ClassNames;

    /// <inheritdoc/>
    public IEnumerable<SegmentationSample> Samples()
    {
        for (long i = First; i < First + Count; i++)
        {
            long index = i;
            var sample = new Lazy<SyntheticSample>(() => Benchmark.Generate(index));
            yield return new SegmentationSample
            {
                Name = SyntheticBenchmark.SampleName(index),
                ClassLabel = Benchmark.ClassOf(index),
                LoadImage = () => sample.Value.Image,
                LoadMasks = () => [sample.Value.ToGroundTruthMask()],
            };
        }
    }
}
