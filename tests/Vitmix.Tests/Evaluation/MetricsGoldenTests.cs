using Vitmix.Evaluation;

namespace Vitmix.Tests.Evaluation;

/// <summary>Golden stage 3: metrics from the golden masks equal the manifest values exactly.</summary>
public class MetricsGoldenTests
{
    public static IEnumerable<object[]> Cases() => GoldenData.SetImages();

    [Theory, MemberData(nameof(Cases))]
    public void MetricsOfGoldenMasksEqualManifest(string set, string image)
    {
        var truth = GoldenData.Npy(set, image, "gt_mask.npy").Values.Select(v => (byte)v).ToArray();
        var entry = GoldenData.ImageEntry(set, image);
        Assert.Equal(entry.GetProperty("gt_pixels").GetInt32(), truth.Count(t => t != 0));
        int checkedKeys = 0;
        foreach (var f in entry.GetProperty("fusion").EnumerateObject())
        {
            var mask = GoldenData.Npy(set, image, $"fusion/{f.Name}__mask.npy").Values.Select(v => (byte)v).ToArray();
            var counts = ConfusionCounts.Count(mask, truth);
            // The manifest follows the ViTmiX script: 0/0 → 0, and "pixel_accuracy" is TP/|G| (recall).
            var s = counts.Scores(ZeroDivision.Zero);
            Assert.Equal(f.Value.GetProperty("iou").GetDouble(), s.Iou);
            Assert.Equal(f.Value.GetProperty("f1").GetDouble(), s.F1);
            Assert.Equal(f.Value.GetProperty("pixel_accuracy").GetDouble(), s.Recall);
            Assert.Equal(f.Value.GetProperty("mask_pixels").GetInt64(), counts.Predicted);
            // No golden case has an empty union, so the public default (both empty → 1) agrees here too.
            Assert.Equal(s, counts.Scores());
            checkedKeys++;
        }
        Assert.Equal(30, checkedKeys);
    }
}
