using Vitmix.IO;
namespace Vitmix.Data.Datasets;

/// <summary>
/// PH2 dermoscopy dataset (Mendonça et al., 2013): <c>PH2Dataset/PH2 Dataset images/IMDxxx/IMDxxx_Dermoscopic_Image/IMDxxx.bmp</c>
/// with the lesion mask <c>IMDxxx/IMDxxx_lesion/IMDxxx_lesion.bmp</c> (255 = lesion). Labels are the clinical
/// diagnosis of <c>PH2Dataset/PH2_dataset.txt</c> (0 common nevus, 1 atypical nevus, 2 melanoma); without that file
/// the labels are null. Image sizes vary (≈761–769 × 553–577), so each file's own size is used.
/// </summary>
public sealed class Ph2Dataset : ISegmentationDataset
{
    /// <summary>Clinical diagnosis names by code.</summary>
    public static IReadOnlyList<string> DiagnosisNames { get; } = ["common nevus", "atypical nevus", "melanoma"];

    const string ImagesFolderName = "PH2 Dataset images";
    const string MetadataFileName = "PH2_dataset.txt";

    readonly string _imagesDir;
    readonly string? _metadataFile;

    /// <param name="root">The <c>PH2Dataset</c> folder, the <c>PH2 Dataset images</c> folder, or a folder holding <c>PH2Dataset</c>.</param>
    public Ph2Dataset(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"PH2 root folder not found: {root}");
        string full = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar);
        string? images = null;
        foreach (string candidate in new[] { Path.Combine(full, ImagesFolderName), Path.Combine(full, "PH2Dataset", ImagesFolderName) })
            if (Directory.Exists(candidate)) { images = candidate; break; }
        if (images is null && HasImageFolders(full)) images = full;
        _imagesDir = images ?? throw new DirectoryNotFoundException(
            $"{root}: no PH2 layout found (expected '{ImagesFolderName}' with IMDxxx/IMDxxx_Dermoscopic_Image/IMDxxx.bmp folders).");
        string meta = Path.Combine(Path.GetDirectoryName(_imagesDir)!, MetadataFileName);
        _metadataFile = File.Exists(meta) ? meta : null;
    }

    /// <inheritdoc/>
    public string Name => "ph2";

    /// <inheritdoc/>
    public IReadOnlyList<string>? ClassNames => DiagnosisNames;

    /// <summary>The metadata file used for labels, or null when absent (labels are then null).</summary>
    public string? MetadataFile => _metadataFile;

    /// <inheritdoc/>
    public IEnumerable<SegmentationSample> Samples()
    {
        IReadOnlyDictionary<string, int> diagnoses = _metadataFile is null
            ? new Dictionary<string, int>()
            : ReadClinicalDiagnoses(_metadataFile);
        var names = Directory.EnumerateDirectories(_imagesDir)
            .Where(d => Directory.Exists(Path.Combine(d, Path.GetFileName(d) + "_Dermoscopic_Image")))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (names.Count == 0)
            throw new DirectoryNotFoundException($"{_imagesDir}: no IMDxxx/IMDxxx_Dermoscopic_Image folders found.");
        foreach (string name in names!)
        {
            string dir = Path.Combine(_imagesDir, name!);
            string image = Path.Combine(dir, name + "_Dermoscopic_Image", name + ".bmp");
            string mask = Path.Combine(dir, name + "_lesion", name + "_lesion.bmp");
            if (!File.Exists(image)) throw new FileNotFoundException($"PH2 image not found: {image}", image);
            if (!File.Exists(mask)) throw new FileNotFoundException($"PH2 lesion mask not found: {mask}", mask);
            yield return new SegmentationSample
            {
                Name = name!,
                ClassLabel = diagnoses.TryGetValue(name!, out int code) ? code : null,
                LoadImage = () => DatasetImageDecoder.DecodeRgb(image),
                LoadMasks = () => [DatasetImageDecoder.DecodeBinaryMask(mask, threshold: 127)],
                ImageSource = image,
            };
        }
    }

    static bool HasImageFolders(string dir) =>
        Directory.EnumerateDirectories(dir).Any(d => Directory.Exists(Path.Combine(d, Path.GetFileName(d) + "_Dermoscopic_Image")));

    /// <summary>
    /// Parses <c>PH2_dataset.txt</c>: a header line, then <c>|| Name || Histological || Clinical Diagnosis || …</c>
    /// rows; the legend after the table does not start with <c>||</c> and ends parsing.
    /// </summary>
    internal static IReadOnlyDictionary<string, int> ReadClinicalDiagnoses(string path)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] lines = InputFile.ReadAllLines(path, "the PH2 metadata table", InputLimits.MaxTextFileBytes);
        bool header = true;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (!line.StartsWith("||", StringComparison.Ordinal))
            {
                if (result.Count > 0 || !header) break; // legend after the table
                continue;                               // blank lines before the table
            }
            string[] fields = line.Split("||");
            if (header) { header = false; if (fields.Length > 1 && fields[1].Trim() == "Name") continue; }
            if (fields.Length < 4)
                throw new InvalidDataException($"{path} line {i + 1}: expected '|| Name || Histological || Clinical || …', got '{line}'.");
            string name = fields[1].Trim();
            string clinical = fields[3].Trim();
            if (!int.TryParse(clinical, out int code) || code is < 0 or > 2)
                throw new InvalidDataException($"{path} line {i + 1}: clinical diagnosis of {name} is '{clinical}'; expected 0, 1 or 2.");
            result[name] = code;
        }
        return result;
    }
}
