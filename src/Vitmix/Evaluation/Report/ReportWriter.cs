using Vitmix.IO;
using System.Globalization;
using System.Net;
using System.Text;
using Vitmix.Data;

namespace Vitmix.Evaluation.Report;

/// <summary>
/// Writes one self-contained report.html: inline CSS, images as base64 <c>data:</c> URIs, no scripts, no external
/// resources, so the file can be mailed or archived alone. The markup is well-formed XML (every element closed,
/// attributes quoted, numeric entities only) so tools can parse it.
/// </summary>
public static class ReportWriter
{
    const string Css = """
        body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#222;max-width:1400px}
        h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}h3{font-size:1em;margin:1.2em 0 .4em}
        table{border-collapse:collapse;font-size:.9em}
        th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;white-space:nowrap}
        th{background:#f3f3f3}td.name,th.name{text-align:left}
        td.best{font-weight:bold;background:#e6f4e6}
        .ci{color:#777;font-size:.85em}
        dl.info{display:grid;grid-template-columns:max-content auto;gap:2px 16px}
        dl.info dt{font-weight:bold}dl.info dd{margin:0}
        .plots img{margin:4px;border:1px solid #ddd}
        .grid td{vertical-align:top;text-align:center;padding:4px}
        .grid img{width:128px;height:auto;image-rendering:pixelated}
        .tile-label{font-size:.75em;color:#555}
        """;

    /// <summary>Renders <paramref name="data"/> and writes it atomically to <paramref name="path"/>.</summary>
    public static void Write(string path, ReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(path, Render(data));
    }

    /// <summary>The report's HTML text.</summary>
    public static string Render(ReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var maps = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in data.Summary)
            if (!maps.Add(row.Map)) throw new ArgumentException($"Summary row for map '{row.Map}' appears twice; map names must be unique.", nameof(data));

        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n");
        h.Append("<title>").Append(E(data.Title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
        h.Append("<h1>").Append(E(data.Title)).Append("</h1>\n");
        if (data.Info.Count > 0)
        {
            h.Append("<dl class=\"info\">\n");
            foreach (var info in data.Info) h.Append("<dt>").Append(E(info.Key)).Append("</dt><dd>").Append(E(info.Value)).Append("</dd>\n");
            h.Append("</dl>\n");
        }
        AppendSummary(h, data.Summary);
        AppendPlots(h, data);
        if (data.CurveResolution is { Count: > 0 }) AppendCurveResolution(h, data.CurveResolution);
        if (data.Theory is { Count: > 0 }) AppendTheory(h, data.Theory, data.TheoryCaption);
        if (data.Images.Count > 0) AppendGrid(h, data.Images);
        h.Append("</body>\n</html>\n");
        return h.ToString();
    }

    static void AppendSummary(StringBuilder h, IReadOnlyList<SummaryRow> rows)
    {
        h.Append("<h2>Summary</h2>\n<p>Mean over images with the 95% Student-t confidence interval in brackets; ");
        h.Append("the best value of each column is bold (lowest for deletion_auc, complexity and max_sensitivity, highest otherwise). ");
        h.Append("A group of metrics the run did not compute is left out.</p>\n");
        foreach (var (title, columns) in ReportMetrics.Groups)
        {
            if (!rows.Any(r => columns.Any(c => r.Metrics.TryGetValue(c.Name, out var m) && !double.IsNaN(m.Mean)))) continue;
            AppendSummaryTable(h, rows, title, columns);
        }
    }

    static void AppendSummaryTable(StringBuilder h, IReadOnlyList<SummaryRow> rows, string title, IReadOnlyList<(string Name, bool HigherIsBetter)> columns)
    {
        // Best per column: highest mean (lowest where lower is better); ties all marked.
        var best = new double[columns.Count];
        for (int c = 0; c < columns.Count; c++)
        {
            var means = rows.Select(r => r.Metrics.TryGetValue(columns[c].Name, out var m) ? m.Mean : double.NaN)
                .Where(double.IsFinite).ToList();
            best[c] = means.Count == 0 ? double.NaN : columns[c].HigherIsBetter ? means.Max() : means.Min();
        }
        h.Append("<h3>").Append(E(title)).Append("</h3>\n");
        h.Append("<table class=\"summary\">\n<thead><tr><th class=\"name\">map</th><th class=\"name\">method</th><th class=\"name\">fusion</th><th>n</th>");
        foreach (var (name, _) in columns) h.Append("<th>").Append(E(name)).Append("</th>");
        h.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            h.Append("<tr><td class=\"name\">").Append(E(row.Map)).Append("</td><td class=\"name\">").Append(E(row.Method))
             .Append("</td><td class=\"name\">").Append(E(row.Fusion)).Append("</td><td>").Append(row.N.ToString(CultureInfo.InvariantCulture)).Append("</td>");
            for (int c = 0; c < columns.Count; c++)
            {
                if (!row.Metrics.TryGetValue(columns[c].Name, out var m) || double.IsNaN(m.Mean))
                {
                    h.Append("<td>&#8211;</td>");
                    continue;
                }
                bool isBest = m.Mean == best[c];
                h.Append(isBest ? "<td class=\"best\"><strong>" : "<td>").Append(F(m.Mean));
                if (!double.IsNaN(m.Low))
                    h.Append(" <span class=\"ci\">[").Append(F(m.Low)).Append(", ").Append(F(m.High)).Append("]</span>");
                h.Append(isBest ? "</strong></td>" : "</td>");
            }
            h.Append("</tr>\n");
        }
        h.Append("</tbody>\n</table>\n");
    }

    static void AppendPlots(StringBuilder h, ReportData data)
    {
        var plots = new List<(string Alt, byte[] Png)>();
        if (data.Summary.Any(r => r.Metrics.ContainsKey(ReportMetrics.IoU)))
            plots.Add(("Mean IoU by map", ReportPlots.MeanBars(data.Summary, ReportMetrics.IoU, "Mean IoU by map")));
        // The map metrics as IoU is: one bar per map with its interval, for each metric the run computed.
        foreach (var (metric, title) in MapMetricPlots)
            if (data.Summary.Any(r => r.Metrics.TryGetValue(metric, out var m) && !double.IsNaN(m.Mean)))
                plots.Add((title, ReportPlots.MeanBars(data.Summary, metric, title)));
        if (data.DeletionCurves.Count > 0)
            plots.Add(("Deletion curves", ReportPlots.Curves(data.DeletionCurves, "Deletion (lower is better)", "fraction of pixels removed")));
        if (data.InsertionCurves.Count > 0)
            plots.Add(("Insertion curves", ReportPlots.Curves(data.InsertionCurves, "Insertion (higher is better)", "fraction of pixels inserted", legendAtBottom: true)));
        if (data.TokenDeletionCurves.Count > 0)
            plots.Add(("Token deletion curves", ReportPlots.Curves(data.TokenDeletionCurves, "Token deletion (lower is better)", "fraction of patches dropped from the sequence")));
        if (data.TokenInsertionCurves.Count > 0)
            plots.Add(("Token insertion curves", ReportPlots.Curves(data.TokenInsertionCurves, "Token insertion (higher is better)", "fraction of patches in the sequence", legendAtBottom: true)));
        if (data.RoadMorfCurves.Count > 0)
            plots.Add(("ROAD MoRF curves", ReportPlots.Curves(data.RoadMorfCurves, "ROAD MoRF (lower is better)", "fraction of pixels imputed, most relevant first")));
        if (data.RoadLerfCurves.Count > 0)
            plots.Add(("ROAD LeRF curves", ReportPlots.Curves(data.RoadLerfCurves, "ROAD LeRF (higher is better)", "fraction of pixels imputed, least relevant first", legendAtBottom: true)));
        if (plots.Count == 0) return;
        h.Append("<h2>Plots</h2>\n<div class=\"plots\">\n");
        foreach (var (alt, png) in plots) AppendImage(h, png, alt, cssClass: "plot");
        h.Append("</div>\n");
    }

    static readonly (string Metric, string Title)[] MapMetricPlots =
    [
        (ReportMetrics.PointingGame, "Pointing game accuracy by map"),
        (ReportMetrics.EnergyPointingGame, "Energy-based pointing game by map"),
        (ReportMetrics.RelevanceMassAccuracy, "Relevance mass accuracy by map"),
        (ReportMetrics.RelevanceRankAccuracy, "Relevance rank accuracy by map"),
        (ReportMetrics.Sparseness, "Sparseness (Gini) by map"),
        (ReportMetrics.Complexity, "Complexity (entropy, lower is simpler) by map"),
        (ReportMetrics.MaxSensitivity, "Max-sensitivity (lower is more robust) by map"),
        (ReportMetrics.TokenDeletionAuc, "Token deletion AUC (lower is better) by map"),
        (ReportMetrics.TokenInsertionAuc, "Token insertion AUC (higher is better) by map"),
        (ReportMetrics.RoadMorf, "ROAD MoRF (lower is better) by map"),
        (ReportMetrics.RoadLerf, "ROAD LeRF (higher is better) by map"),
        (ReportMetrics.RoadGap, "ROAD LeRF − MoRF (higher is better) by map"),
        (ReportMetrics.CheferMeanIou, "Chefer protocol: mIoU by map (pooled)"),
        (ReportMetrics.CheferMeanAveragePrecision, "Chefer protocol: mAP by map"),
    ];

    static void AppendCurveResolution(StringBuilder h, IReadOnlyList<CurveResolutionRow> rows)
    {
        h.Append("<h2>AUC and the number of curve steps</h2>\n<p>The run's curves read at every k-th point, as a curve of fewer steps would ")
         .Append("sample them (ROAD uses 10): how far each image's AUC moves from the full curve's, and whether the maps keep their order ")
         .Append("(Spearman's &#961; of the maps' mean AUCs, 1 = same ranking).</p>\n");
        h.Append("<table class=\"theory\">\n<thead><tr><th class=\"name\">curve</th><th>steps</th><th>mean |&#916;AUC|</th><th>max |&#916;AUC|</th><th>rank correlation</th></tr></thead>\n<tbody>\n");
        foreach (var r in rows)
            h.Append("<tr><td class=\"name\">").Append(E(r.Kind)).Append("</td><td>").Append(r.Steps.ToString(CultureInfo.InvariantCulture))
             .Append("</td><td>").Append(F(r.MeanAbsoluteDifference)).Append("</td><td>").Append(F(r.MaxAbsoluteDifference))
             .Append("</td><td>").Append(F(r.RankCorrelation)).Append("</td></tr>\n");
        h.Append("</tbody>\n</table>\n");
    }

    static void AppendTheory(StringBuilder h, IReadOnlyList<TheoryRow> rows, string? caption)
    {
        h.Append("<h2>Theory vs measurement</h2>\n");
        if (!string.IsNullOrEmpty(caption)) h.Append("<p>").Append(E(caption)).Append("</p>\n");
        h.Append("<table class=\"theory\">\n<thead><tr><th class=\"name\">map</th><th class=\"name\">quantity</th><th>predicted</th><th>measured</th><th>measured &#8722; predicted</th></tr></thead>\n<tbody>\n");
        foreach (var r in rows)
            h.Append("<tr><td class=\"name\">").Append(E(r.Map)).Append("</td><td class=\"name\">").Append(E(r.Quantity))
             .Append("</td><td>").Append(F(r.Predicted)).Append("</td><td>").Append(F(r.Measured))
             .Append("</td><td>").Append(F(r.Measured - r.Predicted)).Append("</td></tr>\n");
        h.Append("</tbody>\n</table>\n");
    }

    static void AppendGrid(StringBuilder h, IReadOnlyList<ImageEntry> images)
    {
        h.Append("<h2>Images</h2>\n<table class=\"grid\">\n<tbody>\n");
        foreach (var entry in images)
        {
            h.Append("<tr><td class=\"name\"><strong>").Append(E(entry.Name)).Append("</strong>");
            if (!string.IsNullOrEmpty(entry.Caption)) h.Append("<br />").Append(E(entry.Caption));
            h.Append("</td>");
            foreach (var tile in entry.Tiles)
            {
                h.Append("<td>");
                AppendImage(h, tile.Png, $"{entry.Name}: {tile.Label}", cssClass: "tile");
                h.Append("<br /><span class=\"tile-label\">").Append(E(tile.Label)).Append("</span></td>");
            }
            h.Append("</tr>\n");
        }
        h.Append("</tbody>\n</table>\n");
    }

    static void AppendImage(StringBuilder h, byte[] png, string alt, string cssClass)
    {
        if (png.Length < 8 || png[0] != 0x89 || png[1] != (byte)'P' || png[2] != (byte)'N' || png[3] != (byte)'G')
            throw new ArgumentException($"Image '{alt}' is not PNG data (expected the PNG signature).");
        h.Append("<img class=\"").Append(cssClass).Append("\" alt=\"").Append(E(alt)).Append("\" src=\"data:image/png;base64,")
         .Append(Convert.ToBase64String(png)).Append("\" />");
    }

    static string F(double v) => double.IsNaN(v) ? "&#8211;" : v.ToString("0.000", CultureInfo.InvariantCulture);

    static string E(string s) => WebUtility.HtmlEncode(s);
}
