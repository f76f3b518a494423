using Vitmix.Engine;
using Vitmix.Evaluation;

namespace Vitmix.Tests.Evaluation;

/// <summary>Golden stage 4: deletion curves from the golden __mask / __norm, stable order and the replayed NumPy order.</summary>
public class DeletionGoldenTests
{
    public static IEnumerable<object[]> Cases() => GoldenData.SetImages();

    [Theory, MemberData(nameof(Cases))]
    public void DeletionCurvesMatchGolden(string set, string image)
    {
        var net = GoldenModel.Load(set);
        var input = GoldenData.Npy(set, image, "input.npy");
        var x = new Tensor(input.ToFloat(), input.Shape);
        var entry = GoldenData.ImageEntry(set, image);
        int pred = entry.GetProperty("pred_class").GetInt32();
        var curve = new DeletionCurve(net, new PerturbationOptions { Steps = 100, BatchSize = 32 });
        int cases = 0;
        foreach (var d in entry.GetProperty("deletion").EnumerateArray())
        {
            string map = d.GetProperty("map").GetString()!;
            string[] kindKey = map.Split(':', 2);
            string file = kindKey[0] == "mask" ? $"fusion/{kindKey[1]}__mask.npy" : $"fusion/{kindKey[1]}__norm.npy";
            var values = GoldenData.Npy(set, image, file).ToFloat();
            PerturbationCurve got = d.GetProperty("order").GetString() switch
            {
                "stable" => curve.Compute(x, (ReadOnlySpan<float>)values),
                "numpy" => curve.Compute(x, (ReadOnlySpan<int>)GoldenData.Npy(set, image, d.GetProperty("order_file").GetString()!).Values.Select(v => (int)v).ToArray()),
                var o => throw new InvalidDataException($"unknown order {o}"),
            };
            var want = GoldenData.Npy(set, image, d.GetProperty("curve_file").GetString()!).Values;
            string what = $"{set}/{image}/{map}/{d.GetProperty("order").GetString()}";
            Assert.Equal(pred, got.TargetClass);
            Assert.Equal(d.GetProperty("pixels_per_step").GetInt32(), got.PixelsPerStep);
            Assert.Equal(d.GetProperty("never_deleted").GetInt32(), got.NeverChanged);
            Assert.Equal(want.Length, got.Probabilities.Length);
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(got.Probabilities[i] - want[i]) <= 1e-5, $"{what} step {i}: got {got.Probabilities[i]:R}, golden {want[i]:R}");
            Assert.True(Math.Abs(got.Auc - d.GetProperty("auc").GetDouble()) <= 1e-5, $"{what} auc {got.Auc:R} vs {d.GetProperty("auc").GetDouble():R}");
            cases++;
        }
        Assert.True(cases >= 5);
    }

    [Fact]
    public void StableMaskOrderDiffersFromNumpyOrderAsDocumented()
    {
        // README: vit32/disk mask:LRP gives auc 0.171 (stable) vs 0.066 (numpy order) — the tie order matters.
        string set = GoldenData.Sets[0];
        var net = GoldenModel.Load(set);
        var input = GoldenData.Npy(set, "disk", "input.npy");
        var x = new Tensor(input.ToFloat(), input.Shape);
        var mask = GoldenData.Npy(set, "disk", "fusion/LRP__mask.npy").Values.Select(v => (byte)v).ToArray();
        var viaScript = DeletionCurve.VitmixScript(net, x, mask);
        Assert.Equal(0.171, viaScript.Auc, 3);
    }
}
