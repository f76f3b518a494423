using Vitmix.Data.Datasets;

namespace Vitmix.Data.Synthetic;

/// <summary>
/// Images [First, First + Count) of a <see cref="SyntheticBenchmark"/> as a segmentation dataset, rendered on demand
/// (nothing is written to disk). Each sample renders once, on first access to its image or mask.
/// </summary>
public sealed class SyntheticDataset : ISegmentationDataset
{
    public SyntheticDataset(SyntheticBenchmark benchmark, long count, long first = 0)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "synthetic dataset count must be positive");
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        Benchmark = benchmark;
        Count = count;
        First = first;
    }

    public SyntheticBenchmark Benchmark { get; }
    public long Count { get; }
    public long First { get; }

    public string Name => $"synthetic-{Benchmark.Size}px-seed{Benchmark.Seed}";
    public IReadOnlyList<string>? ClassNames => Benchmark.ClassNames;

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
