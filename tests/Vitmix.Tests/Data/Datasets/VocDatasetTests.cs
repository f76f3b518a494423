using SkiaSharp;
using Vitmix.Data.Datasets;

namespace Vitmix.Tests.Data.Datasets;

public class VocDatasetTests
{
    const int W = 8, H = 6;

    /// <summary>
    /// VOCdevkit/VOC2012 with two val images: "2007_000032" has 10 px of class 1 (aeroplane), 14 px of class 15
    /// (person), a void border; "2007_000039" has only background and void.
    /// </summary>
    internal static string MakeVoc(TempDir tmp, bool withSecondMask = true)
    {
        string voc = tmp.Dir("VOCdevkit", "VOC2012");
        tmp.Dir("VOCdevkit", "VOC2012", "ImageSets", "Segmentation");
        tmp.Dir("VOCdevkit", "VOC2012", "JPEGImages");
        tmp.Dir("VOCdevkit", "VOC2012", "SegmentationClass");
        File.WriteAllText(Path.Combine(voc, "ImageSets", "Segmentation", "val.txt"), "2007_000032\n2007_000039\n\n");
        File.WriteAllText(Path.Combine(voc, "ImageSets", "Segmentation", "train.txt"), "2007_000039\n");
        foreach (string id in new[] { "2007_000032", "2007_000039" })
            FixtureImages.WriteRgb(Path.Combine(voc, "JPEGImages", id + ".jpg"), FixtureImages.Pattern(W, H, 3), W, H, SKEncodedImageFormat.Jpeg);
        FixtureImages.WriteIndexedPng(Path.Combine(voc, "SegmentationClass", "2007_000032.png"), FirstMask(), W, H, filters: [0, 1, 2, 3, 4]);
        if (withSecondMask)
        {
            var bgVoid = new byte[W * H];
            bgVoid[3] = 255;
            FixtureImages.WriteIndexedPng(Path.Combine(voc, "SegmentationClass", "2007_000039.png"), bgVoid, W, H);
        }
        return voc;
    }

    static byte[] FirstMask()
    {
        var m = new byte[W * H];
        for (int i = 0; i < 10; i++) m[W + i] = 1;        // rows 1-2: 10 px aeroplane
        for (int i = 0; i < 14; i++) m[3 * W + i] = 15;   // rows 3-4: 14 px person
        for (int x = 0; x < W; x++) m[x] = 255;           // row 0: void boundary
        return m;
    }

    [Theory]
    [InlineData("")]
    [InlineData("VOCdevkit")]
    [InlineData("VOCdevkit/VOC2012")]
    public void AcceptsEachRootLevel(string sub)
    {
        using var tmp = new TempDir();
        MakeVoc(tmp);
        var ds = new VocDataset(Path.Combine(tmp.Path, sub));
        Assert.Equal(["2007_000032", "2007_000039"], ds.Samples().Select(s => s.Name));
    }

    [Fact]
    public void MasksKeepVoidAndMergeObjectClasses()
    {
        using var tmp = new TempDir();
        MakeVoc(tmp);
        var sample = new VocDataset(tmp.Path).Samples().First();
        var mask = Assert.Single(sample.LoadMasks());
        Assert.Equal((W, H), (mask.Width, mask.Height));
        byte[] expected = FirstMask().Select(c => c == 255 ? (byte)255 : c == 0 ? (byte)0 : (byte)1).ToArray();
        Assert.Equal(expected, mask.Labels);
        Assert.Equal("", mask.Annotator);
    }

    [Fact]
    public void LabelIsTheLargestObjectClassOrNull()
    {
        using var tmp = new TempDir();
        MakeVoc(tmp);
        var samples = new VocDataset(tmp.Path).Samples().ToList();
        Assert.Equal(15, samples[0].ClassLabel); // person (14 px) beats aeroplane (10 px)
        Assert.Null(samples[1].ClassLabel);
        Assert.Equal("person", new VocDataset(tmp.Path).ClassNames![15]);
        Assert.Equal(21, VocDataset.VocClassNames.Count);
    }

    [Fact]
    public void ImageDecodesAtItsSize()
    {
        using var tmp = new TempDir();
        MakeVoc(tmp);
        var image = new VocDataset(tmp.Path).Samples().First().LoadImage();
        Assert.Equal((W, H, W * H * 3), (image.Width, image.Height, image.Pixels.Length));
        // JPEG is lossy: compare loosely with the written pattern.
        byte[] pattern = FixtureImages.Pattern(W, H, 3);
        double meanAbs = pattern.Zip(image.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanAbs < 40, $"mean abs diff {meanAbs}");
    }

    [Fact]
    public void SplitSelectsIds()
    {
        using var tmp = new TempDir();
        MakeVoc(tmp);
        var ds = new VocDataset(tmp.Path, "train");
        Assert.Equal(["2007_000039"], ds.Samples().Select(s => s.Name));
        Assert.Equal("voc2012-train", ds.Name);
    }

    [Fact]
    public void ErrorsNameTheMissingPart()
    {
        using var tmp = new TempDir();
        MakeVoc(tmp, withSecondMask: false);
        var e = Assert.Throws<FileNotFoundException>(() => new VocDataset(tmp.Path).Samples().ToList());
        Assert.Contains("2007_000039.png", e.Message);

        var split = Assert.Throws<FileNotFoundException>(() => new VocDataset(tmp.Path, "test"));
        Assert.Contains("test.txt", split.Message);

        using var empty = new TempDir();
        var root = Assert.Throws<DirectoryNotFoundException>(() => new VocDataset(empty.Path));
        Assert.Contains("ImageSets/Segmentation", root.Message);
    }

    [Fact]
    public void RejectsIndicesOutsideVocRange()
    {
        using var tmp = new TempDir();
        string voc = MakeVoc(tmp);
        var bad = new byte[W * H];
        bad[5] = 42;
        FixtureImages.WriteIndexedPng(Path.Combine(voc, "SegmentationClass", "2007_000039.png"), bad, W, H);
        var sample = new VocDataset(tmp.Path).Samples().Last();
        var e = Assert.Throws<InvalidDataException>(() => sample.LoadMasks());
        Assert.Contains("42", e.Message);
    }

    [Fact]
    public void SpecOpensVocWithClassFilterByName()
    {
        using var tmp = new TempDir();
        MakeVoc(tmp);
        var ds = DatasetSpec.Open("voc:" + tmp.Path, new DatasetOptions(Classes: ["person"]));
        Assert.Equal(["2007_000032"], ds.Samples().Select(s => s.Name));
        Assert.Empty(DatasetSpec.Open("voc:" + tmp.Path, new DatasetOptions(Classes: ["aeroplane"])).Samples());
        Assert.Equal(["2007_000039"], DatasetSpec.Open("voc:" + tmp.Path, new DatasetOptions(VocSplit: "train", First: 5)).Samples().Select(s => s.Name));
    }
}
