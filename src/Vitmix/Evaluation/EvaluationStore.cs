using System.Reflection;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Vitmix.Evaluation.MapMetrics;
using Vitmix.Fusion;

namespace Vitmix.Evaluation;

/// <summary>One row of results.csv: one image × one map (× one annotator).</summary>
/// <param name="Image">The dataset's sample name.</param>
/// <param name="TargetClass">The class explained.</param>
/// <param name="Probability">The model's probability of <paramref name="TargetClass"/>.</param>
/// <param name="Map">Which map: methods, fusion rule with weights, threshold.</param>
/// <param name="Iou">Intersection over union with the ground truth.</param>
/// <param name="F1">F1 (Dice).</param>
/// <param name="PixelAccuracy">(TP + TN) / valid pixels.</param>
/// <param name="Recall">TP / |ground truth|.</param>
/// <param name="Precision">TP / |mask|.</param>
/// <param name="DeletionAuc">Area under the deletion curve (NaN when not computed).</param>
/// <param name="InsertionAuc">Area under the insertion curve (NaN when not computed).</param>
/// <param name="Annotator">The annotator of the ground truth, "" when the dataset has one mask per image.</param>
/// <param name="ThresholdValue">The threshold the mask was cut at, in the threshold's own units.</param>
public sealed record ResultRow(string Image, int TargetClass, double Probability, MapId Map,
    double Iou, double F1, double PixelAccuracy, double Recall, double Precision, double DeletionAuc, double InsertionAuc,
    string Annotator, double ThresholdValue)
{
    /// <summary>The header of results.csv; method, fusion and threshold are the <see cref="MapId"/> CSV fields.</summary>
    public const string Header = LegacyHeader + ",tp,fp,fn,tn,pointing_game,energy_pointing_game,relevance_mass_accuracy,relevance_rank_accuracy,sparseness,complexity,chefer_ap,max_sensitivity,token_deletion_auc,token_insertion_auc,road_morf,road_lerf,road_gap";

    /// <summary>
    /// The header of folders written before the pixel counts and the map metrics: their rows have the first 15 fields
    /// only, read with the later ones absent (<see cref="Counts"/> null, the metrics NaN).
    /// </summary>
    public const string LegacyHeader = "image,target_class,probability,method,fusion,threshold,iou,f1,pixel_accuracy,recall,precision,deletion_auc,insertion_auc,annotator,threshold_value";

    const int LegacyFields = 15, Fields = 32;

    /// <summary>The mask's confusion counts against the ground truth (void excluded); null in older folders.</summary>
    public ConfusionCounts? Counts { get; init; }

    /// <summary>The localisation and complexity metrics of the map (<see cref="MapMetrics.MapScores"/>); NaN in older folders.</summary>
    public MapScores MapScores { get; init; } = MapScores.Absent;

    /// <summary>Chefer et al.'s per-image AP (<see cref="CheferSegmentationAccumulator.AveragePrecisionOf"/>); NaN unless the run follows that protocol.</summary>
    public double CheferAveragePrecision { get; init; } = double.NaN;

    /// <summary>Max-sensitivity of the map (Yeh et al. 2019); NaN unless the run measured it.</summary>
    public double MaxSensitivity { get; init; } = double.NaN;

    /// <summary>Area under the token deletion curve (<see cref="TokenCurves"/>); NaN unless the run drew token curves.</summary>
    public double TokenDeletionAuc { get; init; } = double.NaN;

    /// <summary>Area under the token insertion curve; NaN unless the run drew token curves.</summary>
    public double TokenInsertionAuc { get; init; } = double.NaN;

    /// <summary>ROAD's mean MoRF probability over its fractions (<see cref="RoadCurves"/>); NaN unless the run measured ROAD.</summary>
    public double RoadMorf { get; init; } = double.NaN;

    /// <summary>ROAD's mean LeRF probability over its fractions; NaN unless the run measured ROAD.</summary>
    public double RoadLerf { get; init; } = double.NaN;

    /// <summary>ROAD's LeRF − MoRF; NaN unless the run measured ROAD.</summary>
    public double RoadGap { get; init; } = double.NaN;

    /// <summary>The "method" field: <see cref="MapId.MethodField"/>.</summary>
    public string Method => Map.MethodField;
    /// <summary>The "fusion" field: <see cref="MapId.FusionField"/>.</summary>
    public string Fusion => Map.FusionField;
    /// <summary>The "threshold" field: <see cref="MapId.Threshold"/>.</summary>
    public string Threshold => Map.Threshold;

    /// <summary>The row's map in the summary: <see cref="MapId.DisplayName"/>, with "@annotator" when the dataset has several.</summary>
    public string MapName => Map.DisplayName + (Annotator.Length > 0 ? "@" + Annotator : "");

    /// <summary>The row as a results.csv line (no newline).</summary>
    public string ToCsv()
    {
        string Count(Func<ConfusionCounts, long> field) => Counts is { } c ? field(c).ToString(CultureInfo.InvariantCulture) : "";
        var m = MapScores;
        return string.Join(",", Csv.Escape(Image), TargetClass.ToString(CultureInfo.InvariantCulture), Csv.Number(Probability),
            Csv.Escape(Method), Csv.Escape(Fusion), Csv.Escape(Threshold), Csv.Number(Iou), Csv.Number(F1), Csv.Number(PixelAccuracy),
            Csv.Number(Recall), Csv.Number(Precision), Csv.Number(DeletionAuc), Csv.Number(InsertionAuc), Csv.Escape(Annotator), Csv.Number(ThresholdValue),
            Count(c => c.TruePositive), Count(c => c.FalsePositive), Count(c => c.FalseNegative), Count(c => c.TrueNegative),
            Csv.Number(m.PointingGame), Csv.Number(m.EnergyPointingGame), Csv.Number(m.RelevanceMassAccuracy), Csv.Number(m.RelevanceRankAccuracy),
            Csv.Number(m.Sparseness), Csv.Number(m.Complexity), Csv.Number(CheferAveragePrecision), Csv.Number(MaxSensitivity),
            Csv.Number(TokenDeletionAuc), Csv.Number(TokenInsertionAuc), Csv.Number(RoadMorf), Csv.Number(RoadLerf), Csv.Number(RoadGap));
    }

    /// <summary>
    /// Reads a results.csv line of this version or an older one: one whose fusion field has no weights, or one of the
    /// 15 fields before the counts and map metrics (those read as absent).
    /// </summary>
    public static ResultRow Parse(string line, string source)
    {
        var f = Csv.Split(line);
        if (f.Count != Fields && f.Count != LegacyFields)
            throw new InvalidDataException($"{source}: row has {f.Count} fields, expected {Fields} (or {LegacyFields} in a folder of an older version): {line}");
        double D(int i) => f[i].Length == 0 ? double.NaN : double.Parse(f[i], CultureInfo.InvariantCulture);
        var row = new ResultRow(f[0], int.Parse(f[1], CultureInfo.InvariantCulture), D(2), MapId.FromCsv(f[3], f[4], f[5], source),
            D(6), D(7), D(8), D(9), D(10), D(11), D(12), f[13], D(14));
        if (f.Count == LegacyFields) return row;
        long L(int i) => long.Parse(f[i], NumberStyles.None, CultureInfo.InvariantCulture);
        return row with
        {
            Counts = f[15].Length == 0 ? null : new ConfusionCounts(L(15), L(16), L(17), L(18)),
            MapScores = new MapScores(D(19), D(20), D(21), D(22), D(23), D(24)),
            CheferAveragePrecision = D(25),
            MaxSensitivity = D(26),
            TokenDeletionAuc = D(27),
            TokenInsertionAuc = D(28),
            RoadMorf = D(29),
            RoadLerf = D(30),
            RoadGap = D(31),
        };
    }
}

/// <summary>A perturbation curve of one image and map, as stored in curves.csv.</summary>
/// <param name="Image">The dataset's sample name.</param>
/// <param name="Map">The map the pixels were ranked by.</param>
/// <param name="Kind">"deletion" or "insertion".</param>
/// <param name="Values">The class probability at each step.</param>
public sealed record CurveRow(string Image, MapId Map, string Kind, double[] Values)
{
    /// <summary>The header of curves.csv.</summary>
    public const string Header = "image,map,kind,values";

    /// <summary>The curve as a curves.csv line (no newline); the map by its <see cref="MapId.DisplayName"/>.</summary>
    public string ToCsv() => string.Join(",", Csv.Escape(Image), Csv.Escape(Map.DisplayName), Kind,
        string.Join(" ", Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));

    /// <summary>Reads a curves.csv line; <paramref name="threshold"/> is the run's (older folders' names do not carry it).</summary>
    public static CurveRow Parse(string line, string source, string threshold)
    {
        var f = Csv.Split(line);
        if (f.Count != 4) throw new InvalidDataException($"{source}: curve row has {f.Count} fields, expected 4");
        if (!MapId.TryParse(f[1], threshold, out var map)) throw new InvalidDataException($"{source}: '{f[1]}' is not a map name");
        return new CurveRow(f[0], map, f[2], f[3].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());
    }
}

/// <summary>What a run was: written to run.json, checked on resume, compared between the shards being merged.</summary>
/// <param name="Model">The checkpoint's path.</param>
/// <param name="Dataset">The dataset's name.</param>
/// <param name="NumClasses">The model's class count.</param>
/// <param name="Maps">The maps' <see cref="MapId.DisplayName"/>s, in output order (older folders: their own names, see <see cref="MapId.TryParse"/>).</param>
/// <param name="Threshold">The mask threshold's name.</param>
/// <param name="PerturbationSteps">Deletion/insertion steps (0 = none).</param>
/// <param name="DeletionRanking">"continuous" or "mask".</param>
/// <param name="MinConfidence">Images below this top-1 probability are skipped.</param>
/// <param name="Target">"predicted" or "label".</param>
/// <param name="ShardIndex">This shard's index i of i/N.</param>
/// <param name="ShardCount">N of i/N (1 for an unsharded run).</param>
/// <param name="ClassNames">The model's class names.</param>
/// <param name="Images">Images of the dataset after its filters, all shards together (null in older folders).</param>
/// <param name="ShardImages">Images this shard owns (null in older folders).</param>
/// <param name="Insertion">Whether insertion curves were computed (null in older folders).</param>
/// <param name="ExplainerSettings">Every explainer with its option values, <see cref="Explain.ExplainerSet.Settings"/> (null in older folders).</param>
/// <param name="ModelHash">The model's <see cref="Vitmix.Model.ModelFingerprint"/> (null in older folders).</param>
/// <param name="CodeVersion">The Vitmix library's version with its commit, <see cref="CurrentCodeVersion"/> (null in older folders).</param>
/// <param name="CurveFractions">The fractions of pixels perturbed at each curve point, when the curves sample them rather than <paramref name="PerturbationSteps"/> even steps.</param>
/// <param name="Protocol">"vitmix" or "chefer" (<see cref="EvaluationProtocol"/>); null in folders written before the map metrics, whose rows lack those columns.</param>
/// <param name="PointingTolerance">The pointing game's tolerance in pixels (null in older folders).</param>
/// <param name="Sensitivity">How max-sensitivity was measured, e.g. "10 x r=0.02 seed 0", or "none" (null in older folders).</param>
/// <param name="Perturbation">"pixel", "token" or "both" (<see cref="PerturbationMode"/>; null in older folders: pixel).</param>
/// <param name="Road">How ROAD was measured, e.g. "noisy-linear sigma=0.01 fractions 0.1 0.2 … seed 0", or "none" (null in older folders: none).</param>
/// <param name="RoadFractions">The fractions ROAD's curves in curves.csv were read at (null without ROAD, and in older folders: <see cref="RoadCurves.DefaultFractions"/>).</param>
public sealed record RunInfo(string Model, string Dataset, int NumClasses, IReadOnlyList<string> Maps, string Threshold, int PerturbationSteps,
    string DeletionRanking, double MinConfidence, string Target, int ShardIndex, int ShardCount, IReadOnlyList<string> ClassNames,
    int? Images = null, int? ShardImages = null, bool? Insertion = null, string? ExplainerSettings = null,
    string? ModelHash = null, string? CodeVersion = null, IReadOnlyList<double>? CurveFractions = null,
    string? Protocol = null, double? PointingTolerance = null, string? Sensitivity = null, string? Perturbation = null, string? Road = null,
    IReadOnlyList<double>? RoadFractions = null)
{
    /// <summary>
    /// This build's version: the library's informational version, which the SDK ends with "+" and the commit it was
    /// built from. Shards or a resumed run from another build may compute other numbers, so they are not mixed.
    /// </summary>
    public static string CurrentCodeVersion { get; } =
        typeof(RunInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(RunInfo).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>
    /// The settings in which <paramref name="other"/> differs from this run, as "name (this vs other)"; empty when it
    /// is the same evaluation. <paramref name="sameShard"/>: also the shard index and its image counts (a resume);
    /// otherwise those may differ (shards of one run). Settings an older run.json lacks are not compared.
    /// </summary>
    public IReadOnlyList<string> Differences(RunInfo other, bool sameShard)
    {
        var d = new List<string>();
        void Check<T>(string name, T a, T b) { if (!EqualityComparer<T>.Default.Equals(a, b)) d.Add($"{name} ({a} vs {b})"); }
        void CheckOptional<T>(string name, T? a, T? b) where T : struct { if (a is not null && b is not null) Check(name, a.Value, b.Value); }
        // The same checkpoint may be mounted at different paths on different nodes: its hash decides when both have one.
        if (ModelHash is not null && other.ModelHash is not null) Check("model hash", ModelHash, other.ModelHash);
        else Check("model", Model, other.Model);
        if (CodeVersion is not null && other.CodeVersion is not null) Check("code version", CodeVersion, other.CodeVersion);
        Check("dataset", Dataset, other.Dataset);
        Check("classes", NumClasses, other.NumClasses);
        if (!ClassNames.SequenceEqual(other.ClassNames)) d.Add("class names");
        var maps = Maps.Select(m => MapId.Normalize(m, Threshold)).ToList();
        var otherMaps = other.Maps.Select(m => MapId.Normalize(m, other.Threshold)).ToList();
        if (!maps.SequenceEqual(otherMaps)) d.Add($"maps ({string.Join(", ", maps)} vs {string.Join(", ", otherMaps)})");
        Check("threshold", Threshold, other.Threshold);
        Check("perturbation steps", PerturbationSteps, other.PerturbationSteps);
        if (!(CurveFractions ?? []).SequenceEqual(other.CurveFractions ?? []))
            d.Add($"curve fractions ({Fractions(CurveFractions)} vs {Fractions(other.CurveFractions)})");
        Check("deletion ranking", DeletionRanking, other.DeletionRanking);
        Check("minimum confidence", MinConfidence, other.MinConfidence);
        Check("target", Target, other.Target);
        Check("shard count", ShardCount, other.ShardCount);
        CheckOptional("insertion", Insertion, other.Insertion);
        // An older folder's rows have no map-metric columns: merged with a newer one, the metrics' means would silently
        // cover only part of the images.
        if ((Protocol is null) != (other.Protocol is null))
            d.Add($"result columns ({(Protocol is null ? "older version without" : "with")} vs {(other.Protocol is null ? "older version without" : "with")} the map metrics)");
        else if (Protocol is not null) Check("protocol", Protocol, other.Protocol);
        CheckOptional("pointing tolerance", PointingTolerance, other.PointingTolerance);
        if (Sensitivity is not null && other.Sensitivity is not null) Check("max-sensitivity", Sensitivity, other.Sensitivity);
        // Folders written before token curves drew pixel curves only.
        Check("perturbation", Perturbation ?? "pixel", other.Perturbation ?? "pixel");
        // Folders written before ROAD did not measure it.
        Check("road", Road ?? "none", other.Road ?? "none");
        if (ExplainerSettings is not null && other.ExplainerSettings is not null) Check("explainer options", ExplainerSettings, other.ExplainerSettings);
        if (sameShard) Check("shard", ShardIndex, other.ShardIndex);
        else CheckOptional("dataset images", Images, other.Images);
        return d;
    }

    static string Fractions(IReadOnlyList<double>? f) =>
        f is null || f.Count == 0 ? "even steps" : string.Join(" ", f.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}

/// <summary>What to do with a folder that already holds a run.</summary>
public enum ExistingRun
{
    /// <summary>Refuse to start: finished results are never replaced unasked.</summary>
    Refuse,
    /// <summary>Keep its finished images and evaluate the rest (same settings required).</summary>
    Resume,
    /// <summary>Start over; the old files are replaced once the first new image is finished.</summary>
    Overwrite,
}

/// <summary>The folder holds a run and neither resuming nor overwriting it was asked for.</summary>
public sealed class ExistingRunException(string folder, int finishedImages)
    : IOException($"{folder} already holds an evaluation run ({finishedImages} finished image(s))")
{
    /// <summary>The run folder.</summary>
    public string Folder { get; } = folder;
    /// <summary>Images the existing run has finished.</summary>
    public int FinishedImages { get; } = finishedImages;
}

/// <summary>A run was to be resumed with settings other than those it was started with.</summary>
public sealed class RunMismatchException(string runFile, IReadOnlyList<string> differences)
    : IOException($"{runFile}: the run being resumed has different settings: {string.Join("; ", differences)}")
{
    /// <summary>The run.json of the folder.</summary>
    public string RunFile { get; } = runFile;
    /// <summary>The settings that differ.</summary>
    public IReadOnlyList<string> Differences { get; } = differences;
}

/// <summary>
/// Writes an evaluation run folder (<see cref="RunFolder"/>) image by image: results.csv, curves.csv and done.txt, the
/// image's line in done.txt written last. A run killed at any point resumes from done.txt: rows of an image that is not
/// listed there are dropped and the image is evaluated again, so nothing is lost or counted twice. Nothing in the folder
/// changes until the first image is finished (<see cref="Begin"/>): a run that fails or is stopped before that leaves an
/// existing run exactly as it was.
/// </summary>
public sealed class EvaluationStore
{
    /// <summary>The folder's file names.</summary>
    public RunFolder Folder { get; }

    RunInfo? _info;
    ExistingRun _mode;
    HashSet<string> _done = [];
    bool _begun;

    /// <param name="directory">The run folder.</param>
    public EvaluationStore(string directory) => Folder = new RunFolder(directory);

    /// <summary>
    /// Checks the folder against the run about to start, without writing: refuses a folder that holds a run unless
    /// <paramref name="existing"/> says to resume or overwrite it, and a resume with other settings.
    /// Returns the images already finished (empty unless resuming).
    /// </summary>
    /// <exception cref="ExistingRunException">The folder holds a run and <paramref name="existing"/> is <see cref="ExistingRun.Refuse"/>.</exception>
    /// <exception cref="RunMismatchException">Resuming a run whose settings differ.</exception>
    public IReadOnlySet<string> Prepare(RunInfo info, ExistingRun existing)
    {
        _info = info;
        _begun = false;
        _done = new HashSet<string>(StringComparer.Ordinal);
        _mode = existing;
        bool holds = Folder.HoldsRun;
        if (holds && existing == ExistingRun.Refuse)
            throw new ExistingRunException(Folder.Directory, Folder.ReadDone().Count);
        if (existing == ExistingRun.Resume && File.Exists(Folder.RunPath))
        {
            // Its rows would lack the columns this version writes: a results.csv of two widths is refused, not mixed.
            if (RunFolder.CompleteLines(Folder.ResultsPath) is [ResultRow.LegacyHeader, ..])
                throw new InvalidDataException($"{Folder.ResultsPath} was written by an older Vitmix without the map-metric columns and cannot be resumed (vitmix merge still reads it); start over with --overwrite");
            var previous = ReadRun(Folder.Directory);
            var differences = previous.Differences(info, sameShard: true);
            if (differences.Count > 0) throw new RunMismatchException(Folder.RunPath, differences);
            foreach (var d in Folder.ReadDone()) _done.Add(d.Image);
        }
        else if (existing == ExistingRun.Resume)
        {
            if (holds) throw new InvalidDataException($"{Folder.Directory} cannot be resumed: it holds results but no run.json (what was run)");
            _mode = ExistingRun.Overwrite; // nothing to resume: a fresh start
        }
        return _done;
    }

    /// <summary>
    /// Makes the folder ready for the first finished image: a fresh run's files (an overwritten run's old ones removed),
    /// or a resumed run's files without the rows of unfinished images. Called once; later calls do nothing.
    /// </summary>
    public void Begin()
    {
        if (_begun) return;
        var info = _info ?? throw new InvalidOperationException("Prepare the store before writing to it");
        Directory.CreateDirectory(Folder.Directory);
        if (_mode == ExistingRun.Resume)
        {
            Rewrite(Folder.ResultsPath, ResultRow.Header, line => _done.Contains(Csv.Split(line)[0]));
            Rewrite(Folder.CurvesPath, CurveRow.Header, line => _done.Contains(Csv.Split(line)[0]));
            Rewrite(Folder.DonePath, null, _ => true);
            // The same settings (checked in Prepare); the image counts may have grown (a longer --first, say).
            IO.AtomicFile.WriteAllText(Folder.RunPath, JsonSerializer.Serialize(info, JsonOptions));
        }
        else
        {
            foreach (var p in new[] { Folder.ResultsPath, Folder.CurvesPath, Folder.DonePath, Folder.SummaryPath, Folder.ReportPath })
                if (File.Exists(p)) File.Delete(p);
            if (Directory.Exists(Folder.TilesDirectory)) Directory.Delete(Folder.TilesDirectory, true);
            if (Directory.Exists(Folder.TheoryDirectory)) Directory.Delete(Folder.TheoryDirectory, true);
            IO.AtomicFile.WriteAllText(Folder.RunPath, JsonSerializer.Serialize(info, JsonOptions));
            File.WriteAllText(Folder.ResultsPath, ResultRow.Header + "\n");
            File.WriteAllText(Folder.CurvesPath, CurveRow.Header + "\n");
            File.WriteAllText(Folder.DonePath, "");
        }
        _begun = true;
    }

    /// <summary>Appends one image's rows and curves, then marks it done; each file is flushed to disk before the next.</summary>
    public void Append(string image, IEnumerable<ResultRow> rows, IEnumerable<CurveRow> curves, string status = "ok")
    {
        Begin();
        AppendText(Folder.ResultsPath, string.Concat(rows.Select(r => r.ToCsv() + "\n")));
        AppendText(Folder.CurvesPath, string.Concat(curves.Select(c => c.ToCsv() + "\n")));
        AppendText(Folder.DonePath, RunFolder.DoneLine(image, status));
    }

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>The <see cref="RunInfo"/> of a run folder.</summary>
    public static RunInfo ReadRun(string dir)
    {
        string path = new RunFolder(dir).RunPath;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not an evaluation folder (no run.json)", path);
        return JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty run description");
    }

    /// <summary>The rows of the finished images of a run folder.</summary>
    public static IReadOnlyList<ResultRow> ReadResults(string dir)
    {
        var folder = new RunFolder(dir);
        var done = folder.ReadDone().Select(d => d.Image).ToHashSet(StringComparer.Ordinal);
        return RunFolder.CompleteLines(folder.ResultsPath).Skip(1).Select(l => ResultRow.Parse(l, folder.ResultsPath)).Where(r => done.Contains(r.Image)).ToList();
    }

    /// <summary>The curves of the finished images of a run folder.</summary>
    public static IReadOnlyList<CurveRow> ReadCurves(string dir)
    {
        var folder = new RunFolder(dir);
        if (!File.Exists(folder.CurvesPath)) return [];
        string threshold = ReadRun(dir).Threshold;
        var done = folder.ReadDone().Select(d => d.Image).ToHashSet(StringComparer.Ordinal);
        return RunFolder.CompleteLines(folder.CurvesPath).Skip(1).Select(l => CurveRow.Parse(l, folder.CurvesPath, threshold)).Where(r => done.Contains(r.Image)).ToList();
    }

    static void AppendText(string path, string text)
    {
        if (text.Length == 0) return;
        using var fs = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        fs.Write(Encoding.UTF8.GetBytes(text));
        fs.Flush(flushToDisk: true);
    }

    static void Rewrite(string path, string? header, Func<string, bool> keep)
    {
        var lines = RunFolder.CompleteLines(path);
        if (header != null && lines.Count > 0 && lines[0] == header) lines.RemoveAt(0);
        var sb = new StringBuilder();
        if (header != null) sb.Append(header).Append('\n');
        foreach (var l in lines.Where(keep)) sb.Append(l).Append('\n');
        IO.AtomicFile.WriteAllText(path, sb.ToString());
    }
}

/// <summary>Minimal RFC 4180 CSV helpers.</summary>
public static class Csv
{
    /// <summary>The field as written: quoted, with quotes doubled, when it holds a comma, a quote or a line break.</summary>
    public static string Escape(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>A round-trippable invariant number; NaN (a metric not computed) is the empty field.</summary>
    public static string Number(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The fields of one line, quotes removed and doubled quotes undone.</summary>
    public static List<string> Split(string line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else sb.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(ch);
        }
        fields.Add(sb.ToString());
        return fields;
    }
}
