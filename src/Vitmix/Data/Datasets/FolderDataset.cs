using Vitmix.IO;
namespace Vitmix.Data.Datasets;

/// <summary>
/// A user's own images: <c>DIR/images/NAME.{png,jpg,jpeg,bmp,webp}</c> with <c>DIR/masks/NAME.png</c> (non-zero =
/// object), or several annotators as <c>DIR/masks/NAME_ANNOTATOR.png</c> — then each annotator's mask is returned
/// plus a "majority" mask (object where more than half of the annotators say object; a tie is background).
/// Optional <c>DIR/labels.csv</c>: <c>name,class</c> lines (a header line is allowed), class = an integer index
/// or a class name. Names resolve against the constructor's labelNames when given (e.g. the model's labels; a
/// name also matches any comma-separated synonym such as "tench" in "tench, Tinca tinca"); otherwise the dataset's
/// <see cref="ClassNames"/> are the distinct names, sorted. Without a <c>masks/</c> folder the images and labels serve
/// training only (<see cref="HasMasks"/> is false).
/// </summary>
public sealed class FolderDataset : ISegmentationDataset
{
    /// <summary>Image file extensions recognised in <c>images/</c>.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    /// <summary>Annotator name of the combined mask.</summary>
    public const string MajorityAnnotator = "majority";

    readonly string _root;
    readonly Dictionary<string, int> _labels;
    readonly IReadOnlyList<string>? _classNames;

    /// <param name="root">The folder holding <c>images/</c> and <c>masks/</c>.</param>
    /// <param name="labelNames">Class names that labels.csv names refer to (index = class), or null.</param>
    public FolderDataset(string root, IReadOnlyList<string>? labelNames = null)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Dataset folder not found: {root}");
        _root = Path.GetFullPath(root);
        string images = Path.Combine(_root, "images");
        string masks = Path.Combine(_root, "masks");
        if (!Directory.Exists(images)) throw new DirectoryNotFoundException($"Dataset image folder not found: {images}");
        HasMasks = Directory.Exists(masks);
        string csv = Path.Combine(_root, "labels.csv");
        (_labels, _classNames) = File.Exists(csv) ? ReadLabels(csv, labelNames) : (new Dictionary<string, int>(), labelNames);
    }

    /// <inheritdoc/>
    public string Name => Path.GetFileName(_root.TrimEnd(Path.DirectorySeparatorChar));

    /// <inheritdoc/>
    public IReadOnlyList<string>? ClassNames => _classNames;

    /// <inheritdoc/>
    public bool HasMasks { get; }

    /// <inheritdoc/>
    public IEnumerable<SegmentationSample> Samples()
    {
        string imageDir = Path.Combine(_root, "images");
        string maskDir = Path.Combine(_root, "masks");
        var images = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(imageDir))
        {
            if (!ImageExtensions.Contains(Path.GetExtension(file).ToLowerInvariant())) continue;
            string name = Path.GetFileNameWithoutExtension(file);
            if (!images.TryAdd(name, file))
                throw new InvalidDataException($"{imageDir}: two images named '{name}' ({Path.GetFileName(images[name])}, {Path.GetFileName(file)}).");
        }
        if (images.Count == 0)
            throw new InvalidDataException($"{imageDir}: no images (expected {string.Join("/", ImageExtensions)} files).");

        var masksByImage = HasMasks ? AssignMasks(maskDir, images.Keys) : null;
        foreach (string name in _labels.Keys)
            if (!images.ContainsKey(name))
                throw new InvalidDataException($"{Path.Combine(_root, "labels.csv")}: label for '{name}', which has no image in {imageDir}.");

        foreach (var (name, image) in images)
        {
            List<(string Annotator, string Path)>? masks = null;
            if (masksByImage != null && !masksByImage.TryGetValue(name, out masks))
                throw new FileNotFoundException(
                    $"No mask for image '{name}': expected {Path.Combine(maskDir, name + ".png")} or {Path.Combine(maskDir, name + "_ANNOTATOR.png")}.");
            yield return new SegmentationSample
            {
                Name = name,
                ClassLabel = _labels.TryGetValue(name, out int label) ? label : null,
                LoadImage = () => DatasetImageDecoder.DecodeRgb(image),
                ImageSource = image,
                LoadMasks = () => masks != null ? LoadMasks(masks)
                    : throw new FileNotFoundException($"{maskDir}: no mask folder, so '{name}' has no mask (needed to evaluate masks; training needs only labels.csv)."),
            };
        }
    }

    /// <summary>
    /// Gives each mask file to the image whose name is its stem, or the longest image name N with stem "N_annotator"
    /// (so masks of "cat_2" are not taken for an annotator "2" of "cat").
    /// </summary>
    static Dictionary<string, List<(string Annotator, string Path)>> AssignMasks(string maskDir, IEnumerable<string> imageNames)
    {
        var names = new HashSet<string>(imageNames, StringComparer.Ordinal);
        var result = new Dictionary<string, List<(string, string)>>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(maskDir, "*.png").Order(StringComparer.Ordinal))
        {
            string stem = Path.GetFileNameWithoutExtension(file);
            string? owner = null;
            string annotator = "";
            if (names.Contains(stem)) owner = stem;
            else
                for (int cut = stem.LastIndexOf('_'); cut > 0; cut = stem.LastIndexOf('_', cut - 1))
                    if (names.Contains(stem[..cut])) { owner = stem[..cut]; annotator = stem[(cut + 1)..]; break; }
            if (owner is null) continue; // a stray file: not ours to judge
            if (!result.TryGetValue(owner, out var list)) result[owner] = list = [];
            list.Add((annotator, file));
        }
        return result;
    }

    static IReadOnlyList<GroundTruthMask> LoadMasks(List<(string Annotator, string Path)> files)
    {
        var masks = files.Select(f => DatasetImageDecoder.DecodeBinaryMask(f.Path, threshold: 0, f.Annotator)).ToList();
        if (masks.Count == 1) return masks;
        var first = masks[0];
        for (int m = 1; m < masks.Count; m++)
            if (masks[m].Width != first.Width || masks[m].Height != first.Height)
                throw new InvalidDataException(
                    $"{files[m].Path} is {masks[m].Width}x{masks[m].Height} but {files[0].Path} is {first.Width}x{first.Height}; annotator masks of one image must match.");
        var majority = new byte[first.Labels.Length];
        for (int i = 0; i < majority.Length; i++)
        {
            int votes = 0;
            foreach (var mask in masks) votes += mask.Labels[i];
            majority[i] = 2 * votes > masks.Count ? (byte)1 : (byte)0;
        }
        masks.Add(new GroundTruthMask(majority, first.Width, first.Height, MajorityAnnotator, $"majority of {string.Join(", ", files.Select(f => f.Path))}"));
        return masks;
    }

    static (Dictionary<string, int>, IReadOnlyList<string>?) ReadLabels(string csv, IReadOnlyList<string>? labelNames)
    {
        var rows = new List<(string Name, string Class, int Line)>();
        string[] lines = InputFile.ReadAllLines(csv, "a labels.csv file", InputLimits.MaxTextFileBytes);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int comma = line.IndexOf(',');
            if (comma <= 0)
                throw new InvalidDataException($"{csv} line {i + 1}: expected 'name,class', got '{line}'.");
            string name = Unquote(line[..comma]);
            string cls = Unquote(line[(comma + 1)..]);
            if (rows.Count == 0 && name.Equals("name", StringComparison.OrdinalIgnoreCase)
                && cls.Equals("class", StringComparison.OrdinalIgnoreCase)) continue; // header
            rows.Add((name, cls, i + 1));
        }

        IReadOnlyList<string>? classNames = labelNames;
        if (labelNames is null && rows.Any(r => !int.TryParse(r.Class, out _)))
            classNames = rows.Select(r => r.Class).Where(c => !int.TryParse(c, out _)).Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal).ToList();

        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, cls, line) in rows)
        {
            int label;
            if (int.TryParse(cls, out label))
            {
                if (label < 0 || (labelNames is not null && label >= labelNames.Count))
                    throw new InvalidDataException($"{csv} line {line}: class index {label} out of range 0..{(labelNames?.Count ?? int.MaxValue) - 1}.");
                if (labelNames is null && classNames is not null)
                    throw new InvalidDataException(
                        $"{csv} line {line}: class index {label} mixed with class names; without a label list use names or indices, not both.");
            }
            else
            {
                label = ResolveName(cls, classNames!);
                if (label < 0)
                    throw new InvalidDataException($"{csv} line {line}: class name '{cls}' is not among the {classNames!.Count} known class names.");
            }
            if (!labels.TryAdd(name, label))
                throw new InvalidDataException($"{csv} line {line}: second label for '{name}'.");
        }
        return (labels, classNames);
    }

    /// <summary>Exact (case-insensitive) match first, then a match of one comma-separated synonym.</summary>
    static int ResolveName(string name, IReadOnlyList<string> classNames)
    {
        for (int i = 0; i < classNames.Count; i++)
            if (string.Equals(classNames[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        for (int i = 0; i < classNames.Count; i++)
            foreach (string synonym in classNames[i].Split(','))
                if (string.Equals(synonym.Trim(), name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    static string Unquote(string s)
    {
        s = s.Trim();
        return s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1].Replace("\"\"", "\"") : s;
    }
}
