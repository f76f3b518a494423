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
        var methods = new Option<string>("--methods") { Description = "Methods: " + ExplainerCliOptions.MethodsHelp, DefaultValueFactory = _ => "all" };
        var explainerOptions = new ExplainerCliOptions();
        var targets = new Option<string[]>("--target")
        {
            Description = "Class to explain (index or name): once for every input, or once per input in order; default the predicted class",
            HelpName = "CLASS",
        };
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
        foreach (var o in new Option[] { methods, targets })
            command.Options.Add(o);
        explainerOptions.AddTo(command);
        foreach (var o in new Option[] { combos, fusion, threshold, batchSize, outDir, raw, colormap })
            command.Options.Add(o);
        command.SetAction((parse, cancel) =>
        {
            var files = InputPaths.Expand(parse.GetRequiredValue(inputs));
            // The memory check sizes a recorded explanation pass over the batches that will really run.
            var loaded = model.Load(parse, Math.Clamp(files.Length, 1, parse.GetValue(batchSize)), explanation: true);
            var set = ExplainerSet.Parse(parse.GetValue(methods)!, explainerOptions.Bind(parse));
            var plan = CombinationPlan.Build(set.GridMethods, parse.GetValue(combos), parse.GetValue(fusion)!);
            var mask = MaskThresholds.Parse(parse.GetValue(threshold)!);
            var targetList = ResolveTargets(parse.GetValue(targets) ?? [], files.Length, loaded);
            var settings = new ExplanationSettings
            {
                Explainers = set, Maps = plan, Threshold = mask, BatchSize = parse.GetValue(batchSize),
                Output = new ExplanationOutputOptions(parse.GetValue(raw), parse.GetValue(colormap) ?? "oklab", 0.5f),
            };
            int code = Run(loaded, files, targetList, settings, parse.GetValue(outDir)!, parse, cancel);
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

    static int Run(LoadedModel model, string[] inputs, int?[] targets, ExplanationSettings settings, string outDir, ParseResult parse,
        CancellationToken cancel)
    {
        var error = ConsoleOutput.Error(parse);
        var stdout = ConsoleOutput.Out(parse);
        using var folderLock = OutputLock.Acquire(outDir, "explain", parse);
        var runner = new ExplanationRunner(model, settings);
        IReadOnlyList<FailedInput> Process(Action advance) => runner.Run(inputs, targets, outDir,
            e =>
            {
                stdout.WriteLine($"{e.Input}: {model.ClassName(e.Explanation.TargetClass)} ({e.Explanation.TargetProbability:P1}) -> {e.Folder}");
                // What self-checking methods measured, a line per method: "  ig: sum 4.1, score-change 4.2, completeness-gap -0.1".
                foreach (var method in e.Explanation.Checks.GroupBy(c => c.Key[..Math.Max(0, c.Key.IndexOf('.'))]))
                    stdout.WriteLine($"  {method.Key}: {string.Join(", ", method.Select(c => $"{c.Key[(method.Key.Length + 1)..]} {c.Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}"))}");
                advance();
            },
            f =>
            {
                CliErrors.Report(f.Error, error, verbose: false, subject: f.Input);
                advance();
            }, cancel);
        IReadOnlyList<FailedInput> failures = [];
        if (inputs.Length > 1 && !Console.IsErrorRedirected)
        {
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }).Progress()
                .Start(ctx =>
                {
                    var task = ctx.AddTask("explaining", maxValue: inputs.Length);
                    failures = Process(() => task.Increment(1));
                });
        }
        else failures = Process(() => { });
        return failures.Count > 0 ? 1 : 0;
    }
}
