using SkiaSharp;
using Vitmix.Data.Datasets;

namespace Vitmix.Tests.Data.Datasets;

public class FolderDatasetTests
{
    const int W = 5, H = 4;

    static byte[] Gray(Func<int, bool> on) => Enumerable.Range(0, W * H).Select(i => on(i) ? (byte)200 : (byte)0).ToArray();

    static void WriteGrayRgbPng(string path, byte[] gray)
    {
        var rgb = new byte[gray.Length * 3];
        for (int i = 0; i < gray.Length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
        FixtureImages.WriteRgb(path, rgb, W, H, SKEncodedImageFormat.Png);
    }

    /// <summary>
    /// images: cat.jpg, cat_2.png, dog.bmp; masks: cat_alice/bob/carol (3 annotators), cat_2.png (single, an image
    /// whose name looks like an annotator suffix), dog.png (greyscale single-channel PNG).
    /// </summary>
    internal static void MakeFolder(TempDir tmp, string? labels)
    {
        string images = tmp.Dir("images"), masks = tmp.Dir("masks");
        FixtureImages.WriteRgb(Path.Combine(images, "cat.jpg"), FixtureImages.Pattern(W, H, 1), W, H, SKEncodedImageFormat.Jpeg);
        FixtureImages.WriteRgb(Path.Combine(images, "cat_2.png"), FixtureImages.Pattern(W, H, 2), W, H, SKEncodedImageFormat.Png);
        FixtureImages.WriteBmp24(Path.Combine(images, "dog.bmp"), FixtureImages.Pattern(W, H, 3), W, H);
        File.WriteAllText(Path.Combine(images, "notes.txt"), "ignored");
        WriteGrayRgbPng(Path.Combine(masks, "cat_alice.png"), Gray(i => i < 10));
        WriteGrayRgbPng(Path.Combine(masks, "cat_bob.png"), Gray(i => i < 5));
        WriteGrayRgbPng(Path.Combine(masks, "cat_carol.png"), Gray(i => i >= 5 && i < 15));
        WriteGrayRgbPng(Path.Combine(masks, "cat_2.png"), Gray(i => i % 2 == 0));
        FixtureImages.WriteIndexedPng(Path.Combine(masks, "dog.png"), Gray(i => i == 7).Select(v => v == 0 ? (byte)0 : (byte)1).ToArray(), W, H, palette: false);
        if (labels is not null) File.WriteAllText(tmp.Combine("labels.csv"), labels);
    }

    [Fact]
    public void AssignsMasksAndBuildsMajority()
    {
        using var tmp = new TempDir();
        MakeFolder(tmp, null);
        var samples = new FolderDataset(tmp.Path).Samples().ToList();
        Assert.Equal(["cat", "cat_2", "dog"], samples.Select(s => s.Name));

        var cat = samples[0].LoadMasks();
        Assert.Equal(["alice", "bob", "carol", "majority"], cat.Select(m => m.Annotator));
        // Votes: i<5 → alice+bob+carol? carol covers 5..14 → i<5: alice,bob (2/3) → 1; 5..9: alice,carol → 1;
        // 10..14: carol only → 0; rest 0.
        byte[] expected = Enumerable.Range(0, W * H).Select(i => i < 10 ? (byte)1 : (byte)0).ToArray();
        Assert.Equal(expected, cat[3].Labels);
        Assert.Equal(Enumerable.Range(0, W * H).Select(i => i < 5 ? (byte)1 : (byte)0), cat[1].Labels);

        var cat2 = Assert.Single(samples[1].LoadMasks());
        Assert.Equal("", cat2.Annotator);
        Assert.Equal(Enumerable.Range(0, W * H).Select(i => i % 2 == 0 ? (byte)1 : (byte)0), cat2.Labels);

        var dog = Assert.Single(samples[2].LoadMasks());
        Assert.Equal(Enumerable.Range(0, W * H).Select(i => i == 7 ? (byte)1 : (byte)0), dog.Labels);
        Assert.All(samples, s => Assert.Null(s.ClassLabel));
        Assert.Equal(FixtureImages.Pattern(W, H, 3), samples[2].LoadImage().Pixels);
    }

    [Fact]
    public void TwoAnnotatorTieIsBackground()
    {
        using var tmp = new TempDir();
        tmp.Dir("images"); tmp.Dir("masks");
        FixtureImages.WriteBmp24(tmp.Combine("images", "a.bmp"), FixtureImages.Pattern(W, H, 1), W, H);
        WriteGrayRgbPng(tmp.Combine("masks", "a_x.png"), Gray(i => i < 6));
        WriteGrayRgbPng(tmp.Combine("masks", "a_y.png"), Gray(i => i < 3));
        var majority = new FolderDataset(tmp.Path).Samples().Single().LoadMasks()[^1];
        Assert.Equal(Enumerable.Range(0, W * H).Select(i => i < 3 ? (byte)1 : (byte)0), majority.Labels);
    }

    [Fact]
    public void IntegerLabels()
    {
        using var tmp = new TempDir();
        MakeFolder(tmp, "name,class\ncat,281\ndog,207\n");
        var ds = new FolderDataset(tmp.Path);
        Assert.Equal([281, null, 207], ds.Samples().Select(s => s.ClassLabel));
        Assert.Null(ds.ClassNames);
    }

    [Fact]
    public void NamedLabelsWithoutListBecomeSortedClassNames()
    {
        using var tmp = new TempDir();
        MakeFolder(tmp, "cat,tabby\ncat_2,tabby\ndog,beagle\n");
        var ds = new FolderDataset(tmp.Path);
        Assert.Equal(["beagle", "tabby"], ds.ClassNames!);
        Assert.Equal([1, 1, 0], ds.Samples().Select(s => s.ClassLabel));
    }

    [Fact]
    public void NamedLabelsResolveAgainstGivenListIncludingSynonyms()
    {
        using var tmp = new TempDir();
        MakeFolder(tmp, "cat,Tabby cat\ndog,\"beagle\"\ncat_2,1\n");
        string[] names = ["tench, Tinca tinca", "tabby, tabby cat", "beagle"];
        var ds = new FolderDataset(tmp.Path, names);
        Assert.Equal([1, 1, 2], ds.Samples().Select(s => s.ClassLabel));
        Assert.Same(names, ds.ClassNames);
    }

    [Fact]
    public void LabelErrorsNameTheLine()
    {
        using var tmp = new TempDir();
        MakeFolder(tmp, "cat,1\ndog,zebra\n");
        var e = Assert.Throws<InvalidDataException>(() => new FolderDataset(tmp.Path, ["a", "b"]));
        Assert.Contains("line 2", e.Message);
        Assert.Contains("zebra", e.Message);

        File.WriteAllText(tmp.Combine("labels.csv"), "cat,tabby\ndog,3\n");
        Assert.Contains("mixed", Assert.Throws<InvalidDataException>(() => new FolderDataset(tmp.Path)).Message);

        File.WriteAllText(tmp.Combine("labels.csv"), "horse,3\n");
        Assert.Contains("horse", Assert.Throws<InvalidDataException>(() => new FolderDataset(tmp.Path).Samples().ToList()).Message);
    }

    [Fact]
    public void MissingPartsAreNamed()
    {
        using var tmp = new TempDir();
        Assert.Contains("images", Assert.Throws<DirectoryNotFoundException>(() => new FolderDataset(tmp.Path)).Message);
        tmp.Dir("images");
        tmp.Dir("masks");
        FixtureImages.WriteBmp24(tmp.Combine("images", "solo.bmp"), FixtureImages.Pattern(W, H, 1), W, H);
        var e = Assert.Throws<FileNotFoundException>(() => new FolderDataset(tmp.Path).Samples().ToList());
        Assert.Contains("solo.png", e.Message);
    }

    [Fact]
    public void WithoutAMasksFolderItIsTrainingDataWhoseMasksAreRefusedByName()
    {
        using var tmp = new TempDir();
        MakeFolder(tmp, "cat,tabby\ncat_2,tabby\ndog,beagle\n");
        Assert.True(new FolderDataset(tmp.Path).HasMasks);
        Directory.Delete(tmp.Combine("masks"), recursive: true);
        var ds = new FolderDataset(tmp.Path);
        Assert.False(ds.HasMasks);
        var samples = ds.Samples().ToList();
        Assert.Equal(["cat", "cat_2", "dog"], samples.Select(x => x.Name));
        Assert.Equal([1, 1, 0], samples.Select(x => x.ClassLabel));
        Assert.Equal(W, samples[2].LoadImage().Width);
        var e = Assert.Throws<FileNotFoundException>(() => samples[0].LoadMasks());
        Assert.Contains("cat", e.Message);
        Assert.Contains("masks", e.Message);
    }
}
