using System.Globalization;
using System.Text.RegularExpressions;
using Vitmix.Fusion;

namespace Vitmix.Evaluation;

/// <summary>An image listed in done.txt: its rows are complete; <see cref="Status"/> is "ok" or "skipped: why".</summary>
/// <param name="Image">The dataset's sample name.</param>
/// <param name="Status">"ok", or "skipped: …" for an image below the minimum confidence.</param>
public sealed record DoneImage(string Image, string Status)
{
    /// <summary>True for an image that was skipped, not scored.</summary>
    public bool Skipped => Status.StartsWith("skipped", StringComparison.Ordinal);
}

/// <summary>
/// The names of an evaluation run folder, written down once for the runner, the store, the report and the CLI:
/// run.json (what the run is), results.csv, curves.csv, done.txt (one "image TAB status" line per finished image,
/// written last), summary.csv, report.html, tiles/IMAGE/ (the report's per-image grid) and theory/.
/// </summary>
public sealed class RunFolder(string directory)
{
    /// <summary>The folder.</summary>
    public string Directory { get; } = directory;

    /// <summary>run.json: the <see cref="RunInfo"/>.</summary>
    public string RunPath => Path.Combine(Directory, "run.json");
    /// <summary>results.csv: one row per image, map and annotator.</summary>
    public string ResultsPath => Path.Combine(Directory, "results.csv");
    /// <summary>curves.csv: the deletion and insertion curves per image and map.</summary>
    public string CurvesPath => Path.Combine(Directory, "curves.csv");
    /// <summary>done.txt: the images whose rows are complete.</summary>
    public string DonePath => Path.Combine(Directory, "done.txt");
    /// <summary>summary.csv: per map, n and mean with 95% interval of every metric.</summary>
    public string SummaryPath => Path.Combine(Directory, "summary.csv");
    /// <summary>report.html.</summary>
    public string ReportPath => Path.Combine(Directory, "report.html");
    /// <summary>tiles/: one folder of PNG tiles per image shown in the report.</summary>
    public string TilesDirectory => Path.Combine(Directory, "tiles");
    /// <summary>theory/: the single-method masks per image for the precision-gain check.</summary>
    public string TheoryDirectory => Path.Combine(Directory, "theory");
    /// <summary>theory/methods.txt: the single methods, in the order of the rows of each theory/IMAGE.npy.</summary>
    public string TheoryMethodsPath => Path.Combine(TheoryDirectory, "methods.txt");

    /// <summary>True when the folder holds (part of) an evaluation run.</summary>
    public bool HoldsRun => File.Exists(RunPath) || File.Exists(ResultsPath) || File.Exists(DonePath);

    /// <summary>The tile folder of one image.</summary>
    public string ImageTilesDirectory(string image) => Path.Combine(TilesDirectory, SafeName(image));

    /// <summary>The theory masks of one image.</summary>
    public string TheoryPath(string image) => Path.Combine(TheoryDirectory, SafeName(image) + ".npy");

    /// <summary>The image as the model saw it, first tile of its row.</summary>
    public const string ImageTile = "0_image.png";
    /// <summary>The ground truth, second tile.</summary>
    public const string TruthTile = "1_truth.png";

    /// <summary>The overlay tile of the <paramref name="index"/>-th map: "002_rollout.png" (the number keeps the run's map order).</summary>
    public static string OverlayTile(int index, MapId map) => $"{2 + index:D3}_{map.FileStem}.png";

    /// <summary>The mask tile of the <paramref name="index"/>-th map: "002_rollout.mask.png".</summary>
    public static string MaskTile(int index, MapId map) => $"{2 + index:D3}_{map.FileStem}.mask.png";

    /// <summary>
    /// The report's label of a tile file: "image", "ground truth", "MAP overlay", "MAP mask" with MAP the display name
    /// of the map whose <see cref="MapId.FileStem"/> the file carries (or the stem itself when no map has it).
    /// </summary>
    public static string TileLabel(string fileName, IReadOnlyDictionary<string, MapId> mapsByStem)
    {
        if (fileName == ImageTile) return "image";
        if (fileName == TruthTile) return "ground truth";
        string stem = Path.GetFileNameWithoutExtension(fileName);
        if (stem.Length > 4 && stem[3] == '_' && stem[..3].All(char.IsAsciiDigit)) stem = stem[4..];
        bool mask = stem.EndsWith(".mask", StringComparison.Ordinal);
        if (mask) stem = stem[..^5];
        string name = mapsByStem.TryGetValue(stem, out var map) ? map.DisplayName : stem;
        return name + (mask ? " mask" : " overlay");
    }

    /// <summary>An image name as a file name: characters no file system accepts, and spaces, become '_'.</summary>
    public static string SafeName(string name) =>
        string.Concat(name.Select(ch => Path.GetInvalidFileNameChars().Contains(ch) || ch == ' ' ? '_' : ch));

    /// <summary>The name of shard <paramref name="index"/> of <paramref name="count"/>'s folder inside an evaluation's output folder.</summary>
    public static string ShardFolderName(int index, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"shard-{index}-of-{count}");

    /// <summary>
    /// The run folders <paramref name="folders"/> name: each folder that holds a run (run.json) as itself, and an
    /// evaluation's output folder, which holds none, as the shard-i-of-N folders inside it (by i; all of one N), so
    /// a scheduler's merge step can name the output folder instead of a shell glob. Throws an
    /// <see cref="InvalidDataException"/> for a folder that is neither, or whose shard folders disagree on N.
    /// </summary>
    public static IReadOnlyList<string> ExpandShards(IEnumerable<string> folders)
    {
        var result = new List<string>();
        foreach (string folder in folders)
        {
            if (File.Exists(new RunFolder(folder).RunPath)) { result.Add(folder); continue; }
            var shards = new List<(int Index, int Count, string Path)>();
            if (System.IO.Directory.Exists(folder))
                foreach (string sub in System.IO.Directory.EnumerateDirectories(folder, "shard-*-of-*"))
                {
                    var m = ShardFolderPattern.Match(Path.GetFileName(sub));
                    if (m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int i)
                        && int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                        && File.Exists(new RunFolder(sub).RunPath))
                        shards.Add((i, n, sub));
                }
            if (shards.Count == 0)
                throw new InvalidDataException($"{folder}: not an evaluation folder (no run.json) and no shard-i-of-N folders with one inside it");
            var counts = shards.Select(s => s.Count).Distinct().Order().ToList();
            if (counts.Count > 1)
                throw new InvalidDataException(
                    $"{folder}: holds the shards of more than one split ({string.Join(", ", counts.Select(c => $"of-{c}"))}); name the shard folders to merge");
            result.AddRange(shards.OrderBy(s => s.Index).Select(s => s.Path));
        }
        return result;
    }

    static readonly Regex ShardFolderPattern = new(@"^shard-([0-9]{1,9})-of-([0-9]{1,9})$", RegexOptions.CultureInvariant);

    /// <summary>The done.txt line of one image.</summary>
    public static string DoneLine(string image, string status) => $"{image}\t{status}\n";

    /// <summary>The images done.txt lists (a partial last line, left by a killed writer, is not one).</summary>
    public IReadOnlyList<DoneImage> ReadDone() =>
        CompleteLines(DonePath).Select(l =>
        {
            int tab = l.IndexOf('\t');
            return tab < 0 ? new DoneImage(l, "ok") : new DoneImage(l[..tab], l[(tab + 1)..]);
        }).ToList();

    /// <summary>The lines of <paramref name="path"/> that end with a newline (a killed writer can leave a partial last line); none when it is missing.</summary>
    internal static List<string> CompleteLines(string path)
    {
        if (!File.Exists(path)) return [];
        string text = File.ReadAllText(path);
        int end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n').Where(l => l.Length > 0).ToList();
    }
}
