using Vitmix.IO;
using System.Globalization;
using System.Text;
using Vitmix.Data;
using Vitmix.Evaluation.Report;

namespace Vitmix.Evaluation;

/// <summary>The summary of one or more run folders (a run, or the shards of one): per map, n and mean ± 95% interval of every metric.</summary>
public sealed record EvaluationSummary(IReadOnlyList<SummaryRow> Rows, IReadOnlyList<ResultRow> Results, RunInfo Run, int Images, int Skipped,
    IReadOnlyList<string> Warnings, IReadOnlyList<PrecisionGainRow>? Theory);

/// <summary>
/// Builds summary.csv, report.html and the printed table from run folders alone (results.csv, curves.csv, tiles,
/// theory masks), so a single run, a resumed run and merged shards all report the same way.
/// </summary>
public static class EvaluationReport
{
    public static EvaluationSummary Summarise(IReadOnlyList<string> runDirs)
    {
        if (runDirs.Count == 0) throw new ArgumentException("no evaluation folder given");
        var runs = runDirs.Select(EvaluationStore.ReadRun).ToList();
        var run = runs[0];
        for (int i = 1; i < runs.Count; i++)
            if (!runs[i].Maps.SequenceEqual(run.Maps) || runs[i].Model != run.Model || runs[i].Dataset != run.Dataset)
                throw new InvalidDataException($"{runDirs[i]}: a different evaluation (model, dataset or maps) than {runDirs[0]}; only shards of one run can be merged");
        var results = runDirs.SelectMany(EvaluationStore.ReadResults).ToList();
        var duplicates = results.GroupBy(r => (r.Image, r.Map)).Where(g => g.Count() > 1).Select(g => g.Key.Image).Distinct().ToList();
        if (duplicates.Count > 0) throw new InvalidDataException($"image {duplicates[0]} appears in more than one of the folders being merged");
        int skipped = runDirs.Sum(d => File.ReadAllLines(Path.Combine(d, "done.txt")).Count(l => l.Contains("\tskipped")));
        var images = results.Select(r => r.Image).Distinct().ToList();

        var rows = new List<SummaryRow>();
        foreach (var group in results.GroupBy(r => r.Map))
        {
            var first = group.First();
            var metrics = new Dictionary<string, MeanInterval>
            {
                [ReportMetrics.IoU] = SummaryStatistics.MeanWithInterval(group.Select(r => r.Iou)),
                [ReportMetrics.F1] = SummaryStatistics.MeanWithInterval(group.Select(r => r.F1)),
                [ReportMetrics.PixelAccuracy] = SummaryStatistics.MeanWithInterval(group.Select(r => r.PixelAccuracy)),
                [ReportMetrics.Recall] = SummaryStatistics.MeanWithInterval(group.Select(r => r.Recall)),
                [ReportMetrics.Precision] = SummaryStatistics.MeanWithInterval(group.Select(r => r.Precision)),
                [ReportMetrics.DeletionAuc] = SummaryStatistics.MeanWithInterval(group.Select(r => r.DeletionAuc)),
                [ReportMetrics.InsertionAuc] = SummaryStatistics.MeanWithInterval(group.Select(r => r.InsertionAuc)),
            };
            rows.Add(new SummaryRow(group.Key, first.Method, first.Fusion, group.Count(), metrics));
        }

        var warnings = new List<string>();
        // Explaining a random head is meaningless: warn when every image's top probability is near uniform.
        var topProbabilities = results.GroupBy(r => r.Image).Select(g => g.First().Probability).ToList();
        if (topProbabilities.Count > 0 && run.NumClasses > 1 && topProbabilities.All(p => p < 2.0 / run.NumClasses))
            warnings.Add($"the classifier head looks untrained: on every image the explained class has probability below {2.0 / run.NumClasses:0.###} (uniform is {1.0 / run.NumClasses:0.###}); explanations of a random head are meaningless");
        if (skipped > 0) warnings.Add($"{skipped} image(s) skipped below the minimum confidence {run.MinConfidence}");

        IReadOnlyList<PrecisionGainRow>? theory = null;
        var theoryDirs = runDirs.Select(d => Path.Combine(d, "theory")).Where(Directory.Exists).ToList();
        if (theoryDirs.Count > 0) theory = Theory(theoryDirs);
        return new EvaluationSummary(rows, results, run, images.Count, skipped, warnings, theory);
    }

    static IReadOnlyList<PrecisionGainRow>? Theory(List<string> dirs)
    {
        var methodsFile = dirs.Select(d => Path.Combine(d, "methods.txt")).FirstOrDefault(File.Exists);
        if (methodsFile == null) return null;
        var methods = File.ReadAllLines(methodsFile).Where(l => l.Length > 0).ToList();
        if (methods.Count < 2) return null;
        var analysis = new PrecisionGainAnalysis(methods);
        foreach (var file in dirs.SelectMany(d => Directory.GetFiles(d, "*.npy")).Order(StringComparer.Ordinal))
        {
            var a = Npy.Read(file);
            int n = a.Shape[1];
            var masks = new Dictionary<string, byte[]>();
            for (int i = 0; i < methods.Count; i++) masks[methods[i]] = a.Values.Skip(i * n).Take(n).Select(v => (byte)v).ToArray();
            var truth = a.Values.Skip(methods.Count * n).Take(n).Select(v => (byte)v).ToArray();
            analysis.Add(masks, truth);
        }
        return analysis.Rows();
    }

    public static void WriteSummaryCsv(string path, EvaluationSummary summary)
    {
        var sb = new StringBuilder("map,method,fusion,n");
        foreach (var (name, _) in ReportMetrics.Columns) sb.Append($",{name},{name}_ci_low,{name}_ci_high");
        sb.Append('\n');
        foreach (var row in summary.Rows)
        {
            sb.Append(string.Join(",", Csv.Escape(row.Map), Csv.Escape(row.Method), Csv.Escape(row.Fusion), row.N.ToString(CultureInfo.InvariantCulture)));
            foreach (var (name, _) in ReportMetrics.Columns)
            {
                var m = row.Metrics[name];
                sb.Append($",{Csv.Number(m.Mean)},{Csv.Number(m.Low)},{Csv.Number(m.High)}");
            }
            sb.Append('\n');
        }
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    public static void WriteReport(string path, EvaluationSummary summary, IReadOnlyList<string> runDirs, string title)
    {
        var curves = runDirs.SelectMany(EvaluationStore.ReadCurves).ToList();
        CurveSeries[] Mean(string kind) => curves.Where(c => c.Kind == kind).GroupBy(c => c.Map)
            .Select(g => new CurveSeries(g.Key, Enumerable.Range(0, g.First().Values.Length).Select(i => g.Average(c => c.Values[i])).ToArray()))
            .ToArray();
        var images = new List<ImageEntry>();
        foreach (var dir in runDirs.Select(d => Path.Combine(d, "tiles")).Where(Directory.Exists))
            foreach (var imageDir in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            {
                var tiles = Directory.GetFiles(imageDir, "*.png").Order(StringComparer.Ordinal)
                    .Select(f => new ImageTile(TileLabel(Path.GetFileNameWithoutExtension(f)), File.ReadAllBytes(f))).ToList();
                string name = Path.GetFileName(imageDir);
                var first = summary.Results.FirstOrDefault(r => EvaluationRunner.SafeName(r.Image) == name);
                string? caption = first == null ? null
                    : $"class {first.TargetClass} ({(first.TargetClass < summary.Run.ClassNames.Count ? summary.Run.ClassNames[first.TargetClass] : "?")}), p = {first.Probability:0.###}";
                images.Add(new ImageEntry(name, caption, tiles));
            }
        var info = new List<ReportInfo>
        {
            new("model", summary.Run.Model), new("dataset", summary.Run.Dataset),
            new("images", $"{summary.Images} evaluated" + (summary.Skipped > 0 ? $", {summary.Skipped} skipped (min confidence {summary.Run.MinConfidence})" : "")),
            new("threshold", summary.Run.Threshold), new("target", summary.Run.Target),
            new("perturbation", summary.Run.PerturbationSteps > 0 ? $"{summary.Run.PerturbationSteps} steps, deletion ranked by the {summary.Run.DeletionRanking} map" : "not computed"),
            new("metrics", "IoU, F1, pixel accuracy = (TP+TN)/valid, recall = TP/|GT| (the ViTmiX script's \"pixel accuracy\"), precision; void pixels excluded; mean and 95% Student-t interval over images"),
        };
        foreach (var w in summary.Warnings) info.Add(new ReportInfo("warning", w));
        var theoryRows = summary.Theory?.SelectMany(r => new[]
        {
            new TheoryRow(string.Join("+", r.Methods), "precision (equal priors)", r.PredictedEqualPrior, r.Measured),
            new TheoryRow(string.Join("+", r.Methods), "precision (measured prior)", r.PredictedWithPrior, r.Measured),
        }).ToList();
        ReportWriter.Write(path, new ReportData
        {
            Title = title,
            Info = info,
            Summary = summary.Rows,
            DeletionCurves = Mean("deletion"),
            InsertionCurves = Mean("insertion"),
            Theory = theoryRows,
            TheoryCaption = theoryRows == null ? null
                : "ViTmiX talk, equation 1: if the masks err independently given the object, the intersection of k masks has precision Πp / (Πp + Πq); predicted from each method's p and q vs measured on the intersection.",
            Images = images,
        });
    }

    static string TileLabel(string file) => file switch
    {
        "0_image" => "image",
        "1_truth" => "ground truth",
        _ => file.Length > 4 && file[3] == '_' ? file[4..] : file,
    };
}
