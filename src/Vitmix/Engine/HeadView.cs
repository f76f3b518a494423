namespace Vitmix.Engine;

/// <summary>
/// One matrix per (sample, head) inside a tensor, as multi-head attention stores them: element (r, c) of the matrix
/// of sample i and head h is at <c>Offset + i·SampleStride + h·HeadStride + r·RowStride + c</c>. The query, key and
/// value of a fused qkv projection (B, N, 3D) are such views (row stride 3D, head stride D/H), and so are the
/// attention probabilities (B, H, N, N) (row stride N, head stride N²).
/// </summary>
/// <param name="Tensor">The tensor holding every matrix.</param>
/// <param name="Offset">Element offset of sample 0, head 0.</param>
/// <param name="SampleStride">Elements between consecutive samples.</param>
/// <param name="HeadStride">Elements between consecutive heads of one sample.</param>
/// <param name="RowStride">Elements between consecutive rows of one matrix (the leading dimension).</param>
public readonly record struct HeadView(Tensor Tensor, long Offset, long SampleStride, long HeadStride, int RowStride)
{
    /// <summary>Element offset of the matrix of sample <paramref name="sample"/>, head <paramref name="head"/>.</summary>
    public long At(int sample, int head) => Offset + sample * SampleStride + head * HeadStride;
}
