using Vitmix.IO;
using System.Globalization;
using System.Text;
using Vitmix.Data;
using Vitmix.Evaluation.Report;
using Vitmix.Fusion;

namespace Vitmix.Evaluation;

/// <summary>The summary of one or more run folders (a run, or the shards of one): per map, n and mean ± 95% interval of every metric.</summary>
public sealed record EvaluationSummary(IReadOnlyList<SummaryRow> Rows, IReadOnlyList<ResultRow> Results, RunInfo Run, int Images, int Skipped,
    IReadOnlyList<string> Warnings, IReadOnlyList<PrecisionGainRow>? Theory);

/// <summary>
/// The shards given to a merge are not all of one run's shards, or not all finished (run.json knows how many shards
/// there are and how many images each owns).
/// </summary>
public sealed class IncompleteShardsException(string message, IReadOnlyList<int> missingShards, IReadOnlyList<string> unfinishedFolders)
    : IOException(message)
{
    /// <summary>Shard indices that were not given.</summary>
    public IReadOnlyList<int> MissingShards { get; } = missingShards;
    /// <summary>Folders of shards that have not evaluated all their images.</summary>
    public IReadOnlyList<string> UnfinishedFolders { get; } = unfinishedFolders;
}

/// <summary>
/// Builds summary.csv, report.html and the printed table from run folders alone (results.csv, curves.csv, tiles,
/// theory masks), so a single run, a resumed run and merged shards all report the same way.
/// </summary>
public static class EvaluationReport
{
    /// <summary>
    /// Summarises one run folder, or the shards of one run. The folders must be of the same evaluation (model, dataset,
    /// maps, threshold, steps, …) and, unless <paramref name="allowPartial"/>, every shard of it, each finished; with
    /// <paramref name="allowPartial"/> what is missing becomes a warning of the summary.
    /// </summary>
    /// <exception cref="InvalidDataException">The folders are of different evaluations, or an image's map appears twice.</exception>
    /// <exception cref="IncompleteShardsException">A shard is missing or unfinished and <paramref name="allowPartial"/> is false.</exception>
    public static EvaluationSummary Summarise(IReadOnlyList<string> runDirs, bool allowPartial = false)
    {
        if (runDirs.Count == 0) throw new ArgumentException("no evaluation folder given");
        var runs = runDirs.Select(EvaluationStore.ReadRun).ToList();
        var run = runs[0];
        for (int i = 1; i < runs.Count; i++)
        {
            var differences = run.Differences(runs[i], sameShard: false);
            if (differences.Count > 0)
                throw new InvalidDataException(
                    $"{runDirs[i]} is not a shard of the same evaluation as {runDirs[0]}: {string.Join("; ", differences)}");
        }
        var warnings = new List<string>();
        string? partial = CheckShards(runDirs, runs);
        if (partial != null)
        {
            if (!allowPartial) throw Incomplete(runDirs, runs);
            warnings.Add($"partial results: {partial}");
        }

        var results = InDatasetOrder(runDirs, runs);
        var duplicate = results.GroupBy(r => (r.Image, r.MapName)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null)
            throw new InvalidDataException(runDirs.Count == 1
                ? $"{new RunFolder(runDirs[0]).ResultsPath}: image {duplicate.Key.Image} has more than one row for map {duplicate.Key.MapName}"
                : $"image {duplicate.Key.Image} appears in more than one of the folders being merged");
        var done = runDirs.SelectMany(d => new RunFolder(d).ReadDone()).ToList();
        int skipped = done.Count(d => d.Skipped);
        var images = results.Select(r => r.Image).Distinct().ToList();

        var rows = new List<SummaryRow>();
        foreach (var group in results.GroupBy(r => r.MapName))
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
                [ReportMetrics.PointingGame] = SummaryStatistics.MeanWithInterval(group.Select(r => r.MapScores.PointingGame)),
                [ReportMetrics.EnergyPointingGame] = SummaryStatistics.MeanWithInterval(group.Select(r => r.MapScores.EnergyPointingGame)),
                [ReportMetrics.RelevanceMassAccuracy] = SummaryStatistics.MeanWithInterval(group.Select(r => r.MapScores.RelevanceMassAccuracy)),
                [ReportMetrics.RelevanceRankAccuracy] = SummaryStatistics.MeanWithInterval(group.Select(r => r.MapScores.RelevanceRankAccuracy)),
                [ReportMetrics.Sparseness] = SummaryStatistics.MeanWithInterval(group.Select(r => r.MapScores.Sparseness)),
                [ReportMetrics.Complexity] = SummaryStatistics.MeanWithInterval(group.Select(r => r.MapScores.Complexity)),
                [ReportMetrics.MaxSensitivity] = SummaryStatistics.MeanWithInterval(group.Select(r => r.MaxSensitivity)),
                [ReportMetrics.TokenDeletionAuc] = SummaryStatistics.MeanWithInterval(group.Select(r => r.TokenDeletionAuc)),
                [ReportMetrics.TokenInsertionAuc] = SummaryStatistics.MeanWithInterval(group.Select(r => r.TokenInsertionAuc)),
                [ReportMetrics.RoadMorf] = SummaryStatistics.MeanWithInterval(group.Select(r => r.RoadMorf)),
                [ReportMetrics.RoadLerf] = SummaryStatistics.MeanWithInterval(group.Select(r => r.RoadLerf)),
                [ReportMetrics.RoadGap] = SummaryStatistics.MeanWithInterval(group.Select(r => r.RoadGap)),
            };
            foreach (var (name, value) in CheferProtocol(run, group)) metrics[name] = value;
            rows.Add(new SummaryRow(group.Key, first.Map.MethodField, first.Map.FusionField, group.Count(), metrics));
        }

        // Explaining a random head is meaningless: warn when every image's top probability is near uniform.
        var topProbabilities = results.GroupBy(r => r.Image).Select(g => g.First().Probability).ToList();
        if (topProbabilities.Count > 0 && run.NumClasses > 1 && topProbabilities.All(p => p < 2.0 / run.NumClasses))
            warnings.Add($"the classifier head looks untrained: on every image the explained class has probability below {2.0 / run.NumClasses:0.###} (uniform is {1.0 / run.NumClasses:0.###}); explanations of a random head are meaningless");
        if (skipped > 0) warnings.Add($"{skipped} image(s) skipped below the minimum confidence {run.MinConfidence}");

        IReadOnlyList<PrecisionGainRow>? theory = null;
        var theoryDirs = runDirs.Select(d => new RunFolder(d)).Where(f => Directory.Exists(f.TheoryDirectory)).ToList();
        if (theoryDirs.Count > 0) theory = Theory(theoryDirs);
        return new EvaluationSummary(rows, results, run, images.Count, skipped, warnings, theory);
    }

    /// <summary>
    /// Chefer et al.'s dataset-level numbers of one map, for a run that follows their protocol: pixel accuracy and mIoU
    /// pooled over the images (no interval: one number of the whole dataset), mAP the mean of the per-image APs with its
    /// interval. Absent (NaN) for other runs and when a row lacks its counts.
    /// </summary>
    static IEnumerable<(string Name, MeanInterval Value)> CheferProtocol(RunInfo run, IEnumerable<ResultRow> rows)
    {
        var nothing = new MeanInterval(double.NaN, double.NaN, double.NaN, 0, double.NaN);
        var list = rows.ToList();
        if (run.Protocol != "chefer" || list.Any(r => r.Counts is null))
            return [(ReportMetrics.CheferPixelAccuracy, nothing), (ReportMetrics.CheferMeanIou, nothing), (ReportMetrics.CheferMeanAveragePrecision, nothing)];
        var accumulator = new CheferSegmentationAccumulator();
        foreach (var r in list) accumulator.Add(r.Counts!.Value, r.CheferAveragePrecision);
        var result = accumulator.Result();
        MeanInterval Pooled(double v) => new(v, double.NaN, double.NaN, result.Images, double.NaN);
        return
        [
            (ReportMetrics.CheferPixelAccuracy, Pooled(result.PixelAccuracy)),
            (ReportMetrics.CheferMeanIou, Pooled(result.MeanIou)),
            (ReportMetrics.CheferMeanAveragePrecision, SummaryStatistics.MeanWithInterval(list.Select(r => r.CheferAveragePrecision))),
        ];
    }

    /// <summary>
    /// The rows of every folder in the order one unsharded run writes them: the dataset's. Shard s of N owns the
    /// images i with i mod N == s and finishes them in order (done.txt, a resumed run appending), so its k-th finished
    /// image is the dataset's image k·N + s; rows of one image keep their order.
    /// </summary>
    static List<ResultRow> InDatasetOrder(IReadOnlyList<string> runDirs, List<RunInfo> runs)
    {
        var position = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int f = 0; f < runDirs.Count; f++)
        {
            var done = new RunFolder(runDirs[f]).ReadDone();
            for (int k = 0; k < done.Count; k++)
                position.TryAdd(done[k].Image, (long)k * runs[f].ShardCount + runs[f].ShardIndex);
        }
        return runDirs.SelectMany(EvaluationStore.ReadResults)
            .Select((row, i) => (row, i))
            .OrderBy(x => position.TryGetValue(x.row.Image, out long p) ? p : long.MaxValue).ThenBy(x => x.i)
            .Select(x => x.row).ToList();
    }

    /// <summary>What is missing from the shards of <paramref name="runs"/>, or null when they are the whole run, finished.</summary>
    static string? CheckShards(IReadOnlyList<string> runDirs, List<RunInfo> runs)
    {
        for (int i = 0; i < runs.Count; i++)
            for (int j = 0; j < i; j++)
                if (runs[i].ShardIndex == runs[j].ShardIndex)
                    throw new InvalidDataException($"{runDirs[j]} and {runDirs[i]} are both shard {runs[i].ShardIndex} of {runs[i].ShardCount}");
        var problems = new List<string>();
        var missing = MissingShards(runs);
        if (missing.Count > 0)
            problems.Add($"shard(s) {string.Join(", ", missing)} of {runs[0].ShardCount} missing (given: " +
                $"{string.Join(", ", runs.Select((r, i) => $"shard {r.ShardIndex} in {runDirs[i]}"))})");
        foreach (var (dir, finished, owned) in Unfinished(runDirs, runs))
            problems.Add($"{dir} is unfinished ({finished} of {owned} images)");
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    static List<int> MissingShards(List<RunInfo> runs) =>
        Enumerable.Range(0, runs[0].ShardCount).Where(i => runs.All(r => r.ShardIndex != i)).ToList();

    static IEnumerable<(string Dir, int Finished, int Owned)> Unfinished(IReadOnlyList<string> runDirs, List<RunInfo> runs)
    {
        for (int i = 0; i < runs.Count; i++)
            if (runs[i].ShardImages is int owned && new RunFolder(runDirs[i]).ReadDone().Count is var finished && finished < owned)
                yield return (runDirs[i], finished, owned);
    }

    static IncompleteShardsException Incomplete(IReadOnlyList<string> runDirs, List<RunInfo> runs)
    {
        var missing = MissingShards(runs);
        var unfinished = Unfinished(runDirs, runs).ToList();
        return new IncompleteShardsException(
            $"not a whole evaluation: {CheckShards(runDirs, runs)}", missing, unfinished.Select(u => u.Dir).ToList());
    }

    static IReadOnlyList<PrecisionGainRow>? Theory(List<RunFolder> folders)
    {
        var methodsFile = folders.Select(f => f.TheoryMethodsPath).FirstOrDefault(File.Exists);
        if (methodsFile == null) return null;
        var methods = File.ReadAllLines(methodsFile).Where(l => l.Length > 0).ToList();
        if (methods.Count < 2) return null;
        var analysis = new PrecisionGainAnalysis(methods);
        foreach (var file in folders.SelectMany(f => Directory.GetFiles(f.TheoryDirectory, "*.npy")).Order(StringComparer.Ordinal))
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

    /// <summary>Writes summary.csv: map, method, fusion, n and mean, 95% interval of every metric per map.</summary>
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

    /// <summary>Writes report.html of <paramref name="summary"/>, with the curves and tiles of <paramref name="runDirs"/>.</summary>
    public static void WriteReport(string path, EvaluationSummary summary, IReadOnlyList<string> runDirs, string title)
    {
        var curves = runDirs.SelectMany(EvaluationStore.ReadCurves).ToList();
        // ROAD's curves are sampled at its fractions, the others at the run's steps (or its curve fractions)
        var roadFractions = summary.Run.RoadFractions ?? RoadCurves.DefaultFractions;
        CurveSeries[] Mean(string kind) => curves.Where(c => c.Kind == kind).GroupBy(c => c.Map)
            .Select(g => new CurveSeries(g.Key.DisplayName, Enumerable.Range(0, g.First().Values.Length).Select(i => g.Average(c => c.Values[i])).ToArray(),
                RoadCurveKinds.Is(kind) ? roadFractions : summary.Run.CurveFractions))
            .Where(s => !RoadCurveKinds.Is(kind) || s.Values.Length == roadFractions.Count)
            .ToArray();
        var mapsByStem = new Dictionary<string, MapId>(StringComparer.Ordinal);
        foreach (var r in summary.Results) mapsByStem.TryAdd(r.Map.FileStem, r.Map);
        var images = new List<ImageEntry>();
        foreach (var dir in runDirs.Select(d => new RunFolder(d).TilesDirectory).Where(Directory.Exists))
            foreach (var imageDir in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            {
                var tiles = Directory.GetFiles(imageDir, "*.png").Order(StringComparer.Ordinal)
                    .Select(f => new ImageTile(RunFolder.TileLabel(Path.GetFileName(f), mapsByStem), File.ReadAllBytes(f))).ToList();
                string name = Path.GetFileName(imageDir);
                var first = summary.Results.FirstOrDefault(r => RunFolder.SafeName(r.Image) == name);
                string? caption = first == null ? null
                    : $"class {first.TargetClass} ({(first.TargetClass < summary.Run.ClassNames.Count ? summary.Run.ClassNames[first.TargetClass] : "?")}), p = {first.Probability:0.###}";
                images.Add(new ImageEntry(name, caption, tiles));
            }
        var info = new List<ReportInfo>
        {
            new("model", summary.Run.Model), new("dataset", summary.Run.Dataset),
            new("images", $"{summary.Images} evaluated" + (summary.Skipped > 0 ? $", {summary.Skipped} skipped (min confidence {summary.Run.MinConfidence})" : "")),
            new("threshold", summary.Run.Threshold), new("target", summary.Run.Target),
            new("perturbation", summary.Run.PerturbationSteps == 0 ? "not computed"
                : (summary.Run.CurveFractions is { Count: > 0 } f ? $"at fractions {string.Join(", ", f.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)))}" : $"{summary.Run.PerturbationSteps} steps")
                  + $", deletion ranked by the {summary.Run.DeletionRanking} map"),
            new("metrics", "IoU, F1, pixel accuracy = (TP+TN)/valid, recall = TP/|GT| (the ViTmiX script's \"pixel accuracy\"), precision; void pixels excluded; mean and 95% Student-t interval over images"),
            new("map metrics", summary.Run.Protocol is null ? "not recorded (a run of an older version)"
                : $"pointing game within {summary.Run.PointingTolerance?.ToString("0.##", CultureInfo.InvariantCulture)} px (first maximum); energy pointing game on the normalised map; relevance mass and rank accuracy, sparseness (Gini of |m|) and complexity (entropy of |m|/Σ|m|) on the map as the method returned it, upsampled; void pixels excluded"
                  + (summary.Run.Sensitivity is { } sens and not "none" ? $"; max-sensitivity over {sens}" : "")),
        };
        if (summary.Run.Protocol == "chefer")
            info.Add(new("protocol", "Chefer et al. (2021): masks at the mean; chefer_pixel_accuracy and chefer_miou pooled over the dataset (no interval), chefer_map the mean of per-image AP"));
        foreach (var w in summary.Warnings) info.Add(new ReportInfo("warning", w));
        var theoryRows = summary.Theory?.SelectMany(r => new[]
        {
            new TheoryRow(MapId.JoinMethods(r.Methods), "precision (equal priors)", r.PredictedEqualPrior, r.Measured),
            new TheoryRow(MapId.JoinMethods(r.Methods), "precision (measured prior)", r.PredictedWithPrior, r.Measured),
        }).ToList();
        ReportWriter.Write(path, new ReportData
        {
            Title = title,
            Info = info,
            Summary = summary.Rows,
            DeletionCurves = Mean("deletion"),
            InsertionCurves = Mean("insertion"),
            TokenDeletionCurves = Mean(TokenCurveKinds.Deletion),
            TokenInsertionCurves = Mean(TokenCurveKinds.Insertion),
            RoadMorfCurves = Mean(RoadCurveKinds.Morf),
            RoadLerfCurves = Mean(RoadCurveKinds.Lerf),
            CurveResolution = summary.Run.CurveFractions is { Count: > 0 } ? null : CurveResolution.Analyse(curves.Where(c => !RoadCurveKinds.Is(c.Kind)).ToList()),
            Theory = theoryRows,
            TheoryCaption = theoryRows == null ? null
                : "ViTmiX talk, equation 1: if the masks err independently given the object, the intersection of k masks has precision Πp / (Πp + Πq); predicted from each method's p and q vs measured on the intersection.",
            Images = images,
        });
    }
}
