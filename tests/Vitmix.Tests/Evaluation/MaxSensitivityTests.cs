using Vitmix.Engine;
using Vitmix.Evaluation.MapMetrics;

namespace Vitmix.Tests.Evaluation;

/// <summary>Max-sensitivity's parts: the relative change, the perturbed copies and their specified noise.</summary>
public class MaxSensitivityTests
{
    [Fact]
    public void TheRelativeChangeIsTheNormOfTheDifferenceOverTheOriginalsNorm()
    {
        Assert.Equal(0, MaxSensitivity.RelativeChange([3f, 4f], [3f, 4f]));
        Assert.Equal(1, MaxSensitivity.RelativeChange([3f, 4f], [0f, 0f]), 12);
        Assert.Equal(0.2, MaxSensitivity.RelativeChange([3f, 4f], [3f, 5f]), 6); // ‖(0, 1)‖ / 5
        Assert.True(double.IsNaN(MaxSensitivity.RelativeChange([0f, 0f], [1f, 0f])));
    }

    [Fact]
    public void TheUniformNoiseIsTheSpecifiedSplitMixStream()
    {
        // Drawn independently (Python, the formula of SplitMixUniform's summary) for seed 7, stream 3, [−1, 1).
        var values = new float[3];
        SplitMixUniform.Fill(7, 3, -1, 1, values);
        Assert.Equal([0.9777097105979919f, -0.39865753054618835f, 0.6925596594810486f], values);
    }

    [Fact]
    public void PerturbedCopiesStayWithinTheRadiusOfEachChannelsRange()
    {
        int c = 3, h = 4, w = 5, plane = h * w;
        var input = new Tensor([.. Enumerable.Range(0, c * plane).Select(i => (float)Math.Cos(i))], 1, c, h, w);
        float[] std = [0.5f, 0.25f, 1f];
        var copies = MaxSensitivity.PerturbedCopies(input, 4, 0.02, std, seed: 1, firstStream: 0);
        Assert.Equal([4, c, h, w], copies.Shape);
        for (int k = 0; k < 4; k++)
            for (int ch = 0; ch < c; ch++)
            {
                double bound = 0.02 / std[ch], largest = 0;
                for (int p = 0; p < plane; p++)
                {
                    int i = ch * plane + p;
                    largest = Math.Max(largest, Math.Abs(copies.Data[k * c * plane + i] - input.Data[i]));
                }
                Assert.InRange(largest, bound / 2, bound * (1 + 1e-5)); // 20 draws: some beyond half the bound
            }
        // Copies differ from each other, the same seed repeats them, another seed does not.
        Assert.NotEqual(copies.Data.AsSpan(0, c * plane).ToArray(), copies.Data.AsSpan(c * plane, c * plane).ToArray());
        Assert.Equal(copies.Data, MaxSensitivity.PerturbedCopies(input, 4, 0.02, std, 1, 0).Data);
        Assert.NotEqual(copies.Data, MaxSensitivity.PerturbedCopies(input, 4, 0.02, std, 2, 0).Data);
        Assert.Equal(input.Data, MaxSensitivity.PerturbedCopies(input, 1, 0, std, 1, 0).Data);
    }
}
