using Tensor = Vitmix.Engine.Tensor;

namespace Vitmix.Cli;

/// <summary>Stacks single (1,3,H,W) inputs into one batch tensor.</summary>
static class TensorBatch
{
    public static Tensor Stack(IReadOnlyList<Tensor> inputs, int h, int w)
    {
        int size = 3 * h * w;
        var batch = new Tensor(inputs.Count, 3, h, w);
        for (int i = 0; i < inputs.Count; i++) inputs[i].Data.AsSpan().CopyTo(batch.Data.AsSpan(i * size, size));
        return batch;
    }
}
