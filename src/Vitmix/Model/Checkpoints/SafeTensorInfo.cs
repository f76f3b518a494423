namespace Vitmix.Model.Checkpoints;

/// <summary>One tensor entry of a safetensors header. Offsets are relative to the start of the data buffer.</summary>
public sealed record SafeTensorInfo(string Name, SafeTensorDtype Dtype, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements: the product of the shape (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => checked(a * d)); // the reader refused shapes whose count overflows

    public long ByteLength => End - Begin;

    public override string ToString() => $"{Name} {Dtype}[{string.Join(", ", Shape)}]";
}
