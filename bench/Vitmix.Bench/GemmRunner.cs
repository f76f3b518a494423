using Vitmix.Engine;

namespace Vitmix.Bench;

/// <summary>Operands for one benchmark shape, laid out as the forward pass lays them out.</summary>
public sealed class GemmRunner
{
    readonly GemmShape shape;
    readonly float[] a, b, c;

    public GemmRunner(GemmShape shape)
    {
        this.shape = shape;
        var rng = new Random(1);
        a = new float[(long)shape.M * shape.K * shape.Count >= int.MaxValue ? 0 : shape.M * shape.K * shape.Count];
        b = new float[shape.K * shape.N * shape.Count];
        c = new float[shape.M * shape.N * shape.Count];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble() - 0.5f;
    }

    public void Run()
    {
        var s = shape;
        if (s.Count == 1)
            Gemm.Multiply(false, s.TransB, s.M, s.N, s.K, 1f, a, s.K, b, s.TransB ? s.K : s.N, 0f, c, s.N);
        else
            Gemm.MultiplyBatched(s.Count, false, s.TransB, s.M, s.N, s.K, 1f, a, s.K, (long)s.M * s.K,
                b, s.TransB ? s.K : s.N, (long)s.K * s.N, 0f, c, s.N, (long)s.M * s.N);
    }
}
