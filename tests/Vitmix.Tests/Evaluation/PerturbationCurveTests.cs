using Vitmix.Engine;
using Vitmix.Evaluation;

namespace Vitmix.Tests.Evaluation;

public class PerturbationCurveTests
{
    static Tensor GoldenInput(string set, string image)
    {
        var a = GoldenData.Npy(set, image, "input.npy");
        return new Tensor(a.ToFloat(), a.Shape);
    }

    [Fact]
    public void BatchedCurveEqualsOneForwardPerStep()
    {
        string set = GoldenData.Sets[0];
        var net = GoldenModel.Load(set);
        var x = GoldenInput(set, "disk");
        var map = GoldenData.Npy(set, "disk", "fusion/LRP+rollout_sqrt__norm.npy").ToFloat();
        var batched = new DeletionCurve(net, new PerturbationOptions { Steps = 20, BatchSize = 8 }).Compute(x, map);

        // Twin: rebuild every perturbed image independently and run each through its own batch-1 forward.
        var order = PixelOrder.Descending(map);
        int plane = 32 * 32, pps = plane / 20, target = batched.TargetClass;
        for (int step = 0; step <= 20; step++)
        {
            var img = (float[])x.Data.Clone();
            for (int i = 0; i < step * pps; i++)
                for (int c = 0; c < 3; c++) img[c * plane + order[i]] = 0f;
            var logits = net.Forward(new Tensor(img, 1, 3, 32, 32)).Data;
            double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
            double p = Math.Exp(logits[target] - max) / sum;
            Assert.True(Math.Abs(batched.Probabilities[step] - p) < 1e-6, $"step {step}: batched {batched.Probabilities[step]}, single {p}");
        }
        Assert.Equal(51, batched.PixelsPerStep);
        Assert.Equal(plane - 20 * 51, batched.NeverChanged);
    }

    [Fact]
    public void InsertionStartsFromTheBlurAndEndsNearTheImage()
    {
        string set = GoldenData.Sets[0];
        var net = GoldenModel.Load(set);
        var x = GoldenInput(set, "square_disk");
        var map = GoldenData.Npy(set, "square_disk", "fusion/rollout__norm.npy").ToFloat();
        // 64 steps of 16 pixels reveal all 1024 pixels, so the last point is the original image's probability.
        var full = new InsertionCurve(net, new PerturbationOptions { Steps = 64, BatchSize = 24 }).Compute(x, map);
        var logits = net.Forward(x).Data;
        int top = Array.IndexOf(logits, logits.Max());
        Assert.Equal(top, full.TargetClass);
        double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
        Assert.True(Math.Abs(Math.Exp(logits[top] - max) / sum - full.Probabilities[^1]) < 1e-6);

        var blur = Substrates.Create(PerturbationSubstrate.Blur, x.Data, 3, 32, 32);
        var bl = net.Forward(new Tensor(blur, 1, 3, 32, 32)).Data;
        double bmax = bl.Max(), bsum = bl.Sum(l => Math.Exp(l - bmax));
        Assert.True(Math.Abs(Math.Exp(bl[top] - bmax) / bsum - full.Probabilities[0]) < 1e-6);
    }

    [Fact]
    public void AreaIsTheTrapezoidRule()
    {
        Assert.Equal(0.5, PerturbationCurve.Area([1, 0.5, 0]), 12);
        Assert.Equal((0.2 + 0.6 + 0.9 / 2 + 0.1 / 2) / 3, PerturbationCurve.Area([0.1, 0.2, 0.6, 0.9]), 12);
    }

    [Fact]
    public void RiseKernelIsNormalisedSymmetricAndPeaked()
    {
        var k = Substrates.RiseKernel();
        Assert.Equal(11, k.Length);
        Assert.Equal(1.0, k.Sum(), 12);
        for (int i = 0; i < 5; i++) { Assert.Equal(k[i], k[10 - i], 12); Assert.True(k[i] < k[i + 1]); }
        // Blurring a constant image away from the border keeps the constant (weights sum to 1); zero padding darkens corners.
        var ones = Enumerable.Repeat(1f, 32 * 32).ToArray();
        var b = Substrates.Create(PerturbationSubstrate.Blur, ones, 1, 32, 32);
        Assert.Equal(1f, b[16 * 32 + 16], 5);
        Assert.True(b[0] < 0.5f);
    }

    [Fact]
    public void BlackAndMeanSubstrates()
    {
        float[] img = [1f, 3f, -1f, -3f];
        Assert.All(Substrates.Create(PerturbationSubstrate.Black, img, 2, 1, 2), v => Assert.Equal(-1f, v));
        Assert.Equal([-0.5f, -0.5f, -2f, -2f], Substrates.Create(PerturbationSubstrate.Black, img, 2, 1, 2, [0.5f, 0.4f], [1f, 0.2f]));
        Assert.Equal([2f, 2f, -2f, -2f], Substrates.Create(PerturbationSubstrate.Mean, img, 2, 1, 2));
    }

    [Fact]
    public void PixelOrdersAreStable()
    {
        Assert.Equal([1, 3, 0, 2], PixelOrder.Descending([0.5f, 0.9f, 0.1f, 0.9f]));
        Assert.Equal([1, 3, 0, 2], PixelOrder.FromMask([0, 1, 0, 1]));
        // 2x2 grid on a 4x4 image: patch 3 first, then patches 0, 1, 2 (ties by index).
        Assert.Equal([10, 11, 14, 15, 0, 1, 4, 5], PixelOrder.FromPatches([0f, 0f, 0f, 1f], 2, 2, 4, 4)[..8]);
        Assert.Throws<ArgumentException>(() => PixelOrder.Validate([0, 0, 1], 3, "test"));
    }
}
