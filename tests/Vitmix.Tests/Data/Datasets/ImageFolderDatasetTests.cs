using SkiaSharp;
using Vitmix.Data.Datasets;

namespace Vitmix.Tests.Data.Datasets;

/// <summary>torchvision's ImageFolder rules: sorted class folders, recursive sorted files, its extension list.</summary>
public class ImageFolderDatasetTests
{
    const int W = 6, H = 5;

    static void Png(string path, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        FixtureImages.WriteRgb(path, FixtureImages.Pattern(W, H, seed), W, H, SKEncodedImageFormat.Png);
    }

    [Fact]
    public void ClassesAreSortedFoldersAndImagesAreFoundRecursivelyInSortedOrder()
    {
        using var tmp = new TempDir();
        Png(tmp.Combine("dog", "b.png"), 1);
        Png(tmp.Combine("dog", "a.PNG"), 2);               // extensions are case-insensitive
        Png(tmp.Combine("dog", "sub", "c.png"), 3);        // found recursively
        tmp.Dir("Cat");
        FixtureImages.WriteRgb(tmp.Combine("Cat", "x.jpg"), FixtureImages.Pattern(W, H, 4), W, H, SKEncodedImageFormat.Jpeg);
        File.WriteAllText(tmp.Combine("Cat", "readme.txt"), "not an image");
        File.WriteAllText(tmp.Combine("labels.csv"), "files at the top level are not classes");

        var ds = new ImageFolderDataset(tmp.Path);
        // Ordinal sort, as Python's sorted(): upper case before lower case.
        Assert.Equal(["Cat", "dog"], ds.ClassNames!);
        Assert.False(ds.HasMasks);
        var samples = ds.Samples().ToList();
        Assert.Equal(["Cat/x", "dog/a", "dog/b", "dog/sub/c"], samples.Select(s => s.Name));
        Assert.Equal([0, 1, 1, 1], samples.Select(s => s.ClassLabel));
        var image = samples[3].LoadImage();
        Assert.Equal((W, H), (image.Width, image.Height));
        Assert.Equal(FixtureImages.Pattern(W, H, 3)[..6], image.Pixels[..6]);
        Assert.Contains("no mask", Assert.Throws<InvalidDataException>(() => samples[0].LoadMasks()).Message);
    }

    [Fact]
    public void AClassWithoutImagesAndARootWithoutClassesAreNamed()
    {
        using var tmp = new TempDir();
        Assert.Contains("no class folders", Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(tmp.Path)).Message);
        Png(tmp.Combine("a", "1.png"), 1);
        tmp.Dir("empty");
        File.WriteAllText(tmp.Combine("empty", "notes.txt"), "x");
        var e = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(tmp.Path).Samples().ToList());
        Assert.Contains("empty", e.Message);
        Assert.Contains(tmp.Path, e.Message);
        Assert.Contains("not found", Assert.Throws<DirectoryNotFoundException>(() => new ImageFolderDataset(tmp.Combine("missing"))).Message);
    }

    [Fact]
    public void TheSpecOpensIt()
    {
        using var tmp = new TempDir();
        Png(tmp.Combine("b", "1.png"), 1);
        Png(tmp.Combine("a", "2.png"), 2);
        var ds = DatasetSpec.Open("imagefolder:" + tmp.Path, new DatasetOptions(Classes: ["b"]));
        Assert.False(ds.HasMasks);
        Assert.Equal(["b/1"], ds.Samples().Select(s => s.Name));
    }
}
