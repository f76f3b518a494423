using System.Globalization;
using Spectre.Console;
using Vitmix.Evaluation;
using Vitmix.Evaluation.Report;
using Vitmix.Fusion;

namespace Vitmix.Cli;

/// <summary>The paper-style table of an evaluation: one row per map, mean ± 95% interval per metric, best per column in bold.</summary>
static class EvaluationConsole
{
    /// <summary>The printed headers of <see cref="ReportMetrics"/>' columns, short enough for a terminal.</summary>
    static readonly Dictionary<string, string> Headers = new()
    {
        [ReportMetrics.IoU] = "IoU", [ReportMetrics.F1] = "F1", [ReportMetrics.PixelAccuracy] = "pixel acc.",
        [ReportMetrics.Recall] = "recall", [ReportMetrics.Precision] = "precision",
        [ReportMetrics.DeletionAuc] = "deletion AUC ↓", [ReportMetrics.InsertionAuc] = "insertion AUC",
        [ReportMetrics.TokenDeletionAuc] = "token deletion AUC ↓", [ReportMetrics.TokenInsertionAuc] = "token insertion AUC",
        [ReportMetrics.RoadMorf] = "ROAD MoRF ↓", [ReportMetrics.RoadLerf] = "ROAD LeRF", [ReportMetrics.RoadGap] = "ROAD gap",
        [ReportMetrics.PointingGame] = "pointing game", [ReportMetrics.EnergyPointingGame] = "energy PG",
        [ReportMetrics.RelevanceMassAccuracy] = "mass acc.", [ReportMetrics.RelevanceRankAccuracy] = "rank acc.",
        [ReportMetrics.Sparseness] = "sparseness", [ReportMetrics.Complexity] = "complexity ↓", [ReportMetrics.MaxSensitivity] = "max-sens. ↓",
        [ReportMetrics.CheferPixelAccuracy] = "pixel acc. (pooled)", [ReportMetrics.CheferMeanIou] = "mIoU (pooled)",
        [ReportMetrics.CheferMeanAveragePrecision] = "mAP",
    };

    /// <summary>One table per group of <see cref="ReportMetrics.Groups"/> (all of them side by side would not fit a terminal); columns without a value are left out.</summary>
    public static void PrintTable(IAnsiConsole console, EvaluationSummary summary, string title)
    {
        foreach (var (group, columns) in ReportMetrics.Groups)
        {
            var present = columns.Where(c => summary.Rows.Any(r => r.Metrics.TryGetValue(c.Name, out var m) && !double.IsNaN(m.Mean))).ToList();
            if (present.Count == 0) continue;
            var table = new Table { Title = new TableTitle(Markup.Escape($"{title}: {group}")) }.AddColumn("map").AddColumn(new TableColumn("n").RightAligned());
            foreach (var c in present) table.AddColumn(new TableColumn(Headers.GetValueOrDefault(c.Name, c.Name)).RightAligned());
            var best = present.ToDictionary(c => c.Name, c =>
            {
                var values = summary.Rows.Select(r => r.Metrics[c.Name].Mean).Where(v => !double.IsNaN(v)).ToList();
                return values.Count == 0 ? double.NaN : c.HigherIsBetter ? values.Max() : values.Min();
            });
            foreach (var row in summary.Rows)
            {
                var cells = new List<string> { Markup.Escape(row.Map), row.N.ToString(CultureInfo.InvariantCulture) };
                foreach (var c in present)
                {
                    var m = row.Metrics[c.Name];
                    string text = double.IsNaN(m.Mean) ? "–" : double.IsNaN(m.HalfWidth)
                        ? m.Mean.ToString("0.000", CultureInfo.InvariantCulture)
                        : $"{m.Mean.ToString("0.000", CultureInfo.InvariantCulture)} ± {m.HalfWidth.ToString("0.000", CultureInfo.InvariantCulture)}";
                    cells.Add(m.Mean == best[c.Name] ? $"[bold green]{text}[/]" : text);
                }
                table.AddRow(cells.ToArray());
            }
            console.Write(table);
        }
        foreach (var w in summary.Warnings) console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w)}");
    }

    /// <summary>"best single map: X (IoU …); best fusion: Y (IoU …)", by mean IoU.</summary>
    public static string Verdict(EvaluationSummary summary)
    {
        var singles = summary.Rows.Where(r => r.Fusion == FusionRules.Single).OrderByDescending(r => r.Metrics[ReportMetrics.IoU].Mean).ToList();
        var fused = summary.Rows.Where(r => r.Fusion != FusionRules.Single).OrderByDescending(r => r.Metrics[ReportMetrics.IoU].Mean).ToList();
        string F(SummaryRow r) => $"{r.Map} (mean IoU {r.Metrics[ReportMetrics.IoU].Mean.ToString("0.000", CultureInfo.InvariantCulture)})";
        var parts = new List<string>();
        if (singles.Count > 0) parts.Add($"best single map: {F(singles[0])}");
        if (fused.Count > 0)
        {
            parts.Add($"best fusion: {F(fused[0])}");
            if (singles.Count > 0)
                parts.Add(fused[0].Metrics[ReportMetrics.IoU].Mean > singles[0].Metrics[ReportMetrics.IoU].Mean
                    ? "the best fusion beats every single map" : "no fusion beats the best single map");
        }
        return string.Join("; ", parts);
    }

    /// <summary>Writes summary.csv and report.html of <paramref name="summary"/> into <paramref name="outDir"/> and prints the table.</summary>
    public static EvaluationSummary Finish(EvaluationSummary summary, IReadOnlyList<string> runDirs, string outDir, string title, IAnsiConsole console, TextWriter output)
    {
        var folder = new RunFolder(outDir);
        Directory.CreateDirectory(outDir);
        EvaluationReport.WriteSummaryCsv(folder.SummaryPath, summary);
        EvaluationReport.WriteReport(folder.ReportPath, summary, runDirs, title);
        PrintTable(console, summary, title);
        output.WriteLine(Verdict(summary));
        output.WriteLine($"wrote {folder.ResultsPath}, {folder.SummaryPath}, {folder.ReportPath}");
        return summary;
    }
}
