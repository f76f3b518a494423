namespace Vitmix.Data.Datasets;

/// <summary>
/// A ground-truth object mask at the image's resolution: 0 = background, 1 = object, 255 = void
/// (excluded from every metric, as VOC's boundary label).
/// </summary>
/// <param name="Labels">Width × Height labels, row by row.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Annotator">Whose mask ("" when the dataset has one per image).</param>
/// <param name="Source">Where it was read from (a file, or a file and an entry), for messages; null when generated.</param>
public sealed record GroundTruthMask(byte[] Labels, int Width, int Height, string Annotator = "", string? Source = null)
{
    /// <summary>The label of pixels excluded from every metric (Pascal VOC's object boundaries).</summary>
    public const byte Void = 255;

    /// <summary>
    /// A binary mask from an image file: a pixel is object (1) when its value exceeds <paramref name="threshold"/> (the
    /// grey level or palette index of a single-channel PNG, the largest of R, G, B otherwise), background (0) else.
    /// </summary>
    public static GroundTruthMask Load(string path, byte threshold = 0) => DatasetImageDecoder.DecodeBinaryMask(path, threshold);
}

/// <summary>One image of a segmentation benchmark, loaded lazily.</summary>
public sealed class SegmentationSample
{
    /// <summary>The image's name within the dataset (usually the file stem), unique within the dataset; it keys the image in messages and evaluation records.</summary>
    public required string Name { get; init; }
    int? _classLabel;
    Func<int?>? _loadClassLabel;
    int _classLabelState; // 0 = not computed, 1 = computed

    /// <summary>The class the dataset assigns to the image, or null (then the model's prediction is explained).</summary>
    public int? ClassLabel
    {
        get
        {
            if (Volatile.Read(ref _classLabelState) == 0 && _loadClassLabel is { } load)
            {
                _classLabel = load();
                Volatile.Write(ref _classLabelState, 1);
            }
            return _classLabel;
        }
        init { _classLabel = value; _loadClassLabel = null; }
    }

    /// <summary>
    /// Computes <see cref="ClassLabel"/> on first use, for datasets whose label comes from the mask (VOC: the largest
    /// object class), so that listing samples does not decode every mask.
    /// </summary>
    public Func<int?>? LoadClassLabel
    {
        get => _loadClassLabel;
        init { _loadClassLabel = value; _classLabelState = 0; }
    }
    /// <summary>Decodes the image; called on each use (the dataset decides what, if anything, is cached).</summary>
    public required Func<RgbImage> LoadImage { get; init; }
    /// <summary>One mask per annotator (usually one, Annotator = "").</summary>
    public required Func<IReadOnlyList<GroundTruthMask>> LoadMasks { get; init; }
    /// <summary>Where the image is read from (a file, or a file and an entry), for messages; null when generated.</summary>
    public string? ImageSource { get; init; }

    /// <summary>
    /// The image and its masks, each mask checked to have the image's size. A mask of another size would be stretched
    /// onto the image and scored against the wrong pixels (silently: IoU 0.16 where the aligned mask gives 0.51). No
    /// dataset kind defines such a resize — VOC, PH2, ImageNet-segmentation, the folder layout and the synthetic
    /// benchmark all store a mask at its image's size — so a mismatch is an error naming both sizes and files.
    /// </summary>
    /// <exception cref="InvalidDataException">A mask's size differs from the image's.</exception>
    public (RgbImage Image, IReadOnlyList<GroundTruthMask> Masks) LoadImageAndMasks()
    {
        var image = LoadImage();
        var masks = LoadMasks();
        foreach (var m in masks)
            if (m.Width != image.Width || m.Height != image.Height)
                throw new InvalidDataException(
                    $"mask {m.Source ?? $"of {Name}"} is {m.Width}x{m.Height} but image {ImageSource ?? Name} is {image.Width}x{image.Height}; " +
                    "a mask must have its image's size");
        return (image, masks);
    }
}

/// <summary>A dataset of images with object masks (VOC, PH2, ImageNet-segmentation, a folder, the synthetic benchmark).</summary>
public interface ISegmentationDataset
{
    /// <summary>A short identifier such as "voc2012-val" or "ph2", for messages and the records of a run.</summary>
    string Name { get; }
    /// <summary>Class names of the dataset's own labels, if it has any.</summary>
    IReadOnlyList<string>? ClassNames { get; }
    /// <summary>Samples in a stable order (so shards and resumed runs agree).</summary>
    IEnumerable<SegmentationSample> Samples();
    /// <summary>
    /// False for classification-only data (an ImageFolder tree, a folder without <c>masks/</c>): fine for training,
    /// not for evaluating masks.
    /// </summary>
    bool HasMasks => true;
}
