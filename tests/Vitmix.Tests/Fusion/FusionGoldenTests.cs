using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;

namespace Vitmix.Tests.Fusion;

/// <summary>Golden stage 2: fusion, upsampling, normalisation and Otsu from the golden fusion/KEY__grid inputs.</summary>
public class FusionGoldenTests
{
    static readonly string[] Inputs = ["LRP", "saliency", "rollout", "CAM"];

    public static IEnumerable<object[]> Cases() => GoldenData.SetImages();

    static (string[] Methods, string Op) ParseKey(string key)
    {
        int u = key.LastIndexOf('_');
        string op = u > 0 ? key[(u + 1)..] : "";
        if (op is "sqrt" or "multiply" or "geomean") return (key[..u].Split('+'), op);
        return ([key], "single");
    }

    static Heatmap Grid(string set, string image, string key)
    {
        var a = GoldenData.Npy(set, image, $"fusion/{key}__grid.npy");
        return new Heatmap(a.ToFloat(), a.Shape[0], a.Shape[1]);
    }

    [Theory, MemberData(nameof(Cases))]
    public void EveryFusedGridMatchesGolden(string set, string image)
    {
        var maps = Inputs.ToDictionary(m => m.ToLowerInvariant(), m => Grid(set, image, m));
        var keys = GoldenData.Manifest(set).GetProperty("fusion_keys").EnumerateArray().Select(k => k.GetString()!).ToList();
        Assert.Equal(30, keys.Count);
        foreach (var key in keys)
        {
            var (methods, op) = ParseKey(key);
            string fusion = op switch { "multiply" => "product", "geomean" => "gmean", _ => op };
            var spec = new FusionSpec([.. methods.Select(m => m.ToLowerInvariant())], fusion);
            var got = spec.Apply(maps);
            var want = Grid(set, image, key);
            float scale = want.Values.Max(MathF.Abs);
            for (int i = 0; i < want.Values.Length; i++)
                Assert.True(MathF.Abs(got.Values[i] - want.Values[i]) <= 2e-6f * scale + 1e-30f,
                    $"{set}/{image}/{key}[{i}]: got {got.Values[i]:R}, golden {want.Values[i]:R}");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void NormAndOtsuMaskMatchGolden(string set, string image)
    {
        var entry = GoldenData.ImageEntry(set, image);
        int s = GoldenData.Manifest(set).GetProperty("config").GetProperty("img_size").GetInt32();
        int exactMasks = 0;
        foreach (var f in entry.GetProperty("fusion").EnumerateObject())
        {
            string key = f.Name;
            var grid = Grid(set, image, key);
            var norm = MapToMask.Normalize(grid, s, s);
            var wantNorm = GoldenData.Npy(set, image, $"fusion/{key}__norm.npy").ToFloat();
            Assert.Equal(wantNorm.Length, norm.Length);
            for (int i = 0; i < norm.Length; i++)
                Assert.True(MathF.Abs(norm[i] - wantNorm[i]) <= 1e-6f, $"{set}/{image}/{key}__norm[{i}]: got {norm[i]:R}, golden {wantNorm[i]:R}");

            // Otsu on our norm: threshold exact, mask within a couple of pixels (a value exactly on a u8 step can flip).
            var mine = MapToMask.Threshold(norm, s, s, new OtsuThreshold());
            Assert.Equal(f.Value.GetProperty("otsu_threshold").GetDouble(), mine.Threshold);
            var wantMask = GoldenData.Npy(set, image, $"fusion/{key}__mask.npy").Values;
            int diff = 0;
            for (int i = 0; i < wantMask.Length; i++) if (mine.Mask[i] != (byte)wantMask[i]) diff++;
            Assert.True(diff <= 2, $"{set}/{image}/{key}: {diff} mask pixels differ");
            if (diff == 0) exactMasks++;

            // Otsu on the golden norm itself must reproduce the golden mask exactly.
            var fromGolden = MapToMask.Threshold(wantNorm, s, s, new OtsuThreshold());
            Assert.Equal(f.Value.GetProperty("otsu_threshold").GetDouble(), fromGolden.Threshold);
            for (int i = 0; i < wantMask.Length; i++) Assert.True(fromGolden.Mask[i] == (byte)wantMask[i], $"{set}/{image}/{key}__mask[{i}]");
            Assert.Equal(f.Value.GetProperty("mask_pixels").GetInt32(), fromGolden.MaskPixels);
        }
        Assert.True(exactMasks > 0);
    }
}
