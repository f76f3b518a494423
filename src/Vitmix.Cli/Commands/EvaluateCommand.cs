using System.CommandLine;
using Spectre.Console;
using Vitmix.Data.Datasets;
using Vitmix.Evaluation;
using Vitmix.Evaluation.MapMetrics;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;
using Vitmix.Model;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix evaluate --model PATH --dataset SPEC</c>: every map and combination as a segmentation of every image
/// (IoU, F1, pixel accuracy, recall, precision, deletion and insertion AUC, pointing game, energy pointing game,
/// relevance mass and rank accuracy, sparseness, complexity; optionally max-sensitivity and Chefer et al.'s protocol),
/// appended image by image to
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
        var combos = new Option<string?>("--combos") { Description = "Combination sizes (1,2,3: every k-way combination), specs (lrp+rollout,gmean(lrp,saliency)) or @FILE; default: every combination of 2 up to all of the ViTmiX methods given (rollout, gradcam, saliency, lrp), and each other method paired with lrp" };
        var fusion = new Option<string>("--fusion") { Description = "Fusion rules: gmean, product, sqrt (the paper's), wgmean, mean, hmean, min, rankmean", DefaultValueFactory = _ => "gmean,product" };
        var threshold = new Option<string>("--threshold") { Description = "Mask threshold: otsu, mean (Chefer's protocol), top:P, fixed:V", DefaultValueFactory = _ => "otsu" };
        var steps = OptionParsers.NonNegativeInt("--deletion-steps", "Steps of the deletion and insertion curves (0 = skip them)", 100, "STEPS");
        var fractions = new Option<string?>("--curve-fractions")
        {
            Description = "Sample the deletion and insertion curves at these fractions of the pixels (e.g. 0,0.1,0.2,...,0.9 as ROAD) instead of --deletion-steps even steps",
            HelpName = "F,F,...",
        };
        fractions.Validators.Add(r => { try { if (r.GetValueOrDefault<string?>() is { } t) CurveSchedule.ParseFractions(t, "--curve-fractions"); } catch (ArgumentException e) { r.AddError(e.Message); } });
        var ranking = OptionParsers.Choice("--deletion-ranking", "continuous = rank by the normalised map (RISE; default); mask = the ViTmiX script's ranking by the binary mask", "continuous", "mask");
        var noInsertion = new Option<bool>("--no-insertion") { Description = "Skip insertion curves" };
        var perturbation = OptionParsers.Choice("--perturbation", "Perturbation curves: pixel (RISE, default), token (patches dropped from the sequence, the ViT-native curve) or both", "pixel", "token", "both");
        var road = new Option<bool>("--road") { Description = "ROAD (Rong et al. 2022): MoRF and LeRF probabilities with noisy linear imputation at 10-90 % removed, and LeRF - MoRF (costly: 14 imputed images per map)" };
        var roadFractions = new Option<string?>("--road-fractions")
        {
            Description = $"ROAD at these fractions of the pixels instead (each in [0, 1), increasing, at most {RoadCurves.MaxFractions}; implies --road; default {string.Join(",", RoadCurves.DefaultFractions.Select(f => f.ToString(System.Globalization.CultureInfo.InvariantCulture)))}, the reference's experiments)",
            HelpName = "F,F,...",
        };
        roadFractions.Validators.Add(r => { try { if (r.GetValueOrDefault<string?>() is { } t) RoadCurves.ParseFractions(t, "--road-fractions"); } catch (ArgumentException e) { r.AddError(e.Message); } });
        var minConfidence = OptionParsers.Number("--min-confidence", "Skip images whose top-1 probability is lower (ViTmiX's VOC rule: 0.85)", 0, NumberRange.Probability, "P");
        var first = OptionParsers.PositiveInt("--first", "Evaluate only the first N images");
        var classes = new Option<string?>("--classes") { Description = "Only images of these dataset classes (comma-separated indices or names)" };
        var split = new Option<string>("--split") { Description = "VOC split file", DefaultValueFactory = _ => "val" };
        var target = OptionParsers.Choice("--target", "Class explained: predicted (default) or the dataset's label", "predicted", "label");
        var outDir = new Option<string>("--out", "-o") { Description = "Output folder", DefaultValueFactory = _ => "evaluation" };
        var shard = new Option<string?>("--shard") { Description = "i/N: evaluate every N-th image starting at i into OUT/shard-i-of-N (combine with vitmix merge); auto: i and N from a Kubernetes Indexed Job, a Slurm array or VITMIX_SHARD=i/N, resuming the shard's folder when it holds its run" };
        var shards = OptionParsers.PositiveInt("--shards", "With --shard auto: the number of shards (a Kubernetes Indexed Job's completions; checked against Slurm's and VITMIX_SHARD's count)");
        var existing = new ExistingRunOptions("evaluation run");
        var theory = new Option<bool>("--theory") { Description = "Check the precision-gain hypothesis: predicted vs measured precision of every combination" };
        var reportImages = OptionParsers.NonNegativeInt("--report-images", "Images shown with their maps and masks in report.html", 24);
        var protocol = OptionParsers.Choice("--protocol", "vitmix (default): the per-image metrics; chefer: also Chefer et al.'s ImageNet-segmentation protocol (masks at the mean; pixel accuracy and mIoU pooled over the dataset; mAP)", "vitmix", "chefer");
        var sensitivity = new Option<int?>("--sensitivity")
        {
            Description = $"Max-sensitivity (Yeh et al. 2019) of every map over N perturbed copies of each image (uniform noise within {MaxSensitivity.DefaultRadius} of the pixel range, seeded), the explanation pass re-run on them; N defaults to {MaxSensitivity.DefaultSamples}; off unless given",
            HelpName = "N",
            Arity = ArgumentArity.ZeroOrOne,
            CustomParser = r =>
            {
                // "--sensitivity" alone is Yeh et al.'s 10 perturbations.
                if (r.Tokens.Count == 0) return MaxSensitivity.DefaultSamples;
                string text = r.Tokens[0].Value;
                if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int v) && v >= 1) return v;
                r.AddError($"--sensitivity: expected a number of perturbations ≥ 1, got '{text}'");
                return null;
            },
        };
        var pointingTolerance = OptionParsers.Number("--pointing-tolerance", "Pointing game: a hit when the map's maximum lies within this many pixels of the object (Zhang et al.: 15)", PointingGame.DefaultTolerance, NumberRange.NonNegative, "PX");

        var command = new Command("evaluate", "Evaluate explanation maps and their fusions as segmentations on a dataset (ViTmiX tables)");
        model.AddTo(command);
        foreach (var o in new Option[] { dataset, methods, combos, fusion, threshold, steps, fractions, ranking, noInsertion, perturbation, road, roadFractions, minConfidence, first, classes, split, target, outDir, shard, shards, theory, reportImages, protocol, pointingTolerance, sensitivity })
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
            if (parse.GetValue(fractions) is not null && parse.GetValue(steps) == 0)
                throw new ArgumentException("--curve-fractions samples the deletion and insertion curves, which --deletion-steps 0 turns off");
            bool auto = parse.GetValue(shard)?.Trim() == "auto";
            var assignment = Shard(parse.GetValue(shard), parse.GetValue(shards));
            var existingRun = existing.Get(parse);
            // A scheduler restarts a failed task with the same command: its folder's finished images must be kept.
            if (auto && existingRun == ExistingRun.Refuse) existingRun = ExistingRun.Resume;
            bool chefer = parse.GetValue(protocol) == "chefer";
            string thresholdText = parse.GetValue(threshold)!;
            // Chefer's numbers are of masks cut at the mean: another threshold asked for explicitly is a contradiction.
            if (chefer && parse.GetResult(threshold) is { Implicit: false } && thresholdText.Trim().ToLowerInvariant() != "mean")
                throw new ArgumentException($"--protocol chefer thresholds the maps at their mean: drop --threshold {thresholdText} or give --threshold mean");
            if (chefer) thresholdText = "mean";
            var settings = Settings(parse.GetValue(methods)!, parse.GetValue(combos), parse.GetValue(fusion)!, thresholdText,
                parse.GetValue(steps), explainerOptions.Bind(parse)) with
            {
                Protocol = chefer ? EvaluationProtocol.Chefer : EvaluationProtocol.Vitmix,
                PointingTolerance = parse.GetValue(pointingTolerance),
                SensitivitySamples = parse.GetValue(sensitivity) ?? 0,
                DeletionRanking = parse.GetValue(ranking) == "mask" ? DeletionRanking.Mask : DeletionRanking.Continuous,
                CurveFractions = parse.GetValue(fractions) is { } f ? CurveSchedule.ParseFractions(f, "--curve-fractions") : null,
                Insertion = !parse.GetValue(noInsertion),
                Road = parse.GetValue(road) || parse.GetValue(roadFractions) is not null,
                RoadFractions = parse.GetValue(roadFractions) is { } rf ? RoadCurves.ParseFractions(rf, "--road-fractions") : RoadCurves.DefaultFractions,
                Perturbation = (parse.GetValue(perturbation) ?? "pixel") switch { "token" => PerturbationMode.Token, "both" => PerturbationMode.Both, _ => PerturbationMode.Pixel },
                MinConfidence = parse.GetValue(minConfidence),
                Target = parse.GetValue(target) == "label" ? TargetPolicy.Label : TargetPolicy.Predicted,
                Shard = (assignment.Index, assignment.Count),
                ExistingRun = existingRun,
                Theory = parse.GetValue(theory),
                ReportImages = parse.GetValue(reportImages),
            };
            Run(loaded, data, settings, parse.GetValue(outDir)!, $"Vitmix evaluation: {data.Name}", "evaluate", parse, cancel, shardFolder: auto);
            return Task.FromResult(0);
        });
        return command;
    }

    internal static EvaluationSettings Settings(string methods, string? combos, string fusion, string threshold, int steps, ExplainerOptions explainerOptions,
        int? maxDefaultSize = null)
    {
        if (steps < 0) throw new ArgumentException("--deletion-steps must be ≥ 0");
        var set = ExplainerSet.Parse(methods, explainerOptions);
        var grid = set.GridMethods;
        if (grid.Count == 0) throw new ArgumentException($"--methods names no method with a grid map ({string.Join(", ", ExplainerRegistry.All.Where(d => d.HasGridMap).Select(d => d.Info.Wraps ? d.Name + "-METHOD" : d.Name))})");
        return new EvaluationSettings
        {
            Explainers = set,
            Maps = combos is null ? CombinationPlan.Default(grid, ExplainerRegistry.ViTmiXMethods, fusion, maxDefaultSize)
                : CombinationPlan.Build(grid, combos, fusion),
            Threshold = MaskThresholds.Parse(threshold),
            PerturbationSteps = steps,
        };
    }

    /// <summary>--shard i/N, --shard auto (with --shards N) or neither.</summary>
    static ShardAssignment Shard(string? text, int? shards)
    {
        if (text is not null && text.Trim() == "auto") return SchedulerShard.FromEnvironment(shards);
        if (shards is not null) throw new ArgumentException("--shards goes with --shard auto (with --shard i/N the count is N)");
        return string.IsNullOrWhiteSpace(text) ? ShardAssignment.Single : ShardAssignment.Parse(text, "--shard");
    }

    /// <summary>
    /// Evaluates into <paramref name="outDir"/> (its shard folder when sharded) under the folder's lock, then writes the
    /// summary, table and report (a shard leaves those to vitmix merge).
    /// </summary>
    internal static EvaluationSummary Run(LoadedModel model, ISegmentationDataset data, EvaluationSettings settings, string outDir, string title,
        string command, ParseResult parse, CancellationToken cancel, bool shardFolder = false)
    {
        var output = ConsoleOutput.Out(parse);
        // A scheduler's shards always get their own folders, even a lone one, so the merge step finds them.
        bool sharded = settings.Shard.Count > 1 || shardFolder;
        string runDir = sharded ? Path.Combine(outDir, RunFolder.ShardFolderName(settings.Shard.Index, settings.Shard.Count)) : outDir;
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
        if (runner.CurveImagesRequested > 0)
            output.WriteLine($"curves: {runner.CurveImagesRequested} perturbed images, {runner.CurveImagesForwarded} forwarded " +
                $"({100.0 * (runner.CurveImagesRequested - runner.CurveImagesForwarded) / runner.CurveImagesRequested:0.0} % shared between curves)");
        var console = ConsoleOutput.Create(parse);
        if (sharded)
        {
            output.WriteLine($"shard {settings.Shard.Index}/{settings.Shard.Count} done; combine the shards with: vitmix merge {outDir} --out {outDir}");
            return EvaluationReport.Summarise([runDir], allowPartial: true);
        }
        return EvaluationConsole.Finish(EvaluationReport.Summarise([runDir]), [runDir], outDir, title, console, output);
    }
}
