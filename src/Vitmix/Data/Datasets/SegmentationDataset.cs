namespace Vitmix.Data.Datasets;

/// <summary>
/// A ground-truth object mask at the image's resolution: 0 = background, 1 = object, 255 = void
/// (excluded from every metric, as VOC's boundary label).
/// </summary>
public sealed record GroundTruthMask(byte[] Labels, int Width, int Height, string Annotator = "")
{
    public const byte Void = 255;
}

/// <summary>One image of a segmentation benchmark, loaded lazily.</summary>
public sealed class SegmentationSample
{
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
    public required Func<RgbImage> LoadImage { get; init; }
    /// <summary>One mask per annotator (usually one, Annotator = "").</summary>
    public required Func<IReadOnlyList<GroundTruthMask>> LoadMasks { get; init; }
}

/// <summary>A dataset of images with object masks (VOC, PH2, ImageNet-segmentation, a folder, the synthetic benchmark).</summary>
public interface ISegmentationDataset
{
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
