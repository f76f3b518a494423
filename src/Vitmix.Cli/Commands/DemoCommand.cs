using System.CommandLine;
using Vitmix.Data.Datasets;
using Vitmix.Data.Synthetic;
using Vitmix.Evaluation;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix demo</c>: the whole ViTmiX pipeline on the embedded model, no download: held-out synthetic images (a seed
/// training never used) → explanations → every single map and 2- and 3-way fusion → Otsu masks → IoU, F1, pixel
/// accuracy, recall, deletion/insertion AUC against the exact object masks → the paper-style table and report.html.
/// </summary>
public static class DemoCommand
{
    /// <summary>The benchmark seed of the demo images; the embedded model was trained on seed 1.</summary>
    public const int HeldOutSeed = 20261128;

    public static Command Create()
    {
        var outDir = new Option<string>("--out", "-o") { Description = "Output folder", DefaultValueFactory = _ => "vitmix-demo" };
        var count = OptionParsers.PositiveInt("--count", "Held-out images to evaluate", 40);
        var steps = OptionParsers.NonNegativeInt("--deletion-steps", "Steps of the deletion/insertion curves (0 = skip)", 32, "STEPS");
        var fusion = new Option<string>("--fusion") { Description = "Fusion rules of the combinations", DefaultValueFactory = _ => "gmean" };
        var existing = new ExistingRunOptions("demo");
        var model = new ModelOptions();
        var command = new Command("demo", "Run explain → fuse → mask → evaluate on held-out synthetic images with the embedded model");
        command.Options.Add(outDir);
        command.Options.Add(count);
        command.Options.Add(steps);
        command.Options.Add(fusion);
        existing.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, cancel) =>
        {
            var loaded = model.Load(parse);
            int size = loaded.Config.ImageHeight;
            var data = new SyntheticDataset(new SyntheticBenchmark(size, HeldOutSeed), parse.GetValue(count));
            // The demo's fixed reproduction: the four ViTmiX methods with every 2- and 3-way fusion (the table the README
            // quotes), and every other method (the ones the ViTmiX talk surveys, the newer ones and SmoothGrad over
            // saliency), alone and fused with LRP.
            var settings = EvaluateCommand.Settings(Vitmix.Explain.ExplainerRegistry.GridMethodsOfAll + ",smooth-saliency", null, parse.GetValue(fusion)!, "otsu", parse.GetValue(steps), Vitmix.Explain.ExplainerOptions.Defaults, maxDefaultSize: 3)
                with { ReportImages = 16, ExistingRun = existing.Get(parse) };
            var output = ConsoleOutput.Out(parse);
            output.WriteLine($"demo: {loaded.Config} ({loaded.WeightsPath}) on {data.Count} held-out images of the synthetic shape benchmark (seed {HeldOutSeed})");
            EvaluateCommand.Run(loaded, data, settings, parse.GetValue(outDir)!, "Vitmix demo: explanations as segmentations on held-out synthetic shapes", "demo", parse, cancel);
            return Task.FromResult(0);
        });
        return command;
    }
}
