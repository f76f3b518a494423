using Vitmix.Engine;

namespace Vitmix.Data;

/// <summary>Stacks single normalised inputs (1, C, H, W) into one batch (B, C, H, W).</summary>
public static class InputBatch
{
    /// <summary>The inputs one after another; each must be (1, C, H, W) of the same size.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count == 0) throw new ArgumentException("no inputs to stack");
        var shape = inputs[0].Shape;
        if (shape.Length != 4 || shape[0] != 1) throw new ArgumentException($"input {inputs[0]} is not (1, C, H, W)");
        long size = inputs[0].Length;
        var batch = new Tensor(inputs.Count, shape[1], shape[2], shape[3]);
        for (int i = 0; i < inputs.Count; i++)
        {
            if (!inputs[i].Shape.SequenceEqual(shape)) throw new ArgumentException($"input {i} is {inputs[i]}, the first is {inputs[0]}");
            inputs[i].Data.AsSpan().CopyTo(batch.Data.AsSpan(checked((int)(i * size)), (int)size));
        }
        return batch;
    }
}
