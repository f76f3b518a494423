namespace Vitmix.Engine;

/// <summary>A dense float32 tensor over one contiguous row-major array.</summary>
public sealed class Tensor
{
    /// <summary>The elements in row-major order; shared, not copied, by the wrapping constructor and <see cref="Reshape"/>.</summary>
    public float[] Data { get; }
    /// <summary>The dimensions, outermost first, e.g. (B, C, H, W) for an image batch.</summary>
    public int[] Shape { get; }
    /// <summary>Number of elements: the product of <see cref="Shape"/>.</summary>
    public int Length => Data.Length;
    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>A zero-filled tensor; throws an <see cref="ArgumentException"/> on a negative dimension and an <see cref="OverflowException"/> beyond int.MaxValue elements.</summary>
    public Tensor(params int[] shape)
    {
        Shape = (int[])shape.Clone();
        Data = new float[checked((int)ElementCount(shape))];
    }

    /// <summary>Wraps <paramref name="data"/> without copying; throws an <see cref="ArgumentException"/> when its length is not the shape's element count.</summary>
    public Tensor(float[] data, params int[] shape)
    {
        if (ElementCount(shape) != data.Length)
            throw new ArgumentException($"data has {data.Length} elements but shape [{string.Join(", ", shape)}] needs {ElementCount(shape)}");
        Data = data;
        Shape = (int[])shape.Clone();
    }

    /// <summary>The size of <paramref name="axis"/>; a negative axis counts from the end (−1 is the last).</summary>
    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];
    /// <summary><see cref="Data"/> as a span.</summary>
    public Span<float> Span => Data;

    /// <summary>The same data under another shape of the same element count (a view: writes show in both).</summary>
    public Tensor Reshape(params int[] shape) => new(Data, shape);
    /// <summary>A deep copy.</summary>
    public Tensor Clone() => new((float[])Data.Clone(), Shape);

    /// <summary>The product of <paramref name="shape"/> (1 for rank 0); throws an <see cref="ArgumentException"/> on a negative dimension.</summary>
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

    /// <summary>The shape, e.g. "Tensor[1, 3, 224, 224]".</summary>
    public override string ToString() => $"Tensor[{string.Join(", ", Shape)}]";
}
