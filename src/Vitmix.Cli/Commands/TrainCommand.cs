using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vitmix.Data;
using Vitmix.Data.Datasets;
using Vitmix.Model;
using Vitmix.Training;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix train --dataset SPEC --out DIR</c>: train a ViT from scratch (--arch or explicit sizes) or fine-tune a
/// checkpoint (--model; a new head when the class count differs), with a stratified held-out validation split.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "Training data: imagefolder:DIR (DIR/CLASS/IMAGE, torchvision's layout), folder:DIR (images/ + labels.csv), ph2:DIR, voc:DIR, synth:COUNT[:SEED[:SIZE]] (streamed, no files)", Required = true };
        var outDir = new Option<string>("--out", "-o") { Description = "Output folder: model.safetensors + config.json (best epoch), last.safetensors, optimizer state, training_log.csv", Required = true };
        var modelPath = new Option<string?>("--model") { Description = "Checkpoint to fine-tune (file, folder or hub id); its head is replaced when the class count differs", HelpName = "PATH" };
        var arch = OptionParsers.Choice("--arch", "Architecture for training from scratch (sizes can be overridden below)", [.. ArchitecturePresets.Names]);
        var imageSize = OptionParsers.PositiveInt("--image-size", "Input size for a new model", "PIXELS");
        var patch = OptionParsers.PositiveInt("--patch-size", "Patch size for a new model", "PIXELS");
        var dim = OptionParsers.PositiveInt("--embed-dim", "Embedding width for a new model");
        var depth = OptionParsers.PositiveInt("--depth", "Blocks of a new model");
        var heads = OptionParsers.PositiveInt("--heads", "Attention heads of a new model");
        var numClasses = OptionParsers.PositiveInt("--num-classes", "Classes (default: the dataset's)", "K");
        var epochs = OptionParsers.PositiveInt("--epochs", "Epochs", 30);
        var batch = OptionParsers.PositiveInt("--batch-size", "Batch size", 64);
        var lr = OptionParsers.Number("--lr", "Peak learning rate (AdamW)", 1e-3, NumberRange.Positive, "LR");
        var wd = OptionParsers.Number("--weight-decay", "AdamW weight decay on weight matrices", 0.05, NumberRange.NonNegative, "WD");
        var warmup = OptionParsers.Number("--warmup-epochs", "Linear warmup before the cosine decay", 1, NumberRange.NonNegative, "EPOCHS");
        var valSplit = OptionParsers.Number("--val-split", "Held-out fraction per class for validation and early stopping", 0.2, NumberRange.Fraction, "FRACTION");
        var seed = new Option<int>("--seed") { Description = "Seed of the initialisation, split and shuffles", DefaultValueFactory = _ => 0 };
        var patience = OptionParsers.NonNegativeInt("--patience", "Stop after this many epochs without a better validation accuracy (0 = never)", 5, "EPOCHS");
        var classWeights = new Option<string?>("--class-weights") { Description = "Loss weights: 'balanced' (inverse frequency) or comma-separated values" };
        var noAugment = new Option<bool>("--no-augment") { Description = "Disable flips, rotation, translation and random resized crops" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last finished epoch in --out" };

        var command = new Command("train", "Train or fine-tune a ViT classifier (AdamW, warmup + cosine, early stopping on a held-out split)");
        foreach (var o in new Option[] { dataset, outDir, modelPath, arch, imageSize, patch, dim, depth, heads, numClasses, epochs, batch, lr, wd, warmup, valSplit, seed, patience, classWeights, noAugment, resume })
            command.Options.Add(o);
        command.SetAction((parse, cancel) =>
        {
            var data = DatasetSpec.Open(parse.GetValue(dataset)!);
            string? path = parse.GetValue(modelPath);
            LoadedModel? baseModel = null;
            if (path != null)
            {
                if (!File.Exists(path) && !Directory.Exists(path)) path = Vitmix.Hub.HubModelResolver.Resolve(path);
                baseModel = ModelLoader.Load(path);
            }
            int? classes = parse.GetValue(numClasses);
            var run = TrainingRun.Prepare(data, new TrainingRunSettings
            {
                BaseModel = baseModel,
                // the preset's class count is replaced by the dataset's
                Architecture = baseModel != null ? null : ArchitecturePresets.Create(parse.GetValue(arch) ?? "micro", classes ?? 1, parse.GetValue(imageSize),
                    parse.GetValue(patch), parse.GetValue(dim), parse.GetValue(depth), parse.GetValue(heads)),
                Classes = classes,
                ValidationSplit = parse.GetValue(valSplit),
                ClassWeights = parse.GetValue(classWeights),
                Options = new TrainingOptions
                {
                    Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), LearningRate = (float)parse.GetValue(lr),
                    WeightDecay = (float)parse.GetValue(wd), WarmupEpochs = (float)parse.GetValue(warmup), Seed = parse.GetValue(seed),
                    Patience = parse.GetValue(patience),
                    Augmentation = parse.GetValue(noAugment) ? AugmentationOptions.None : new AugmentationOptions(),
                },
            });
            return Task.FromResult(Run(run, parse.GetValue(outDir)!, parse.GetValue(resume), parse, cancel));
        });
        return command;
    }

    static int Run(TrainingRun run, string outDir, bool resume, ParseResult parse, CancellationToken cancel)
    {
        using var folderLock = OutputLock.Acquire(outDir, "train", parse);
        var output = ConsoleOutput.Out(parse);
        output.WriteLine($"training {run.Network.Config} on {run.Train.Count} images, validating on {run.Validation.Count}; output {outDir}");
        void EpochDone(EpochResult e) => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {e.Epoch}: train loss {e.TrainLoss:F4} acc {e.TrainAccuracy:P1}, val loss {e.ValidationLoss:F4} acc {e.ValidationAccuracy:P1}, {e.Seconds:F0} s{(e.Best ? " (best)" : "")}"));
        IReadOnlyList<EpochResult> history;
        try
        {
            history = Fit(run, outDir, resume, EpochDone, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            ConsoleOutput.Error(parse).WriteLine(
                $"vitmix: {TrainingRun.FinishedEpochs(outDir)} finished epoch(s) kept in {outDir} (model.safetensors = the best so far); run the same command with --resume to continue");
            throw;
        }
        var best = history.Where(h => h.Best).LastOrDefault();
        if (best != null)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"best epoch {best.Epoch}: validation accuracy {best.ValidationAccuracy:P2} ({run.Validation.Count} held-out images); saved {Path.Combine(outDir, "model.safetensors")}"));
        return 0;
    }

    /// <summary>The run with a progress bar on an interactive terminal.</summary>
    static IReadOnlyList<EpochResult> Fit(TrainingRun run, string outDir, bool resume, Action<EpochResult> epochDone, CancellationToken cancel)
    {
        if (Console.IsErrorRedirected) return run.Run(outDir, resume, null, epochDone, cancel);
        IReadOnlyList<EpochResult> history = [];
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }).Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("epoch", maxValue: 1);
                history = run.Run(outDir, resume, p =>
                {
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3} acc {p.Accuracy:P1}");
                    task.Value = (double)p.Batch / p.Batches;
                }, epochDone, cancel);
            });
        return history;
    }
}
