using Vitmix.IO;
namespace Vitmix.Data.Datasets;

/// <summary>
/// PASCAL VOC 2012 segmentation (Everingham et al., 2010): <c>VOCdevkit/VOC2012/ImageSets/Segmentation/{split}.txt</c>,
/// <c>JPEGImages/{id}.jpg</c>, <c>SegmentationClass/{id}.png</c>. The mask PNG is palette-indexed and its raw index is
/// the class (0 background, 1..20 objects, 255 void), so it is read without colour conversion. Every object class
/// becomes "object" (1); void stays void. The image's label is its largest object class (VOC index 1..20).
/// </summary>
public sealed class VocDataset : ISegmentationDataset
{
    /// <summary>VOC class names by index (0 = background).</summary>
    public static IReadOnlyList<string> VocClassNames { get; } =
    [
        "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ];

    readonly string _root;
    readonly string _split;

    /// <param name="root">The <c>VOC2012</c> folder, the <c>VOCdevkit</c> folder above it, or a folder holding <c>VOCdevkit</c>.</param>
    /// <param name="split">The split file name under <c>ImageSets/Segmentation</c> (train, val, trainval).</param>
    public VocDataset(string root, string split = "val")
    {
        _root = ResolveRoot(root);
        _split = split;
        string splitFile = SplitFile;
        if (!File.Exists(splitFile))
            throw new FileNotFoundException(
                $"VOC split file not found: {splitFile} (expected ImageSets/Segmentation/{split}.txt under {_root}).", splitFile);
    }

    /// <summary>The resolved <c>VOC2012</c> folder.</summary>
    public string Root => _root;

    /// <inheritdoc/>
    public string Name => $"voc2012-{_split}";

    /// <inheritdoc/>
    public IReadOnlyList<string>? ClassNames => VocClassNames;

    string SplitFile => Path.Combine(_root, "ImageSets", "Segmentation", _split + ".txt");

    /// <inheritdoc/>
    public IEnumerable<SegmentationSample> Samples()
    {
        string imageDir = Path.Combine(_root, "JPEGImages");
        string maskDir = Path.Combine(_root, "SegmentationClass");
        if (!Directory.Exists(imageDir)) throw new DirectoryNotFoundException($"VOC image folder not found: {imageDir}");
        if (!Directory.Exists(maskDir)) throw new DirectoryNotFoundException($"VOC mask folder not found: {maskDir}");
        string[] lines = InputFile.ReadAllLines(SplitFile, "a VOC split list", InputLimits.MaxTextFileBytes);
        for (int i = 0; i < lines.Length; i++)
        {
            // Split files list one id per line; segmentation splits carry no "-1/1" column, but tolerate one.
            string line = lines[i].Trim();
            if (line.Length == 0) continue;
            string id = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0];
            string image = Path.Combine(imageDir, id + ".jpg");
            string mask = Path.Combine(maskDir, id + ".png");
            if (!File.Exists(image))
                throw new FileNotFoundException($"VOC image for id '{id}' ({SplitFile} line {i + 1}) not found: {image}", image);
            if (!File.Exists(mask))
                throw new FileNotFoundException($"VOC mask for id '{id}' ({SplitFile} line {i + 1}) not found: {mask}", mask);
            yield return new SegmentationSample
            {
                Name = id,
                LoadClassLabel = () => LargestObjectClass(ReadClassIndices(mask).Indices),
                LoadImage = () => DatasetImageDecoder.DecodeRgb(image),
                LoadMasks = () => [ToObjectMask(ReadClassIndices(mask), mask)],
                ImageSource = image,
            };
        }
    }

    static string ResolveRoot(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"VOC root folder not found: {root}");
        foreach (string candidate in new[] { root, Path.Combine(root, "VOC2012"), Path.Combine(root, "VOCdevkit", "VOC2012") })
            if (Directory.Exists(Path.Combine(candidate, "ImageSets", "Segmentation"))) return candidate;
        throw new DirectoryNotFoundException(
            $"{root}: no VOC 2012 layout found (looked for ImageSets/Segmentation in {root}, {root}/VOC2012 and {root}/VOCdevkit/VOC2012).");
    }

    /// <summary>Reads the raw class indices of a VOC mask (0..20, 255 void).</summary>
    internal static (byte[] Indices, int Width, int Height) ReadClassIndices(string maskPath)
    {
        var (indices, w, h) = PngSampleReader.Read(maskPath);
        for (int i = 0; i < indices.Length; i++)
            if (indices[i] > 20 && indices[i] != GroundTruthMask.Void)
                throw new InvalidDataException(
                    $"{maskPath}: pixel ({i % w},{i / w}) has class index {indices[i]}; expected 0..20 or 255 (void).");
        return (indices, w, h);
    }

    static GroundTruthMask ToObjectMask((byte[] Indices, int Width, int Height) m, string source)
    {
        var labels = new byte[m.Indices.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            byte c = m.Indices[i];
            labels[i] = c == GroundTruthMask.Void ? GroundTruthMask.Void : c == 0 ? (byte)0 : (byte)1;
        }
        return new GroundTruthMask(labels, m.Width, m.Height, Source: source);
    }

    /// <summary>The object class (1..20) with the most pixels; ties go to the lower index; null when none.</summary>
    static int? LargestObjectClass(byte[] indices)
    {
        Span<int> counts = stackalloc int[21];
        foreach (byte c in indices)
            if (c is >= 1 and <= 20) counts[c]++;
        int best = 0;
        for (int c = 1; c <= 20; c++)
            if (counts[c] > counts[best]) best = c; // counts[0] stays 0, so any object class beats "none"
        return best == 0 ? null : best;
    }
}
