using Vitmix.Data.Datasets;
using Vitmix.Data.Synthetic;

namespace Vitmix.Tests.Data.Synthetic;

public class SyntheticLabelTests
{
    [Fact]
    public void StreamedLabelsMatchTheRenderedObject()
    {
        var bench = new SyntheticBenchmark(64, seed: 1);
        foreach (var s in new SyntheticDataset(bench, 40).Samples())
        {
            long index = long.Parse(s.Name.Split('_')[1]);
            Assert.Equal(bench.Generate(index).ClassIndex, s.ClassLabel);
        }
        var viaSpec = DatasetSpec.Open("synth:20:1:64").Samples().Select(s => s.ClassLabel).ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (int?)bench.Generate(i).ClassIndex), viaSpec);
    }
}
