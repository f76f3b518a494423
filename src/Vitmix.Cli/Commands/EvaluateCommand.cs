using System.CommandLine;
using Spectre.Console;
using Vitmix.Data.Datasets;
using Vitmix.Evaluation;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;
using Vitmix.Model;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix evaluate --model PATH --dataset SPEC</c>: every map and combination as a segmentation of every image
/// (IoU, F1, pixel accuracy, recall, precision, deletion and insertion AUC), appended image by image to
/// OUT/results.csv, summarised in OUT/summary.csv, a printed table and OUT/report.html.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var dataset = new Option<string>("--dataset") { Description = "voc:DIR, ph2:DIR, imagenet-seg:FILE, folder:DIR or synth:COUNT[:SEED[:SIZE]]", Required = true };
        var methods = new Option<string>("--methods") { Description = "Grid methods to evaluate and combine: " + ExplainerCliOptions.MethodsHelp, DefaultValueFactory = _ => ExplainerRegistry.GridMethodsOfAll };
        var explainerOptions = new ExplainerCliOptions();
        var combos = new Option<string?>("--combos") { Description = "Combination sizes (1,2,3: every k-way combination), specs (lrp+rollout,gmean(lrp,saliency)) or @FILE; default: every combination of 2 up to all the methods" };
        var fusion = new Option<string>("--fusion") { Description = "Fusion rules: gmean, product, sqrt (the paper's), wgmean, mean, hmean, min, rankmean", DefaultValueFactory = _ => "gmean,product" };
        var threshold = new Option<string>("--threshold") { Description = "Mask threshold: otsu, mean (Chefer's protocol), top:P, fixed:V", DefaultValueFactory = _ => "otsu" };
        var steps = OptionParsers.NonNegativeInt("--deletion-steps", "Steps of the deletion and insertion curves (0 = skip them)", 100, "STEPS");
        var ranking = OptionParsers.Choice("--deletion-ranking", "continuous = rank by the normalised map (RISE; default); mask = the ViTmiX script's ranking by the binary mask", "continuous", "mask");
        var noInsertion = new Option<bool>("--no-insertion") { Description = "Skip insertion curves" };
        var minConfidence = OptionParsers.Number("--min-confidence", "Skip images whose top-1 probability is lower (ViTmiX's VOC rule: 0.85)", 0, NumberRange.Probability, "P");
        var first = OptionParsers.PositiveInt("--first", "Evaluate only the first N images");
        var classes = new Option<string?>("--classes") { Description = "Only images of these dataset classes (comma-separated indices or names)" };
        var split = new Option<string>("--split") { Description = "VOC split file", DefaultValueFactory = _ => "val" };
        var target = OptionParsers.Choice("--target", "Class explained: predicted (default) or the dataset's label", "predicted", "label");
        var outDir = new Option<string>("--out", "-o") { Description = "Output folder", DefaultValueFactory = _ => "evaluation" };
        var shard = new Option<string?>("--shard") { Description = "i/N: evaluate every N-th image starting at i into OUT/shard-i-of-N (combine with vitmix merge)" };
        var existing = new ExistingRunOptions("evaluation run");
        var theory = new Option<bool>("--theory") { Description = "Check the precision-gain hypothesis: predicted vs measured precision of every combination" };
        var reportImages = OptionParsers.NonNegativeInt("--report-images", "Images shown with their maps and masks in report.html", 24);

        var command = new Command("evaluate", "Evaluate explanation maps and their fusions as segmentations on a dataset (ViTmiX tables)");
        model.AddTo(command);
        foreach (var o in new Option[] { dataset, methods, combos, fusion, threshold, steps, ranking, noInsertion, minConfidence, first, classes, split, target, outDir, shard, theory, reportImages })
            command.Options.Add(o);
        existing.AddTo(command);
        explainerOptions.AddTo(command);
        command.SetAction((parse, cancel) =>
        {
            // Everything that can be wrong with the request is checked before the output folder is touched.
            var loaded = model.Load(parse);
            var classList = parse.GetValue(classes)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var data = DatasetSpec.Open(parse.GetValue(dataset)!, new DatasetOptions(parse.GetValue(first), classList, parse.GetValue(split)!, loaded.ClassNames));
            EvaluationRunner.RequireMasks(data, parse.GetValue(dataset));
            var settings = Settings(parse.GetValue(methods)!, parse.GetValue(combos), parse.GetValue(fusion)!, parse.GetValue(threshold)!,
                parse.GetValue(steps), explainerOptions.Bind(parse)) with
            {
                DeletionRanking = parse.GetValue(ranking) == "mask" ? DeletionRanking.Mask : DeletionRanking.Continuous,
                Insertion = !parse.GetValue(noInsertion),
                MinConfidence = parse.GetValue(minConfidence),
                Target = parse.GetValue(target) == "label" ? TargetPolicy.Label : TargetPolicy.Predicted,
                Shard = ParseShard(parse.GetValue(shard)),
                ExistingRun = existing.Get(parse),
                Theory = parse.GetValue(theory),
                ReportImages = parse.GetValue(reportImages),
            };
            Run(loaded, data, settings, parse.GetValue(outDir)!, $"Vitmix evaluation: {data.Name}", "evaluate", parse, cancel);
            return Task.FromResult(0);
        });
        return command;
    }

    internal static EvaluationSettings Settings(string methods, string? combos, string fusion, string threshold, int steps, ExplainerOptions explainerOptions)
    {
        if (steps < 0) throw new ArgumentException("--deletion-steps must be ≥ 0");
        var set = ExplainerSet.Parse(methods, explainerOptions);
        var grid = set.GridMethods;
        if (grid.Count == 0) throw new ArgumentException($"--methods names no method with a grid map ({string.Join(", ", ExplainerRegistry.All.Where(d => d.HasGridMap).Select(d => d.Name))})");
        return new EvaluationSettings
        {
            Explainers = set,
            Maps = CombinationPlan.Build(grid, combos ?? CombinationPlan.EveryCombination(grid.Count), fusion),
            Threshold = MaskThresholds.Parse(threshold),
            PerturbationSteps = steps,
        };
    }

    static (int, int) ParseShard(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (0, 1);
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int i) && int.TryParse(parts[1], out int n) && n > 0 && i >= 0 && i < n) return (i, n);
        throw new ArgumentException($"--shard '{text}' must be i/N with 0 ≤ i < N");
    }

    /// <summary>
    /// Evaluates into <paramref name="outDir"/> (its shard folder when sharded) under the folder's lock, then writes the
    /// summary, table and report (a shard leaves those to vitmix merge).
    /// </summary>
    internal static EvaluationSummary Run(LoadedModel model, ISegmentationDataset data, EvaluationSettings settings, string outDir, string title,
        string command, ParseResult parse, CancellationToken cancel)
    {
        var output = ConsoleOutput.Out(parse);
        bool sharded = settings.Shard.Count > 1;
        string runDir = sharded ? Path.Combine(outDir, $"shard-{settings.Shard.Index}-of-{settings.Shard.Count}") : outDir;
        using var folderLock = OutputLock.Acquire(runDir, command, parse);
        var store = new EvaluationStore(runDir);
        var runner = new EvaluationRunner(model, settings);
        var plan = runner.Prepare(data, store);
        output.WriteLine($"evaluating {settings.Maps.Count} maps ({string.Join(", ", settings.MapIds.Select(m => m.DisplayName))}) on {data.Name} -> {runDir}"
                         + (plan.Finished > 0 ? $" ({plan.Finished} of {plan.Images} images already finished)" : ""));
        try
        {
            if (!Console.IsErrorRedirected)
                AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }).Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("images", maxValue: 1);
                        runner.Run(plan, p => { task.MaxValue = p.Total; task.Value = p.Done; task.Description = Markup.Escape(p.Image); }, cancel);
                    });
            else runner.Run(plan, null, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Finished images are on disk (done.txt is written last per image); say how to keep them.
            int finished = store.Folder.ReadDone().Count;
            ConsoleOutput.Error(parse).WriteLine(
                $"vitmix: {finished} finished image(s) kept in {runDir}; run the same command with --resume to continue (--overwrite starts over)");
            throw;
        }
        var console = ConsoleOutput.Create(parse);
        if (sharded)
        {
            output.WriteLine($"shard {settings.Shard.Index}/{settings.Shard.Count} done; combine the shards with: vitmix merge {outDir}/shard-*-of-{settings.Shard.Count} --out {outDir}");
            return EvaluationReport.Summarise([runDir], allowPartial: true);
        }
        return EvaluationConsole.Finish(EvaluationReport.Summarise([runDir]), [runDir], outDir, title, console, output);
    }
}
