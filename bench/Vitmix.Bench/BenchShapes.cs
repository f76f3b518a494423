namespace Vitmix.Bench;

/// <summary>The GEMMs of a ViT-B/16 forward at 224 (197 tokens, D 768, MLP 3072, 12 heads of 64).</summary>
public sealed record GemmShape(string Name, int M, int K, int N, bool TransB, int Count = 1)
{
    public double Flop => 2.0 * M * K * N * Count;
    public override string ToString() => Name;

    public static GemmShape[] VitB(int batch) =>
    [
        new($"qkv b{batch} {197 * batch}x768x2304", 197 * batch, 768, 2304, true),
        new($"proj b{batch} {197 * batch}x768x768", 197 * batch, 768, 768, true),
        new($"fc1 b{batch} {197 * batch}x768x3072", 197 * batch, 768, 3072, true),
        new($"fc2 b{batch} {197 * batch}x3072x768", 197 * batch, 3072, 768, true),
        new($"q·kT x{12 * batch} 197x64x197", 197, 64, 197, true, 12 * batch),
        new($"p·v x{12 * batch} 197x197x64", 197, 197, 64, false, 12 * batch),
    ];
}
