namespace Vitmix.Model.Checkpoints;

/// <summary>One tensor entry of a safetensors header. Offsets are relative to the start of the data buffer.</summary>
/// <param name="Name">The tensor's key in the header, e.g. "blocks.0.attn.qkv.weight".</param>
/// <param name="Dtype">The element type as the header names it.</param>
/// <param name="Shape">The dimensions, outermost first (row-major); empty for a scalar.</param>
/// <param name="Begin">Byte offset of the first element, inclusive.</param>
/// <param name="End">Byte offset past the last element, exclusive.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorDtype Dtype, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements: the product of the shape (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => checked(a * d)); // the reader refused shapes whose count overflows

    /// <summary>Bytes the tensor occupies in the data buffer: <see cref="End"/> − <see cref="Begin"/>.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Name, dtype and shape, e.g. "head.weight F32[1000, 768]".</summary>
    public override string ToString() => $"{Name} {Dtype}[{string.Join(", ", Shape)}]";
}
