using System.CommandLine;
using System.Globalization;
using Vitmix.Data.Datasets;
using Vitmix.Evaluation;
using Vitmix.Evaluation.FusionFitting;
using Vitmix.Explain;
using Vitmix.Fusion.Thresholds;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix fit-fusion --dataset SPEC</c>: learns the weights of a weighted geometric mean of the methods' maps on one
/// split, judges them on the other beside the best fixed fusion and the best single map, and writes a fusion spec file
/// for <c>--combos @FILE</c>.
/// </summary>
public static class FitFusionCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var dataset = new Option<string>("--dataset") { Description = "voc:DIR, ph2:DIR, imagenet-seg:FILE, folder:DIR or synth:COUNT[:SEED[:SIZE]]", Required = true };
        var methods = new Option<string>("--methods") { Description = "Grid methods to fuse: " + ExplainerCliOptions.MethodsHelp, DefaultValueFactory = _ => string.Join(",", ExplainerRegistry.ViTmiXMethods) };
        var explainerOptions = new ExplainerCliOptions();
        var objective = OptionParsers.Choice("--objective", "What the weights maximise on the training split: iou (default), f1, or deletion (minimises the deletion AUC; a curve per weighting and image)", "iou", "f1", "deletion");
        var step = OptionParsers.Number("--weight-step", "Grid step of the weights (each a multiple of it, summing to 1)", 0.1, new NumberRange(0, false, 1, true), "STEP");
        var trainFraction = OptionParsers.Number("--train-fraction", "Share of the images the weights are learned on; the rest judge them", 0.5, new NumberRange(0, false, 1, false), "FRACTION");
        var splitSeed = OptionParsers.NonNegativeInt("--split-seed", "Seed of the random train/held-out split", 0, "SEED");
        var threshold = new Option<string>("--threshold") { Description = "Mask threshold: otsu, mean, top:P, fixed:V", DefaultValueFactory = _ => "otsu" };
        var learnThreshold = new Option<bool>("--learn-threshold") { Description = "Also choose the learned fusion's threshold rule on the training split (iou and f1)" };
        var steps = OptionParsers.PositiveInt("--deletion-steps", "Steps of the deletion curves of --objective deletion", 20, "STEPS");
        var fusion = new Option<string>("--fusion") { Description = "Rules of the fixed fusions compared with the learned one", DefaultValueFactory = _ => "gmean,product" };
        var first = OptionParsers.PositiveInt("--first", "Use only the first N images");
        var classes = new Option<string?>("--classes") { Description = "Only images of these dataset classes (comma-separated indices or names)" };
        var split = new Option<string>("--split") { Description = "VOC split file", DefaultValueFactory = _ => "val" };
        var outDir = new Option<string>("--out", "-o") { Description = "Output folder", DefaultValueFactory = _ => "fusion-fit" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the results of an earlier fit in the output folder" };

        var command = new Command("fit-fusion", "Learn fusion weights on one split of a dataset, judge them on the other, and write a fusion spec for --combos @FILE");
        model.AddTo(command);
        foreach (var o in new Option[] { dataset, methods })
            command.Options.Add(o);
        explainerOptions.AddTo(command);
        foreach (var o in new Option[] { objective, step, trainFraction, splitSeed, threshold, learnThreshold, steps, fusion, first, classes, split, outDir, overwrite })
            command.Options.Add(o);
        command.SetAction((parse, cancel) =>
        {
            string folder = parse.GetValue(outDir)!;
            if (File.Exists(Path.Combine(folder, "fusion.spec")) && !parse.GetValue(overwrite))
                throw new ArgumentException($"{folder} already holds a fit: --overwrite replaces it, or choose another --out");
            var loaded = model.Load(parse, 1, explanation: true);
            var set = ExplainerSet.Parse(parse.GetValue(methods)!, explainerOptions.Bind(parse));
            if (set.GridMethods.Count < 2) throw new ArgumentException("--methods: a fusion needs at least two methods with grid maps");
            var classList = parse.GetValue(classes)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var data = DatasetSpec.Open(parse.GetValue(dataset)!, new DatasetOptions(parse.GetValue(first), classList, parse.GetValue(split)!, loaded.ClassNames));
            EvaluationRunner.RequireMasks(data, parse.GetValue(dataset));
            var settings = new FusionFitSettings
            {
                Explainers = set,
                Objective = (parse.GetValue(objective) ?? "iou") switch { "f1" => FitObjective.F1, "deletion" => FitObjective.Deletion, _ => FitObjective.Iou },
                WeightStep = parse.GetValue(step), TrainFraction = parse.GetValue(trainFraction), SplitSeed = parse.GetValue(splitSeed),
                Threshold = MaskThresholds.Parse(parse.GetValue(threshold)!), LearnThreshold = parse.GetValue(learnThreshold),
                DeletionSteps = parse.GetValue(steps), FixedFusions = Vitmix.Fusion.FusionSpecParser.ParseFusions(parse.GetValue(fusion)!),
            };
            var fitter = new FusionFitter(loaded.Network, loaded.Preprocessing, settings);
            int candidates = fitter.Candidates().Count;   // refuses an impossible grid before any image is explained
            var stdout = ConsoleOutput.Out(parse);
            stdout.WriteLine($"fit-fusion: {loaded.Config} on {data.Name}; {string.Join(", ", set.GridMethods)}; {candidates} weightings, objective {Name(settings.Objective)}");
            var samples = fitter.Prepare(data, null, cancel);
            var result = fitter.Fit(samples, line => stdout.WriteLine("  " + line), cancel);
            Directory.CreateDirectory(folder);
            using (OutputLock.Acquire(folder, "fit-fusion", parse))
                FusionFitReport.Write(folder, result, settings, loaded.WeightsPath, data.Name);
            Print(stdout, result);
            stdout.WriteLine($"wrote {Path.Combine(folder, "fusion.spec")} (use: vitmix evaluate --methods {string.Join(",", set.GridMethods)} --combos @{Path.Combine(folder, "fusion.spec")}"
                + (result.Learned.Threshold.Name != settings.Threshold.Name || settings.Threshold.Name != "otsu" ? $" --threshold {result.Learned.Threshold.Name}" : "") + "), fit.json, candidates.csv, heldout.csv, report.html");
            return Task.FromResult(0);
        });
        return command;
    }

    static string Name(FitObjective o) => o.ToString().ToLowerInvariant();

    static void Print(TextWriter output, FusionFitResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        string metric = r.Objective == FitObjective.Deletion ? "deletion AUC (lower is better)" : $"mean {Name(r.Objective)}";
        output.WriteLine($"{r.TrainImages} training and {r.TestImages} held-out images; {metric}:");
        output.WriteLine($"  {"",-16} {"map",-52} {"train",7} {"held-out (95 % interval)",28}");
        foreach (var (label, m) in new[] { ("learned fusion", r.Learned), ("best fixed", r.BestFixed), ("best single map", r.BestSingle) })
        {
            string map = m.SpecText + (label == "learned fusion" ? $" [{m.Threshold.Name}]" : "");
            output.WriteLine($"  {label,-16} {map,-52} {m.TrainScore.ToString("0.000", inv),7} {$"{m.Test.Mean.ToString("0.000", inv)} ({m.Test.Low.ToString("0.000", inv)} to {m.Test.High.ToString("0.000", inv)})",28}");
        }
        output.WriteLine(r.Verdict);
    }
}
