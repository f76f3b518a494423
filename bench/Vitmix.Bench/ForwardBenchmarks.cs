using BenchmarkDotNet.Attributes;
using Vitmix.Model;

namespace Vitmix.Bench;

/// <summary>ViT-B/16 at 224 with random weights: logits of a batch.</summary>
public class ForwardBenchmarks
{
    VisionTransformer model = null!;
    Tensor images = null!;

    [Params(1, 16)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        model = RandomVit.Create(new VitConfig(), seed: 1);
        images = RandomVit.Images(model.Config, Batch, seed: 2);
    }

    [Benchmark]
    public Tensor Forward() => model.Forward(images);
}
