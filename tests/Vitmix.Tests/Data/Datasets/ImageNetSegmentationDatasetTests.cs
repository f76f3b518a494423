using PureHDF;
using Vitmix.Data.Datasets;

namespace Vitmix.Tests.Data.Datasets;

public class ImageNetSegmentationDatasetTests
{
    /// <summary>
    /// Writes a MATLAB-v7.3-like file: 512-byte user block; arrays in "#refs#"; /value/img = N×1 references to
    /// uint8 (3, W, H) arrays; /value/gt = N×1 references to 1×1 reference cells pointing at (W, H) masks.
    /// Column-major MATLAB layout: HDF5 element [c][x][y] = pixel (y, x) channel c.
    /// </summary>
    static void WriteMat(string path, (int W, int H)[] sizes, Type maskType)
    {
        var refs = new H5Group();
        var imgRefs = new H5ObjectReference[sizes.Length, 1];
        var gtRefs = new H5ObjectReference[sizes.Length, 1];
        for (int n = 0; n < sizes.Length; n++)
        {
            var (w, h) = sizes[n];
            var img = new byte[3, w, h];
            for (int c = 0; c < 3; c++)
                for (int x = 0; x < w; x++)
                    for (int y = 0; y < h; y++) img[c, x, y] = PixelValue(n, x, y, c);
            var imgSet = new H5Dataset(img);
            refs[$"img{n}"] = imgSet;
            imgRefs[n, 0] = imgSet;

            H5Dataset maskSet;
            if (maskType == typeof(double))
            {
                var gt = new double[w, h];
                for (int x = 0; x < w; x++) for (int y = 0; y < h; y++) gt[x, y] = MaskValue(n, x, y);
                maskSet = new H5Dataset(gt);
            }
            else
            {
                var gt = new byte[w, h];
                for (int x = 0; x < w; x++) for (int y = 0; y < h; y++) gt[x, y] = MaskValue(n, x, y);
                maskSet = new H5Dataset(gt);
            }
            refs[$"gt{n}"] = maskSet;
            var cell = new H5Dataset(new H5ObjectReference[1, 1] { { maskSet } });
            refs[$"cell{n}"] = cell;
            gtRefs[n, 0] = cell;
        }
        var file = new H5File
        {
            ["#refs#"] = refs,
            ["value"] = new H5Group
            {
                ["img"] = new H5Dataset(imgRefs),
                ["gt"] = new H5Dataset(gtRefs),
            },
        };
        file.Write(path, new H5WriteOptions(UserBlockSize: 512));
    }

    static byte PixelValue(int n, int x, int y, int c) => (byte)(n * 50 + x * 7 + y * 3 + c * 80);

    static byte MaskValue(int n, int x, int y) => (byte)((x + n) > y ? 1 : 0);

    [Theory]
    [InlineData(typeof(byte))]
    [InlineData(typeof(double))]
    public void ReadsImagesAndMasksTransposed(Type maskType)
    {
        using var tmp = new TempDir();
        string path = tmp.Combine("gtsegs_ijcv.mat");
        (int W, int H)[] sizes = [(5, 3), (4, 6)];
        WriteMat(path, sizes, maskType);

        var head = File.ReadAllBytes(path).AsSpan(512, 8).ToArray();
        Assert.Equal(new byte[] { 0x89, (byte)'H', (byte)'D', (byte)'F', 13, 10, 26, 10 }, head); // superblock after user block

        var ds = new ImageNetSegmentationDataset(path);
        Assert.Equal(2, ds.Count);
        var samples = ds.Samples().ToList();
        Assert.Equal(["0000", "0001"], samples.Select(s => s.Name));
        Assert.All(samples, s => Assert.Null(s.ClassLabel));
        for (int n = 0; n < sizes.Length; n++)
        {
            var (w, h) = sizes[n];
            var image = samples[n].LoadImage();
            Assert.Equal((w, h), (image.Width, image.Height));
            var mask = Assert.Single(samples[n].LoadMasks());
            Assert.Equal((w, h), (mask.Width, mask.Height));
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    for (int c = 0; c < 3; c++) Assert.Equal(PixelValue(n, x, y, c), image.Pixels[(y * w + x) * 3 + c]);
                    Assert.Equal(MaskValue(n, x, y), mask.Labels[y * w + x]);
                }
        }
    }

    [Fact]
    public void MissingDatasetIsNamed()
    {
        using var tmp = new TempDir();
        string path = tmp.Combine("other.mat");
        new H5File { ["value"] = new H5Group { ["img"] = new H5Dataset(new byte[] { 1, 2 }) } }.Write(path);
        var e = Assert.Throws<InvalidDataException>(() => new ImageNetSegmentationDataset(path));
        Assert.Contains("/value/img", e.Message);
    }

    [Fact]
    public void NonHdf5FileIsRejectedWithItsPath()
    {
        using var tmp = new TempDir();
        string path = tmp.Combine("gtsegs_ijcv.mat");
        File.WriteAllBytes(path, new byte[4096]);
        var e = Assert.Throws<InvalidDataException>(() => new ImageNetSegmentationDataset(path));
        Assert.Contains(path, e.Message);
    }
}
