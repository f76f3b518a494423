using SkiaSharp;
using Vitmix.Data.Datasets;

namespace Vitmix.Tests.Data.Datasets;

public class PngSampleReaderTests
{
    [Fact]
    public void VocColormapMatchesPublishedEntries()
    {
        Assert.Equal(((byte)0, (byte)0, (byte)0), FixtureImages.VocColor(0));
        Assert.Equal(((byte)128, (byte)0, (byte)0), FixtureImages.VocColor(1));
        Assert.Equal(((byte)0, (byte)128, (byte)0), FixtureImages.VocColor(2));
        Assert.Equal(((byte)192, (byte)128, (byte)128), FixtureImages.VocColor(15));
        Assert.Equal(((byte)0, (byte)64, (byte)128), FixtureImages.VocColor(20));
        Assert.Equal(((byte)224, (byte)224, (byte)192), FixtureImages.VocColor(255));
    }

    [Theory]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 2 })]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 4 })]
    [InlineData(new[] { 4, 0, 3, 1, 2 })]
    public void ReadsRawPaletteIndicesUnderEveryFilter(int[] filters)
    {
        using var tmp = new TempDir();
        const int w = 13, h = 7;
        var indices = new byte[w * h];
        for (int i = 0; i < indices.Length; i++) indices[i] = (byte)(i % 5 == 0 ? 255 : (i * 7) % 21);
        string path = tmp.Combine("m.png");
        FixtureImages.WriteIndexedPng(path, indices, w, h, filters: filters);

        var (samples, width, height) = PngSampleReader.Read(path);

        Assert.Equal((w, h), (width, height));
        Assert.Equal(indices, samples);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(4, true)]
    [InlineData(1, false)]
    [InlineData(4, false)]
    public void ReadsLowBitDepths(int bitDepth, bool palette)
    {
        using var tmp = new TempDir();
        const int w = 11, h = 5; // width not a multiple of the samples per byte: rows end mid-byte
        var values = new byte[w * h];
        for (int i = 0; i < values.Length; i++) values[i] = (byte)((i * 3 + i / w) % (1 << bitDepth));
        string path = tmp.Combine("m.png");
        FixtureImages.WriteIndexedPng(path, values, w, h, palette, bitDepth, filters: [0, 1, 2, 3, 4]);

        Assert.Equal(values, PngSampleReader.Read(path).Samples);
    }

    [Fact]
    public void SkiaDecodeWouldLoseTheIndices()
    {
        // Why the hand-written reader exists: a decoder yields palette colours, not class indices.
        using var tmp = new TempDir();
        string path = tmp.Combine("m.png");
        FixtureImages.WriteIndexedPng(path, [15, 255], 2, 1);
        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal(new SKColor(192, 128, 128), bitmap.GetPixel(0, 0));
        Assert.Equal([15, 255], PngSampleReader.Read(path).Samples);
    }

    [Fact]
    public void RejectsRgbPngWithColourTypeInMessage()
    {
        using var tmp = new TempDir();
        string path = tmp.Combine("rgb.png");
        FixtureImages.WriteRgb(path, FixtureImages.Pattern(4, 4, 1), 4, 4, SKEncodedImageFormat.Png);
        Assert.False(PngSampleReader.IsSingleChannelPng(File.ReadAllBytes(path)));
        var e = Assert.Throws<InvalidDataException>(() => PngSampleReader.Read(path));
        Assert.Contains("colour type", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void RejectsNonPng()
    {
        using var tmp = new TempDir();
        string path = tmp.Combine("x.png");
        File.WriteAllText(path, "not a png at all");
        Assert.Contains("signature", Assert.Throws<InvalidDataException>(() => PngSampleReader.Read(path)).Message);
    }
}
