namespace Vitmix.Engine;

/// <summary>A dense float32 tensor over one contiguous row-major array.</summary>
public sealed class Tensor
{
    public float[] Data { get; }
    public int[] Shape { get; }
    public int Length => Data.Length;
    public int Rank => Shape.Length;

    public Tensor(params int[] shape)
    {
        Shape = (int[])shape.Clone();
        Data = new float[checked((int)ElementCount(shape))];
    }

    public Tensor(float[] data, params int[] shape)
    {
        if (ElementCount(shape) != data.Length)
            throw new ArgumentException($"data has {data.Length} elements but shape [{string.Join(", ", shape)}] needs {ElementCount(shape)}");
        Data = data;
        Shape = (int[])shape.Clone();
    }

    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];
    public Span<float> Span => Data;

    public Tensor Reshape(params int[] shape) => new(Data, shape);
    public Tensor Clone() => new((float[])Data.Clone(), Shape);

    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException("negative dimension");
            n *= d;
        }
        return n;
    }

    public override string ToString() => $"Tensor[{string.Join(", ", Shape)}]";
}
