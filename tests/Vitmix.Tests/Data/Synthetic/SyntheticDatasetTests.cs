using Vitmix.Data.Datasets;
using Vitmix.Data.Synthetic;

namespace Vitmix.Tests.Data.Synthetic;

public class SyntheticDatasetTests
{
    [Fact]
    public void Samples_StreamTheBenchmarkRange()
    {
        var bench = new SyntheticBenchmark(64, 4);
        ISegmentationDataset dataset = new SyntheticDataset(bench, count: 7, first: 5);
        Assert.Equal(bench.ClassNames, dataset.ClassNames);
        Assert.Contains("seed4", dataset.Name);

        var samples = dataset.Samples().ToList();
        Assert.Equal(7, samples.Count);
        for (int k = 0; k < samples.Count; k++)
        {
            var expected = bench.Generate(5 + k);
            var s = samples[k];
            Assert.Equal(expected.Name, s.Name);
            Assert.Equal(expected.ClassIndex, s.ClassLabel);
            var image = s.LoadImage();
            Assert.Equal((64, 64), (image.Width, image.Height));
            Assert.Equal(expected.Image.Pixels, image.Pixels);
            var masks = s.LoadMasks();
            var mask = Assert.Single(masks);
            Assert.Equal((64, 64), (mask.Width, mask.Height));
            Assert.Equal(expected.Mask, mask.Labels);
            Assert.DoesNotContain(GroundTruthMask.Void, mask.Labels);
        }
    }

    [Fact]
    public void RejectsEmptyRange()
    {
        var bench = new SyntheticBenchmark(64, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticDataset(bench, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticDataset(bench, 3, -1));
    }
}
