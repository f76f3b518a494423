using Vitmix.Engine;

namespace Vitmix.Explain;

/// <summary>
/// The rollout product shared by attention rollout and transformer attribution: joint = M_{L-1} ··· M_start over
/// (N, N) token matrices, later blocks on the left (Abnar &amp; Zuidema 2020; Chefer et al. 2021).
/// </summary>
internal static class RolloutProduct
{
    /// <summary>The product of the matrices <paramref name="fill"/> writes for blocks start..last (into a cleared N×N buffer).</summary>
    public static float[] Compute(int tokens, int start, int last, Action<int, float[]> fill)
    {
        int n = tokens;
        var joint = new float[n * n];
        var block = new float[n * n];
        var product = new float[n * n];
        for (int l = start; l <= last; l++)
        {
            Array.Clear(block);
            fill(l, block);
            if (l == start) block.CopyTo(joint, 0);
            else
            {
                Gemm.Multiply(false, false, n, n, n, 1f, block, n, joint, n, 0f, product, n);
                (joint, product) = (product, joint);
            }
        }
        return joint;
    }
}
