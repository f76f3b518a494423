using System.Globalization;
using System.Net;
using System.Text;
using Vitmix.Evaluation.Report;
using Vitmix.IO;

namespace Vitmix.Evaluation.Sanity;

/// <summary>The mean of one metric over the images at one step, with its 95 % interval.</summary>
/// <param name="Method">The method.</param>
/// <param name="Order">Cascading or independent.</param>
/// <param name="Step">The step (1 … stages).</param>
/// <param name="Stage">The stage randomised at that step.</param>
/// <param name="Spearman">Spearman's ρ over the images (NaN maps left out).</param>
/// <param name="Ssim">SSIM over the images.</param>
/// <param name="TopK">Top-k overlap over the images.</param>
public sealed record SanitySummaryRow(string Method, RandomizationOrder Order, int Step, string Stage, MeanInterval Spearman, MeanInterval Ssim, MeanInterval TopK);

/// <summary>
/// Writes a sanity check's results: sanity.csv (one row per image, method and step), summary.csv (means with 95 %
/// intervals per method and step) and report.html (a plot per method of the three similarities over the steps, the
/// cascading order solid, the independent one dashed, and the tables). Every file is written atomically.
/// </summary>
public static class SanityReport
{
    /// <summary>The summary rows, per method in the order given, then order and step.</summary>
    public static IReadOnlyList<SanitySummaryRow> Summarize(IReadOnlyList<SanityRow> rows) =>
        rows.GroupBy(r => (r.Method, r.Order, r.Step, r.Stage))
            .Select(g => new SanitySummaryRow(g.Key.Method, g.Key.Order, g.Key.Step, g.Key.Stage,
                Mean(g.Select(r => r.Spearman)), Mean(g.Select(r => r.Ssim)), Mean(g.Select(r => r.TopK))))
            .ToList();

    static MeanInterval Mean(IEnumerable<double> values) => SummaryStatistics.MeanWithInterval(values.Where(v => !double.IsNaN(v)));

    /// <summary>Writes the three files into <paramref name="folder"/> (which must exist).</summary>
    public static void Write(string folder, IReadOnlyList<SanityRow> rows, IReadOnlyList<RandomizationStage> stages, string title, string settings)
    {
        var inv = CultureInfo.InvariantCulture;
        string F(double v) => double.IsNaN(v) ? "" : v.ToString("R", inv);
        var csv = new StringBuilder("image,method,order,step,stage,spearman,ssim,top_k\n");
        foreach (var r in rows)
            csv.Append(Csv.Escape(r.Image)).Append(',').Append(r.Method).Append(',').Append(Name(r.Order)).Append(',').Append(r.Step).Append(',')
               .Append(r.Stage).Append(',').Append(F(r.Spearman)).Append(',').Append(F(r.Ssim)).Append(',').Append(F(r.TopK)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(folder, "sanity.csv"), csv.ToString());

        var summary = Summarize(rows);
        var sum = new StringBuilder("method,order,step,stage,n,spearman,spearman_low,spearman_high,ssim,ssim_low,ssim_high,top_k,top_k_low,top_k_high\n");
        foreach (var s in summary)
        {
            sum.Append(s.Method).Append(',').Append(Name(s.Order)).Append(',').Append(s.Step).Append(',').Append(s.Stage).Append(',').Append(s.Ssim.N);
            foreach (var m in new[] { s.Spearman, s.Ssim, s.TopK }) sum.Append(',').Append(F(m.Mean)).Append(',').Append(F(m.Low)).Append(',').Append(F(m.High));
            sum.Append('\n');
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "summary.csv"), sum.ToString());
        AtomicFile.WriteAllText(Path.Combine(folder, "report.html"), Html(summary, stages, title, settings));
    }

    static string Name(RandomizationOrder order) => order.ToString().ToLowerInvariant();

    static string Html(IReadOnlyList<SanitySummaryRow> summary, IReadOnlyList<RandomizationStage> stages, string title, string settings)
    {
        var inv = CultureInfo.InvariantCulture;
        string F(double v) => double.IsNaN(v) ? "–" : v.ToString("F3", inv);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>\n")
            .Append("<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}")
            .Append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}</style></head><body>\n")
            .Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n<p>").Append(WebUtility.HtmlEncode(settings)).Append("</p>\n")
            .Append("<p>Model-parameter randomisation (Adebayo et al. 2018): the network's stages are re-initialised from the head down ")
            .Append("(cascading, solid lines) or one at a time (independent, dashed), every image explained again for the class the trained network ")
            .Append("explained, and each map compared with the trained network's map: Spearman's &#961;, SSIM and the top-k overlap of the maps' ")
            .Append("absolute values. A method whose maps stay similar while the weights become random does not explain the model. Passing is ")
            .Append("necessary, not sufficient (Binder et al., CVPR 2022): an uninformative map can change a lot too.</p>\n");
        foreach (var method in summary.Select(s => s.Method).Distinct())
        {
            var mine = summary.Where(s => s.Method == method).ToList();
            var series = new List<(string, double[], bool)>();
            foreach (var order in mine.Select(s => s.Order).Distinct())
            {
                var steps = mine.Where(s => s.Order == order).OrderBy(s => s.Step).ToList();
                string suffix = order == RandomizationOrder.Cascading ? "cascading" : "independent";
                series.Add(($"Spearman ρ, {suffix}", [1, .. steps.Select(s => s.Spearman.Mean)], order == RandomizationOrder.Independent));
                series.Add(($"SSIM, {suffix}", [1, .. steps.Select(s => s.Ssim.Mean)], order == RandomizationOrder.Independent));
                series.Add(($"top-k overlap, {suffix}", [1, .. steps.Select(s => s.TopK.Mean)], order == RandomizationOrder.Independent));
            }
            var png = ReportPlots.RandomizationSteps(method, stages.Select(s => s.Name).ToList(), series);
            html.Append("<h2>").Append(WebUtility.HtmlEncode(method)).Append("</h2>\n<img alt=\"").Append(WebUtility.HtmlEncode(method))
                .Append(" sanity plot\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\">\n")
                .Append("<table><tr><th>order</th><th>step</th><th>stage</th><th>n</th><th>Spearman &#961;</th><th>SSIM</th><th>top-k</th></tr>\n");
            foreach (var s in mine.OrderBy(s => s.Order).ThenBy(s => s.Step))
                html.Append("<tr><td>").Append(Name(s.Order)).Append("</td><td>").Append(s.Step).Append("</td><td>").Append(WebUtility.HtmlEncode(s.Stage))
                    .Append("</td><td>").Append(s.Ssim.N).Append("</td><td>").Append(F(s.Spearman.Mean)).Append("</td><td>").Append(F(s.Ssim.Mean))
                    .Append("</td><td>").Append(F(s.TopK.Mean)).Append("</td></tr>\n");
            html.Append("</table>\n");
        }
        return html.Append("</body></html>\n").ToString();
    }
}
