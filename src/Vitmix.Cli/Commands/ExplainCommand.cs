using Vitmix.Rendering;
using System.CommandLine;
using Spectre.Console;
using Vitmix.Data;
using Vitmix.Evaluation;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;
using Vitmix.Model;
using Tensor = Vitmix.Engine.Tensor;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix explain INPUT... --model PATH</c>: the explanation maps of every requested method from one shared
/// forward/backward/relevance pass per batch, their fusions and masks, written per input under --out.
/// </summary>
public static class ExplainCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "Images (PNG, JPEG, BMP, WebP, GIF, PGM/PPM), .npy float32 arrays (1,3,H,W) / (3,H,W) already normalised, or folders of them",
            Arity = ArgumentArity.OneOrMore,
        };
        var methods = new Option<string>("--methods") { Description = "Methods: rollout, gradcam, saliency, lrp, fulllrp (lrp-rollout, lrp-last) or all", DefaultValueFactory = _ => "all" };
        var targets = new Option<string[]>("--target")
        {
            Description = "Class to explain (index or name): once for every input, or once per input in order; default the predicted class",
            HelpName = "CLASS",
        };
        var rolloutStart = OptionParsers.NonNegativeInt("--rollout-start-layer", "Attention Rollout start layer (ViTmiX's script uses 3; clamped to the last block)", 0, "LAYER");
        var headFusion = OptionParsers.Choice("--rollout-head-fusion", "How rollout fuses the heads of a block", "mean", "max", "min");
        var discard = OptionParsers.Number("--rollout-discard-ratio", "Fraction of the lowest attention entries rollout zeroes per block", 0, NumberRange.Fraction, "FRACTION");
        var lrpStart = OptionParsers.NonNegativeInt("--lrp-start-layer", "Transformer attribution start layer", 0, "LAYER");
        var combos = new Option<string?>("--combos") { Description = "Combinations: specs like lrp+rollout,gmean(lrp,saliency), sizes like 2,3 (every k-way combination), or @FILE" };
        var fusion = new Option<string>("--fusion") { Description = "Fusion rules for a+b specs: gmean, product, sqrt (the paper's), wgmean, mean, hmean, min, rankmean", DefaultValueFactory = _ => "gmean" };
        var threshold = new Option<string>("--threshold") { Description = "Mask threshold: otsu, mean, top:P (top P%), fixed:V", DefaultValueFactory = _ => "otsu" };
        var batchSize = OptionParsers.PositiveInt("--batch-size", "Inputs explained in one pass", 8);
        var outDir = new Option<string>("--out", "-o") { Description = "Output folder (one sub-folder per input)", DefaultValueFactory = _ => "explanations" };
        var raw = new Option<bool>("--raw") { Description = "Also write every map as float32 .npy, normalised maps and uint8 masks" };
        var colormap = OptionParsers.Choice("--colormap", "Overlay colormap (perceptually uniform by default)", Colormaps.Names.Concat(["viridis"]).ToArray());

        var command = new Command("explain", "Explain a ViT's decision with rollout, attention Grad-CAM, saliency, LRP and their fusions");
        command.Arguments.Add(inputs);
        model.AddTo(command);
        foreach (var o in new Option[] { methods, targets, rolloutStart, headFusion, discard, lrpStart, combos, fusion, threshold, batchSize, outDir, raw, colormap })
            command.Options.Add(o);
        command.SetAction((parse, cancel) =>
        {
            var loaded = model.Load(parse);
            var explainerOptions = new ExplainerOptions
            {
                RolloutStartLayer = parse.GetValue(rolloutStart),
                RolloutHeadFusion = parse.GetValue(headFusion) switch { "max" => HeadFusion.Max, "min" => HeadFusion.Min, _ => HeadFusion.Mean },
                RolloutDiscardRatio = (float)parse.GetValue(discard),
                LrpStartLayer = parse.GetValue(lrpStart),
            };
            var set = ExplainerSet.Parse(parse.GetValue(methods)!, explainerOptions);
            var gridMethods = set.Explainers.Select(e => e.Name).Where(n => n is not "fulllrp").ToList();
            var plan = CombinationPlan.Build(gridMethods, parse.GetValue(combos), parse.GetValue(fusion)!);
            var mask = MaskThresholds.Parse(parse.GetValue(threshold)!);
            var files = InputPaths.Expand(parse.GetRequiredValue(inputs));
            var targetList = ResolveTargets(parse.GetValue(targets) ?? [], files.Length, loaded);
            var output = new ExplanationOutputOptions(parse.GetValue(raw), parse.GetValue(colormap) ?? "oklab", 0.5f);
            int code = Run(loaded, files, targetList, set, plan, mask, parse.GetValue(batchSize), parse.GetValue(outDir)!, output, parse, cancel);
            return Task.FromResult(code);
        });
        return command;
    }

    static int?[] ResolveTargets(string[] given, int inputs, LoadedModel model)
    {
        if (given.Length == 0) return new int?[inputs];
        if (given.Length != 1 && given.Length != inputs)
            throw new ArgumentException($"--target given {given.Length} times for {inputs} inputs: give it once, or once per input");
        var resolved = given.Select(model.ResolveClass).ToArray();
        return Enumerable.Range(0, inputs).Select(i => (int?)resolved[given.Length == 1 ? 0 : i]).ToArray();
    }

    static int Run(LoadedModel model, string[] inputs, int?[] targets, ExplainerSet set, IReadOnlyList<FusionSpec> plan,
        IMaskThreshold threshold, int batchSize, string outDir, ExplanationOutputOptions output, ParseResult parse, CancellationToken cancel)
    {
        var error = ConsoleOutput.Error(parse);
        var stdout = ConsoleOutput.Out(parse);
        int h = model.Config.ImageHeight, w = model.Config.ImageWidth;
        int failures = 0;
        var stems = UniqueStems(inputs);
        void Process(Action advance)
        {
            foreach (var chunk in Enumerable.Range(0, inputs.Length).Chunk(batchSize))
            {
                var ok = new List<(int Index, Tensor Input, RgbImage Display)>();
                foreach (int i in chunk)
                {
                    cancel.ThrowIfCancellationRequested();
                    try
                    {
                        var (t, d) = InputLoader.LoadWithDisplay(inputs[i], model.Preprocessing, h, w);
                        ok.Add((i, t, d));
                    }
                    catch (Exception e) when (CliErrors.IsExpected(e))
                    {
                        CliErrors.Report(e, error, verbose: false, subject: inputs[i]);
                        failures++;
                        advance();
                    }
                }
                if (ok.Count == 0) continue;
                cancel.ThrowIfCancellationRequested();
                var batch = TensorBatch.Stack(ok.Select(o => o.Input).ToList(), h, w);
                // -1: the shared pass explains that input's predicted class.
                int[]? chosen = ok.All(o => targets[o.Index] is null) ? null : ok.Select(o => targets[o.Index] ?? -1).ToArray();
                IReadOnlyList<ImageExplanation> explanations;
                explanations = set.Explain(model.Network, batch, chosen);
                for (int j = 0; j < ok.Count; j++)
                {
                    cancel.ThrowIfCancellationRequested();
                    var e = explanations[j];
                    var results = CombinationEvaluator.Run(e.Maps, plan, h, w, threshold);
                    string folder = ExplanationFolder.Write(outDir, stems[ok[j].Index], inputs[ok[j].Index], model, ok[j].Display, e, results, output);
                    stdout.WriteLine($"{inputs[ok[j].Index]}: {model.ClassName(e.TargetClass)} ({e.TargetProbability:P1}) -> {folder}");
                    advance();
                }
            }
        }
        if (inputs.Length > 1 && !Console.IsErrorRedirected)
        {
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }).Progress()
                .Start(ctx =>
                {
                    var task = ctx.AddTask("explaining", maxValue: inputs.Length);
                    Process(() => task.Increment(1));
                });
        }
        else Process(() => { });
        return failures > 0 ? 1 : 0;
    }

    /// <summary>Output folder names from input file stems, made unique ("x", "x_2") when two inputs share one.</summary>
    internal static string[] UniqueStems(string[] inputs)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        return inputs.Select(p =>
        {
            string stem = Path.GetFileNameWithoutExtension(p);
            if (stem.Length == 0) stem = "input";
            string s = stem;
            for (int n = 2; !used.Add(s); n++) s = $"{stem}_{n}";
            return s;
        }).ToArray();
    }


}
