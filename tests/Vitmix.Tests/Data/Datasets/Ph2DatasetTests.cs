using Vitmix.Data.Datasets;

namespace Vitmix.Tests.Data.Datasets;

public class Ph2DatasetTests
{
    const string Header =
        "|| Name || Histological Diagnosis || Clinical Diagnosis || Asymmetry | Pigment Network | Dots/Globules | Streaks | Regression Areas | Blue-Whitish Veil || Colors ||";

    /// <summary>PH2Dataset with IMD003 (7x5, melanoma) and IMD010 (6x4, common nevus), sizes differing as in PH2.</summary>
    internal static void MakePh2(TempDir tmp, bool withText = true, bool withSecondMask = true)
    {
        string images = tmp.Dir("PH2Dataset", "PH2 Dataset images");
        foreach (var (name, w, h) in new[] { ("IMD003", 7, 5), ("IMD010", 6, 4) })
        {
            string img = tmp.Dir("PH2Dataset", "PH2 Dataset images", name, name + "_Dermoscopic_Image");
            FixtureImages.WriteBmp24(Path.Combine(img, name + ".bmp"), FixtureImages.Pattern(w, h, w), w, h);
            if (name == "IMD010" && !withSecondMask) continue;
            string les = tmp.Dir("PH2Dataset", "PH2 Dataset images", name, name + "_lesion");
            FixtureImages.WriteBmp24(Path.Combine(les, name + "_lesion.bmp"), Lesion(w, h), w, h);
        }
        if (withText)
            File.WriteAllLines(tmp.Combine("PH2Dataset", "PH2_dataset.txt"),
            [
                Header,
                "|| IMD003 ||  || 2 || 0 | T | A | A | A | A || 4 ||",
                "|| IMD010 || melanocytic || 0 || 1 | AT | A | P | A | A || 2 ||",
                "",
                "Legend:",
                "|| notes that must not be read as data ||",
            ]);
        _ = images;
    }

    /// <summary>A white (255,255,255) lesion rectangle x∈[1,4), y∈[1,3) on black.</summary>
    static byte[] Lesion(int w, int h)
    {
        var rgb = new byte[w * h * 3];
        for (int y = 1; y < 3; y++)
            for (int x = 1; x < 4; x++) rgb[(y * w + x) * 3] = rgb[(y * w + x) * 3 + 1] = rgb[(y * w + x) * 3 + 2] = 255;
        return rgb;
    }

    [Theory]
    [InlineData("")]
    [InlineData("PH2Dataset")]
    [InlineData("PH2Dataset/PH2 Dataset images")]
    public void ReadsNamesLabelsAndMasksFromAnyRootLevel(string sub)
    {
        using var tmp = new TempDir();
        MakePh2(tmp);
        var ds = new Ph2Dataset(Path.Combine(tmp.Path, sub));
        var samples = ds.Samples().ToList();
        Assert.Equal(["IMD003", "IMD010"], samples.Select(s => s.Name));
        Assert.Equal([2, 0], samples.Select(s => s.ClassLabel));
        Assert.Equal("melanoma", ds.ClassNames![2]);

        var mask = Assert.Single(samples[1].LoadMasks());
        Assert.Equal((6, 4), (mask.Width, mask.Height));
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 6; x++)
                Assert.Equal(x is >= 1 and < 4 && y is >= 1 and < 3 ? 1 : 0, mask.Labels[y * 6 + x]);

        var image = samples[0].LoadImage();
        Assert.Equal((7, 5), (image.Width, image.Height));
        Assert.Equal(FixtureImages.Pattern(7, 5, 7), image.Pixels); // BMP is lossless: exact
    }

    [Fact]
    public void LabelsAreNullWithoutMetadata()
    {
        using var tmp = new TempDir();
        MakePh2(tmp, withText: false);
        var ds = new Ph2Dataset(tmp.Path);
        Assert.Null(ds.MetadataFile);
        Assert.All(ds.Samples(), s => Assert.Null(s.ClassLabel));
    }

    [Fact]
    public void MissingMaskIsNamed()
    {
        using var tmp = new TempDir();
        MakePh2(tmp, withSecondMask: false);
        var e = Assert.Throws<FileNotFoundException>(() => new Ph2Dataset(tmp.Path).Samples().ToList());
        Assert.Contains("IMD010_lesion.bmp", e.Message);
    }

    [Fact]
    public void MissingLayoutIsNamed()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<DirectoryNotFoundException>(() => new Ph2Dataset(tmp.Path));
        Assert.Contains("PH2 Dataset images", e.Message);
    }

    [Fact]
    public void BadDiagnosisCodeNamesTheLine()
    {
        using var tmp = new TempDir();
        string path = tmp.Combine("PH2_dataset.txt");
        File.WriteAllLines(path, [Header, "|| IMD002 ||  || 0 || 0 ||", "|| IMD003 ||  || 7 || 0 ||"]);
        var e = Assert.Throws<InvalidDataException>(() => Ph2Dataset.ReadClinicalDiagnoses(path));
        Assert.Contains("line 3", e.Message);
        Assert.Contains("IMD003", e.Message);
    }
}
