using System.CommandLine;
using Vitmix.Data;
using Vitmix.Evaluation.Sanity;
using Vitmix.Explain;
using Tensor = Vitmix.Engine.Tensor;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix sanity INPUT...</c>: the model-randomisation sanity check (Adebayo et al. 2018) of every method, cascading
/// and independent, as sanity.csv, summary.csv, report.html and a table.
/// </summary>
public static class SanityCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "Images or .npy arrays, or folders of them (a handful is enough: every image is explained once per randomised network)",
            Arity = ArgumentArity.OneOrMore,
        };
        var methods = new Option<string>("--methods") { Description = "Methods to check: " + ExplainerCliOptions.MethodsHelp, DefaultValueFactory = _ => "all" };
        var explainerOptions = new ExplainerCliOptions();
        var order = OptionParsers.Choice("--order", "cascading (from the head down), independent (one stage at a time) or both (default)", "cascading", "independent", "both");
        var seed = OptionParsers.NonNegativeInt("--seed", "Seed of the random weights", 0, "SEED");
        var topK = OptionParsers.Number("--top-k", "k of the top-k overlap as a fraction of the map's values", 0.1, new NumberRange(0, false, 1, true), "FRACTION");
        var batchSize = OptionParsers.PositiveInt("--batch-size", "Images explained in one pass", 8);
        var outDir = new Option<string>("--out", "-o") { Description = "Output folder", DefaultValueFactory = _ => "sanity" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the results of an earlier check in the output folder" };

        var command = new Command("sanity", "Check that every method's maps depend on the model: randomise its weights stage by stage (Adebayo et al. 2018) and compare the maps");
        command.Arguments.Add(inputs);
        model.AddTo(command);
        command.Options.Add(methods);
        explainerOptions.AddTo(command);
        foreach (var o in new Option[] { order, seed, topK, batchSize, outDir, overwrite })
            command.Options.Add(o);
        command.SetAction((parse, cancel) =>
        {
            var files = InputPaths.Expand(parse.GetRequiredValue(inputs));
            string folder = parse.GetValue(outDir)!;
            if (File.Exists(Path.Combine(folder, "sanity.csv")) && !parse.GetValue(overwrite))
                throw new ArgumentException($"{folder} already holds a sanity check: --overwrite replaces it, or choose another --out");
            var loaded = model.Load(parse, Math.Clamp(files.Length, 1, parse.GetValue(batchSize)), explanation: true);
            var set = ExplainerSet.Parse(parse.GetValue(methods)!, explainerOptions.Bind(parse));
            // Every input is read before the long part starts, so a bad file fails in a second, not after an hour.
            var images = files.Select(f => (Path.GetFileName(f), InputLoader.Load(f, loaded.Preprocessing, loaded.Config.ImageHeight, loaded.Config.ImageWidth))).ToList();
            var orders = (parse.GetValue(order) ?? "both") switch
            {
                "cascading" => new[] { RandomizationOrder.Cascading },
                "independent" => [RandomizationOrder.Independent],
                _ => [RandomizationOrder.Cascading, RandomizationOrder.Independent],
            };
            var settings = new SanitySettings
            {
                Explainers = set, Orders = orders, Seed = parse.GetValue(seed), TopKFraction = parse.GetValue(topK), BatchSize = parse.GetValue(batchSize),
            };
            var stdout = ConsoleOutput.Out(parse);
            var check = new SanityCheck(loaded.Network, settings);
            stdout.WriteLine($"sanity: {loaded.Config} on {images.Count} image(s), {string.Join(", ", set.Explainers.Select(e => e.Name))}; "
                + $"{check.Stages.Count} stages × {orders.Length} order(s) -> {folder}");
            var rows = check.Run(images, line => stdout.WriteLine("  " + line), cancel);
            Directory.CreateDirectory(folder);
            using (OutputLock.Acquire(folder, "sanity", parse))
                SanityReport.Write(folder, rows, check.Stages, $"Vitmix sanity check: {loaded.Config}",
                    $"{images.Count} image(s); methods {set.Settings}; seed {settings.Seed}; top-k {settings.TopKFraction:P0} of each map; model {loaded.WeightsPath}");
            PrintTable(stdout, SanityReport.Summarize(rows), check.Stages.Count);
            stdout.WriteLine($"wrote {Path.Combine(folder, "sanity.csv")}, {Path.Combine(folder, "summary.csv")}, {Path.Combine(folder, "report.html")}");
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>Per method: ρ once the head is random and once everything is (cascading), and the independent stage that changes the map most.</summary>
    static void PrintTable(TextWriter output, IReadOnlyList<SanitySummaryRow> summary, int stages)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string F(double v) => double.IsNaN(v) ? "–" : v.ToString("F3", inv);
        output.WriteLine($"{"method",-22} {"ρ head",8} {"ρ all",8} {"SSIM all",9} {"top-k all",9}   independent: lowest ρ");
        foreach (var method in summary.Select(s => s.Method).Distinct())
        {
            var cascade = summary.Where(s => s.Method == method && s.Order == RandomizationOrder.Cascading).OrderBy(s => s.Step).ToList();
            var independent = summary.Where(s => s.Method == method && s.Order == RandomizationOrder.Independent && !double.IsNaN(s.Spearman.Mean))
                .OrderBy(s => s.Spearman.Mean).FirstOrDefault();
            string head = cascade.Count > 0 ? F(cascade[0].Spearman.Mean) : "", all = cascade.Count == stages ? F(cascade[^1].Spearman.Mean) : "";
            string ssim = cascade.Count == stages ? F(cascade[^1].Ssim.Mean) : "", top = cascade.Count == stages ? F(cascade[^1].TopK.Mean) : "";
            output.WriteLine($"{method,-22} {head,8} {all,8} {ssim,9} {top,9}   {(independent is null ? "" : $"{F(independent.Spearman.Mean)} ({independent.Stage})")}");
        }
    }
}
