using PureHDF;
using PureHDF.VOL.Native;

namespace Vitmix.Data.Datasets;

/// <summary>
/// ImageNet-segmentation (Guillaumin et al., 2014) as used by Chefer et al. (2021): <c>gtsegs_ijcv.mat</c>, a MATLAB
/// v7.3 file (HDF5 after a 512-byte user block). <c>/value/img</c> and <c>/value/gt</c> are N×1 cells of object
/// references; an image reference points at a uint8 array stored column-major with HDF5 dims (3, W, H); a gt
/// reference points at a 1×1 cell whose reference points at the (W, H) mask, values {0,1}. This mirrors Chefer's
/// <c>data/Imagenet.py</c> (<c>img.transpose(2,1,0)</c>, <c>gt.transpose(1,0)</c>). No labels: the model's top-1
/// class is explained, as in the paper's evaluation. The file is opened per load so samples stay independent.
/// </summary>
public sealed class ImageNetSegmentationDataset : ISegmentationDataset
{
    readonly string _path;
    readonly int _count;

    /// <param name="path">The <c>gtsegs_ijcv.mat</c> file.</param>
    public ImageNetSegmentationDataset(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ImageNet-segmentation file not found: {path}", path);
        _path = Path.GetFullPath(path);
        using var file = Open();
        int images = ReferenceCount(file, "/value/img");
        int masks = ReferenceCount(file, "/value/gt");
        if (images != masks)
            throw new InvalidDataException($"{_path}: /value/img has {images} entries but /value/gt has {masks}; expected equal counts.");
        _count = images;
    }

    /// <inheritdoc/>
    public string Name => "imagenet-seg";

    /// <inheritdoc/>
    public IReadOnlyList<string>? ClassNames => null;

    /// <summary>Number of images in the file (4,276 in the published file).</summary>
    public int Count => _count;

    /// <inheritdoc/>
    public IEnumerable<SegmentationSample> Samples()
    {
        for (int i = 0; i < _count; i++)
        {
            int index = i;
            yield return new SegmentationSample
            {
                Name = index.ToString("D4", System.Globalization.CultureInfo.InvariantCulture),
                LoadImage = () => LoadImage(index),
                LoadMasks = () => [LoadMask(index)],
                ImageSource = $"{_path} /value/img[{index}]",
            };
        }
    }

    NativeFile Open()
    {
        try { return H5File.OpenRead(_path); }
        catch (Exception e) when (e is not (FileNotFoundException or UnauthorizedAccessException))
        {
            throw new InvalidDataException($"{_path}: not a readable HDF5 / MATLAB v7.3 file ({e.Message}).", e);
        }
    }

    RgbImage LoadImage(int index)
    {
        using var file = Open();
        var data = Dereference(file, ReadReferences(file, "/value/img")[index], $"/value/img[{index}]");
        ulong[] dims = data.Space.Dimensions;
        if (dims.Length != 3 || dims[0] != 3)
            throw new InvalidDataException($"{_path}: /value/img[{index}] has dims [{string.Join(",", dims)}]; expected (3, W, H).");
        int w = checked((int)dims[1]), h = checked((int)dims[2]);
        byte[] src = ReadBytes(data, $"/value/img[{index}]");
        // HDF5 element [c][x][y] (C order) = MATLAB img(y, x, c) (column-major).
        var rgb = new byte[w * h * 3];
        for (int c = 0; c < 3; c++)
            for (int x = 0; x < w; x++)
            {
                int s = (c * w + x) * h;
                for (int y = 0; y < h; y++) rgb[(y * w + x) * 3 + c] = src[s + y];
            }
        return new RgbImage(rgb, w, h);
    }

    GroundTruthMask LoadMask(int index)
    {
        using var file = Open();
        string what = $"/value/gt[{index}]";
        var cell = Dereference(file, ReadReferences(file, "/value/gt")[index], what);
        if (cell.Type.Class != H5DataTypeClass.Reference)
            throw new InvalidDataException($"{_path}: {what} is a {cell.Type.Class} dataset; expected a 1x1 cell of references.");
        var inner = cell.Read<NativeObjectReference1[]>();
        if (inner.Length < 1) throw new InvalidDataException($"{_path}: {what} is an empty cell; expected 1x1.");
        var data = Dereference(file, inner[0], what + "{1}");
        ulong[] dims = data.Space.Dimensions;
        if (dims.Length != 2)
            throw new InvalidDataException($"{_path}: {what} mask has dims [{string.Join(",", dims)}]; expected (W, H).");
        int w = checked((int)dims[0]), h = checked((int)dims[1]);
        byte[] src = ReadBytes(data, what);
        var labels = new byte[w * h];
        for (int x = 0; x < w; x++)
            for (int y = 0; y < h; y++) labels[y * w + x] = src[x * h + y] != 0 ? (byte)1 : (byte)0;
        return new GroundTruthMask(labels, w, h, Source: $"{_path} {what}");
    }

    int ReferenceCount(NativeFile file, string path) => ReadReferences(file, path).Length;

    NativeObjectReference1[] ReadReferences(NativeFile file, string path)
    {
        IH5Dataset dataset;
        try { dataset = file.Dataset(path); }
        catch (Exception e)
        {
            throw new InvalidDataException($"{_path}: dataset {path} not found ({e.Message}); expected a MATLAB v7.3 gtsegs_ijcv.mat.", e);
        }
        if (dataset.Type.Class != H5DataTypeClass.Reference)
            throw new InvalidDataException($"{_path}: {path} is a {dataset.Type.Class} dataset; expected object references (a MATLAB cell).");
        return dataset.Read<NativeObjectReference1[]>();
    }

    IH5Dataset Dereference(NativeFile file, NativeObjectReference1 reference, string what)
    {
        var target = file.Get(reference);
        return target as IH5Dataset
            ?? throw new InvalidDataException($"{_path}: {what} references a {target.GetType().Name}; expected a dataset.");
    }

    /// <summary>Reads a numeric array as bytes: uint8/logical as is, other integer or float types rounded and clamped.</summary>
    byte[] ReadBytes(IH5Dataset data, string what)
    {
        var type = data.Type;
        switch (type.Class)
        {
            case H5DataTypeClass.FixedPoint when type.Size == 1:
                return data.Read<byte[]>();
            case H5DataTypeClass.FixedPoint when type.Size == 2:
                return ToBytes(data.Read<short[]>().Select(v => (double)v));
            case H5DataTypeClass.FixedPoint when type.Size == 4:
                return ToBytes(data.Read<int[]>().Select(v => (double)v));
            case H5DataTypeClass.FixedPoint when type.Size == 8:
                return ToBytes(data.Read<long[]>().Select(v => (double)v));
            case H5DataTypeClass.FloatingPoint when type.Size == 4:
                return ToBytes(data.Read<float[]>().Select(v => (double)v));
            case H5DataTypeClass.FloatingPoint when type.Size == 8:
                return ToBytes(data.Read<double[]>());
            default:
                throw new InvalidDataException($"{_path}: {what} holds {type.Class} data of {type.Size} bytes; expected a numeric array.");
        }
    }

    static byte[] ToBytes(IEnumerable<double> values) => values.Select(v => (byte)Math.Clamp(Math.Round(v), 0, 255)).ToArray();
}
