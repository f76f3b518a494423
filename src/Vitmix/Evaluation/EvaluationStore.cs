using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vitmix.Evaluation;

/// <summary>One row of results.csv: one image × one map (× one annotator).</summary>
public sealed record ResultRow(string Image, int TargetClass, double Probability, string Method, string Fusion, string Threshold,
    double Iou, double F1, double PixelAccuracy, double Recall, double Precision, double DeletionAuc, double InsertionAuc,
    string Annotator, double ThresholdValue)
{
    public const string Header = "image,target_class,probability,method,fusion,threshold,iou,f1,pixel_accuracy,recall,precision,deletion_auc,insertion_auc,annotator,threshold_value";

    /// <summary>The map's display name: "lrp", "lrp+rollout.gmean", with "@annotator" when the dataset has several.</summary>
    public string Map => (Fusion == "single" ? Method : $"{Method}.{Fusion}") + (Annotator.Length > 0 ? "@" + Annotator : "");

    public string ToCsv() => string.Join(",", Csv.Escape(Image), TargetClass.ToString(CultureInfo.InvariantCulture), Csv.Number(Probability),
        Csv.Escape(Method), Csv.Escape(Fusion), Csv.Escape(Threshold), Csv.Number(Iou), Csv.Number(F1), Csv.Number(PixelAccuracy),
        Csv.Number(Recall), Csv.Number(Precision), Csv.Number(DeletionAuc), Csv.Number(InsertionAuc), Csv.Escape(Annotator), Csv.Number(ThresholdValue));

    public static ResultRow Parse(string line, string source)
    {
        var f = Csv.Split(line);
        if (f.Count != 15) throw new InvalidDataException($"{source}: row has {f.Count} fields, expected 15: {line}");
        double D(int i) => f[i].Length == 0 ? double.NaN : double.Parse(f[i], CultureInfo.InvariantCulture);
        return new ResultRow(f[0], int.Parse(f[1], CultureInfo.InvariantCulture), D(2), f[3], f[4], f[5], D(6), D(7), D(8), D(9), D(10), D(11), D(12), f[13], D(14));
    }
}

/// <summary>A perturbation curve of one image and map, as stored in curves.csv.</summary>
public sealed record CurveRow(string Image, string Map, string Kind, double[] Values)
{
    public string ToCsv() => string.Join(",", Csv.Escape(Image), Csv.Escape(Map), Kind,
        string.Join(" ", Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));

    public static CurveRow Parse(string line, string source)
    {
        var f = Csv.Split(line);
        if (f.Count != 4) throw new InvalidDataException($"{source}: curve row has {f.Count} fields, expected 4");
        return new CurveRow(f[0], f[1], f[2], f[3].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());
    }
}

/// <summary>What a run was: written once to run.json, checked on --resume, read by merge and the report.</summary>
public sealed record RunInfo(string Model, string Dataset, int NumClasses, IReadOnlyList<string> Maps, string Threshold, int PerturbationSteps,
    string DeletionRanking, double MinConfidence, string Target, int ShardIndex, int ShardCount, IReadOnlyList<string> ClassNames);

/// <summary>
/// The files of an evaluation run folder, appended image by image: results.csv, curves.csv and done.txt (the
/// image names whose rows are complete, written last). A run killed at any point resumes from done.txt: rows of an
/// image that is not listed there are dropped and the image is evaluated again, so nothing is lost or counted twice.
/// </summary>
public sealed class EvaluationStore
{
    public string Directory { get; }
    public string ResultsPath => Path.Combine(Directory, "results.csv");
    public string CurvesPath => Path.Combine(Directory, "curves.csv");
    public string DonePath => Path.Combine(Directory, "done.txt");
    public string RunPath => Path.Combine(Directory, "run.json");
    public string TilesDirectory => Path.Combine(Directory, "tiles");
    public string TheoryDirectory => Path.Combine(Directory, "theory");

    public EvaluationStore(string directory) => Directory = directory;

    /// <summary>Starts a run: fresh files, or (resume) the completed images of the previous one, with partial rows dropped.</summary>
    public HashSet<string> Open(RunInfo info, bool resume)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var done = new HashSet<string>(StringComparer.Ordinal);
        if (resume && File.Exists(RunPath))
        {
            var previous = JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(RunPath))
                ?? throw new InvalidDataException($"{RunPath}: empty run description");
            if (!previous.Maps.SequenceEqual(info.Maps) || previous.Model != info.Model || previous.Dataset != info.Dataset
                || previous.Threshold != info.Threshold || previous.PerturbationSteps != info.PerturbationSteps)
                throw new InvalidDataException($"{RunPath}: --resume with different settings (model, dataset, maps, threshold or steps) than the run being resumed; use another --out");
            foreach (var line in CompleteLines(DonePath)) done.Add(line.Split('\t')[0]);
            Rewrite(ResultsPath, ResultRow.Header, line => done.Contains(Csv.Split(line)[0]));
            Rewrite(CurvesPath, "image,map,kind,values", line => done.Contains(Csv.Split(line)[0]));
            Rewrite(DonePath, null, _ => true);
            return done;
        }
        foreach (var p in new[] { ResultsPath, CurvesPath, DonePath }) if (File.Exists(p)) File.Delete(p);
        if (System.IO.Directory.Exists(TilesDirectory)) System.IO.Directory.Delete(TilesDirectory, true);
        if (System.IO.Directory.Exists(TheoryDirectory)) System.IO.Directory.Delete(TheoryDirectory, true);
        IO.AtomicFile.WriteAllText(RunPath, JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(ResultsPath, ResultRow.Header + "\n");
        File.WriteAllText(CurvesPath, "image,map,kind,values\n");
        File.WriteAllText(DonePath, "");
        return done;
    }

    /// <summary>Appends one image's rows and curves, then marks it done; each file is flushed to disk before the next.</summary>
    public void Append(string image, IEnumerable<ResultRow> rows, IEnumerable<CurveRow> curves, string status = "ok")
    {
        AppendText(ResultsPath, string.Concat(rows.Select(r => r.ToCsv() + "\n")));
        AppendText(CurvesPath, string.Concat(curves.Select(c => c.ToCsv() + "\n")));
        AppendText(DonePath, $"{image}\t{status}\n");
    }

    public static RunInfo ReadRun(string dir)
    {
        string path = Path.Combine(dir, "run.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not an evaluation folder (no run.json)", path);
        return JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty run description");
    }

    public static IReadOnlyList<ResultRow> ReadResults(string dir)
    {
        var store = new EvaluationStore(dir);
        var done = CompleteLines(store.DonePath).Select(l => l.Split('\t')[0]).ToHashSet(StringComparer.Ordinal);
        return CompleteLines(store.ResultsPath).Skip(1).Select(l => ResultRow.Parse(l, store.ResultsPath)).Where(r => done.Contains(r.Image)).ToList();
    }

    public static IReadOnlyList<CurveRow> ReadCurves(string dir)
    {
        var store = new EvaluationStore(dir);
        if (!File.Exists(store.CurvesPath)) return [];
        var done = CompleteLines(store.DonePath).Select(l => l.Split('\t')[0]).ToHashSet(StringComparer.Ordinal);
        return CompleteLines(store.CurvesPath).Skip(1).Select(l => CurveRow.Parse(l, store.CurvesPath)).Where(r => done.Contains(r.Image)).ToList();
    }

    static void AppendText(string path, string text)
    {
        if (text.Length == 0) return;
        using var fs = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        fs.Write(Encoding.UTF8.GetBytes(text));
        fs.Flush(flushToDisk: true);
    }

    /// <summary>Lines that end with a newline (a killed writer can leave a partial last line).</summary>
    static List<string> CompleteLines(string path)
    {
        if (!File.Exists(path)) return [];
        string text = File.ReadAllText(path);
        int end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n').Where(l => l.Length > 0).ToList();
    }

    static void Rewrite(string path, string? header, Func<string, bool> keep)
    {
        var lines = CompleteLines(path);
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
    public static string Escape(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    public static string Number(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

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
