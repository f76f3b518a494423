using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Vitmix.Evaluation.Report;
using Vitmix.IO;

namespace Vitmix.Evaluation.FusionFitting;

/// <summary>
/// Writes what <see cref="FusionFitter"/> found: fusion.spec (the learned spec, for <c>--combos @FILE</c>), fit.json
/// (every number), candidates.csv (each weighting's training score), heldout.csv (per held-out image) and report.html
/// (the comparison with its intervals and a chart). Every file is written atomically.
/// </summary>
public static class FusionFitReport
{
    static string Name(FitObjective o) => o.ToString().ToLowerInvariant();

    /// <summary>Writes the files into <paramref name="folder"/> (which must exist).</summary>
    public static void Write(string folder, FusionFitResult r, FusionFitSettings settings, string model, string dataset)
    {
        var inv = CultureInfo.InvariantCulture;
        AtomicFile.WriteAllText(Path.Combine(folder, "fusion.spec"),
            $"# learned by vitmix fit-fusion: objective {Name(r.Objective)}, {r.TrainImages} training images of {dataset}, seed {settings.SplitSeed}\n"
            + $"# threshold {r.Learned.Threshold.Name}; held-out {Name(r.Objective)} {r.Learned.Test.Mean.ToString("0.0000", inv)} against the best fixed fusion's {r.BestFixed.Test.Mean.ToString("0.0000", inv)}\n"
            + r.Learned.SpecText + "\n");
        var candidates = new StringBuilder("spec,train_score\n");
        foreach (var (spec, score) in r.Candidates) candidates.Append('"').Append(spec).Append("\",").Append(score.ToString("R", inv)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(folder, "candidates.csv"), candidates.ToString());
        var heldout = new StringBuilder("image,learned,best_fixed,best_single\n");
        for (int i = 0; i < r.TestImages; i++)
            heldout.Append(Csv.Escape(r.HeldOut[i])).Append(',').Append(r.Learned.TestScores[i].ToString("R", inv)).Append(',').Append(r.BestFixed.TestScores[i].ToString("R", inv))
                .Append(',').Append(r.BestSingle.TestScores[i].ToString("R", inv)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(folder, "heldout.csv"), heldout.ToString());
        object Map(FittedMap m) => new
        {
            spec = m.SpecText, threshold = m.Threshold.Name, train = m.TrainScore,
            heldout = new { mean = m.Test.Mean, low = m.Test.Low, high = m.Test.High, n = m.Test.N },
        };
        var json = new
        {
            objective = Name(r.Objective), model, dataset, train_images = r.TrainImages, heldout_images = r.TestImages,
            split_seed = settings.SplitSeed, weight_step = settings.WeightStep,
            learned = Map(r.Learned), best_fixed = Map(r.BestFixed), best_single = Map(r.BestSingle),
            learned_minus_fixed = new { mean = r.LearnedMinusFixed.Mean, low = r.LearnedMinusFixed.Low, high = r.LearnedMinusFixed.High },
            learned_minus_single = new { mean = r.LearnedMinusSingle.Mean, low = r.LearnedMinusSingle.Low, high = r.LearnedMinusSingle.High },
            verdict = r.Verdict,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, "fit.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        AtomicFile.WriteAllText(Path.Combine(folder, "report.html"), Html(r, dataset));
    }

    static string Html(FusionFitResult r, string dataset)
    {
        var inv = CultureInfo.InvariantCulture;
        string F(double v) => double.IsNaN(v) ? "–" : v.ToString("0.000", inv);
        string metric = r.Objective == FitObjective.Deletion ? "deletion AUC (lower is better)" : $"mean {Name(r.Objective)}";
        var maps = new[] { ("learned fusion", r.Learned), ("best fixed fusion", r.BestFixed), ("best single map", r.BestSingle) };
        var rows = maps.Select(m => new SummaryRow(m.Item2.SpecText, m.Item1, "", m.Item2.Test.N,
            new Dictionary<string, MeanInterval> { [Name(r.Objective)] = m.Item2.Test })).ToList();
        var png = ReportPlots.MeanBars(rows, Name(r.Objective), $"held-out {metric}");
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Vitmix fit-fusion</title>\n")
         .Append("<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}")
         .Append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,td:nth-child(2){text-align:left}</style></head><body>\n")
         .Append("<h1>Fusion learned on ").Append(WebUtility.HtmlEncode(dataset)).Append("</h1>\n<p>")
         .Append(r.TrainImages).Append(" training and ").Append(r.TestImages).Append(" held-out images; ").Append(WebUtility.HtmlEncode(metric))
         .Append(". Each map was chosen on the training images; the held-out images judge them (mean with its 95 % interval).</p>\n")
         .Append("<table><tr><th>map</th><th>spec</th><th>threshold</th><th>train</th><th>held-out</th><th>95 % interval</th></tr>\n");
        foreach (var (label, m) in maps)
            h.Append("<tr><td>").Append(label).Append("</td><td>").Append(WebUtility.HtmlEncode(m.SpecText)).Append("</td><td>").Append(WebUtility.HtmlEncode(m.Threshold.Name))
             .Append("</td><td>").Append(F(m.TrainScore)).Append("</td><td>").Append(F(m.Test.Mean)).Append("</td><td>").Append(F(m.Test.Low)).Append(" to ").Append(F(m.Test.High)).Append("</td></tr>\n");
        h.Append("</table>\n<p><b>").Append(WebUtility.HtmlEncode(r.Verdict)).Append("</b> Against the best single map: ")
         .Append(F(r.LearnedMinusSingle.Mean)).Append(" (").Append(F(r.LearnedMinusSingle.Low)).Append(" to ").Append(F(r.LearnedMinusSingle.High)).Append(").</p>\n")
         .Append("<img alt=\"held-out comparison\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\">\n</body></html>\n");
        return h.ToString();
    }
}
