namespace Vitmix.Data.Datasets;

/// <summary>
/// The classification layout of torchvision's <c>ImageFolder</c> (and timm's default folder reader):
/// <c>DIR/CLASS/…/IMAGE</c>, one sub-folder per class. As in torchvision, the classes are the sub-folder names sorted
/// ordinally (index = position), images are found recursively and listed per class in sorted order, a file counts
/// when its extension is one of torchvision's <c>IMG_EXTENSIONS</c> (case-insensitive), and a class folder without
/// any image is an error. There are no masks: this is training data (<see cref="HasMasks"/> is false).
/// Every listed kind is read by its content through <see cref="ImageLoader"/>: binary PGM/PPM by Vitmix's own decoder
/// (as Pillow reads them); a TIFF, which no decoder here reads, fails on one line naming it and saying how to convert it.
/// </summary>
public sealed class ImageFolderDataset : ISegmentationDataset
{
    /// <summary>torchvision.datasets.folder.IMG_EXTENSIONS.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } =
        [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"];

    readonly string _root;
    readonly string[] _classes;

    /// <summary>
    /// The tree under <paramref name="root"/>, classes read at once; throws a <see cref="DirectoryNotFoundException"/>
    /// when the folder is missing and an <see cref="InvalidDataException"/> when it has no class folders.
    /// </summary>
    public ImageFolderDataset(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Dataset folder not found: {root}");
        _root = Path.GetFullPath(root);
        _classes = Directory.EnumerateDirectories(_root).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();
        if (_classes.Length == 0)
            throw new InvalidDataException($"{_root}: no class folders (an ImageFolder dataset is DIR/CLASS/IMAGE, one sub-folder per class).");
    }

    /// <inheritdoc/>
    public string Name => Path.GetFileName(_root.TrimEnd(Path.DirectorySeparatorChar));

    /// <inheritdoc/>
    public IReadOnlyList<string>? ClassNames => _classes;

    /// <inheritdoc/>
    public bool HasMasks => false;

    /// <inheritdoc/>
    public IEnumerable<SegmentationSample> Samples()
    {
        var empty = new List<string>();
        var samples = new List<SegmentationSample>();
        for (int label = 0; label < _classes.Length; label++)
        {
            string classDir = Path.Combine(_root, _classes[label]);
            var files = Directory.EnumerateFiles(classDir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0) empty.Add(_classes[label]);
            foreach (string file in files)
            {
                int classLabel = label;
                string relative = Path.GetRelativePath(_root, file);
                samples.Add(new SegmentationSample
                {
                    // Unique across classes and sub-folders; '/' keeps it portable in CSV outputs.
                    Name = Path.ChangeExtension(relative, null).Replace(Path.DirectorySeparatorChar, '/'),
                    ClassLabel = classLabel,
                    LoadImage = () => DatasetImageDecoder.DecodeRgb(file),
                    LoadMasks = () => throw new InvalidDataException(
                        $"{_root} is an ImageFolder (classification) dataset: '{relative}' has no mask."),
                });
            }
        }
        if (empty.Count > 0)
            throw new InvalidDataException(
                $"{_root}: no images in class folder(s) {string.Join(", ", empty)} (expected {string.Join("/", ImageExtensions)} files).");
        return samples;
    }
}
