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
        var arch = OptionParsers.Choice("--arch", "Architecture for training from scratch (sizes can be overridden below)", "micro", "tiny", "small", "base");
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
            var cache = new DecodedImageBudget(CacheBudgetBytes);
            var classNames = data.ClassNames?.ToArray();
            var images = data.Samples().Select(s => new LabelledImage(s.Name,
                s.ClassLabel ?? throw new InvalidDataException($"{data.Name}: image {s.Name} has no class label (labels.csv / metadata needed for training)"),
                Cached(s.LoadImage, cache))).ToList();
            int k = parse.GetValue(numClasses) ?? (classNames?.Length ?? images.Max(i => i.Label) + 1);
            classNames = classNames != null && classNames.Length == k ? classNames : Enumerable.Range(0, k).Select(i => $"class {i}").ToArray();

            int s = parse.GetValue(seed);
            VisionTransformer network;
            Preprocessing pre;
            string? path = parse.GetValue(modelPath);
            if (path != null)
            {
                if (!File.Exists(path) && !Directory.Exists(path)) path = Vitmix.Hub.HubModelResolver.Resolve(path);
                var loaded = ModelLoader.Load(path);
                network = loaded.Config.NumClasses == k ? loaded.Network : HeadReplacement.WithNewHead(loaded.Network, k, s);
                pre = loaded.Preprocessing;
            }
            else
            {
                var config = Architecture(parse.GetValue(arch) ?? "micro", parse.GetValue(imageSize), parse.GetValue(patch),
                    parse.GetValue(dim), parse.GetValue(depth), parse.GetValue(heads), k);
                network = new VisionTransformer(config, VitInitializer.Create(config, s));
                pre = new Preprocessing { InputHeight = config.ImageHeight, InputWidth = config.ImageWidth, Resize = ResizeMode.Squash, Interpolation = "bilinear", CropPct = 1.0 };
            }
            var (train, val) = Trainer.StratifiedSplit(images, parse.GetValue(valSplit), s);
            var options = new TrainingOptions
            {
                Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), LearningRate = (float)parse.GetValue(lr),
                WeightDecay = (float)parse.GetValue(wd), WarmupEpochs = (float)parse.GetValue(warmup), Seed = s, Patience = parse.GetValue(patience),
                ClassWeights = ClassWeights(parse.GetValue(classWeights), train, k),
                Augmentation = parse.GetValue(noAugment) ? AugmentationOptions.None : new AugmentationOptions(),
            };
            return Task.FromResult(Run(network, pre, options, classNames, train, val, parse.GetValue(outDir)!, parse.GetValue(resume), parse, cancel));
        });
        return command;
    }

    static int Run(VisionTransformer network, Preprocessing pre, TrainingOptions options, string[] classNames,
        List<LabelledImage> train, List<LabelledImage> val, string outDir, bool resume, ParseResult parse, CancellationToken cancel)
    {
        string log = Path.Combine(outDir, "training_log.csv");
        using var folderLock = OutputLock.Acquire(outDir, "train", parse);
        // A finished or interrupted run may be hours of work: never start over on top of it silently.
        if (!resume && (File.Exists(log) || File.Exists(Path.Combine(outDir, "model.safetensors"))))
            throw new IOException($"{outDir} already holds a training run (training_log.csv / model.safetensors); use --resume to continue it or another --out");
        var output = ConsoleOutput.Out(parse);
        output.WriteLine($"training {network.Config} on {train.Count} images, validating on {val.Count}; output {outDir}");
        var trainer = new Trainer(network, pre, options, classNames);
        Directory.CreateDirectory(outDir);
        if (!resume || !File.Exists(log)) File.WriteAllText(log, "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,best\n");
        void EpochDone(EpochResult e)
        {
            File.AppendAllText(log, string.Create(CultureInfo.InvariantCulture,
                $"{e.Epoch},{e.TrainLoss:G6},{e.TrainAccuracy:G6},{e.ValidationLoss:G6},{e.ValidationAccuracy:G6},{e.LearningRate:G6},{e.Seconds:F1},{(e.Best ? 1 : 0)}\n"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {e.Epoch}: train loss {e.TrainLoss:F4} acc {e.TrainAccuracy:P1}, val loss {e.ValidationLoss:F4} acc {e.ValidationAccuracy:P1}, {e.Seconds:F0} s{(e.Best ? " (best)" : "")}"));
        }
        IReadOnlyList<EpochResult> history;
        try
        {
            history = Fit(trainer, train, val, outDir, resume, EpochDone, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            int epochs = File.Exists(log) ? File.ReadLines(log).Skip(1).Count(l => l.Length > 0) : 0;
            ConsoleOutput.Error(parse).WriteLine(
                $"vitmix: {epochs} finished epoch(s) kept in {outDir} (model.safetensors = the best so far); run the same command with --resume to continue");
            throw;
        }
        var best = history.Where(h => h.Best).LastOrDefault();
        if (best != null)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"best epoch {best.Epoch}: validation accuracy {best.ValidationAccuracy:P2} ({val.Count} held-out images); saved {Path.Combine(outDir, "model.safetensors")}"));
        return 0;
    }

    /// <summary>Trainer.Fit with a progress bar on an interactive terminal.</summary>
    static IReadOnlyList<EpochResult> Fit(Trainer trainer, List<LabelledImage> train, List<LabelledImage> val, string outDir, bool resume,
        Action<EpochResult> epochDone, CancellationToken cancel)
    {
        IReadOnlyList<EpochResult> history;
        if (!Console.IsErrorRedirected)
        {
            history = [];
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }).Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("epoch", maxValue: 1);
                    history = trainer.Fit(train, val, outDir, resume, p =>
                    {
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3} acc {p.Accuracy:P1}");
                        task.Value = (double)p.Batch / p.Batches;
                    }, epochDone, cancel);
                });
        }
        else history = trainer.Fit(train, val, outDir, resume, null, epochDone, cancel);
        return history;
    }

    /// <summary>timm's sizes (tiny 192/12/3, small 384/12/6, base 768/12/12) and "micro" for small synthetic tasks.</summary>
    internal static VitConfig Architecture(string arch, int? imageSize, int? patch, int? dim, int? depth, int? heads, int classes)
    {
        var (d, l, h, size, p) = arch switch
        {
            "tiny" => (192, 12, 3, 224, 16),
            "small" => (384, 12, 6, 224, 16),
            "base" => (768, 12, 12, 224, 16),
            _ => (96, 4, 3, 64, 8),
        };
        d = dim ?? d; l = depth ?? l; h = heads ?? h; size = imageSize ?? size; p = patch ?? p;
        var config = new VitConfig { ImageHeight = size, ImageWidth = size, PatchSize = p, EmbedDim = d, Depth = l, NumHeads = h, MlpHidden = 4 * d, NumClasses = classes };
        config.Validate();
        return config;
    }

    static float[]? ClassWeights(string? text, List<LabelledImage> train, int k)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (text.Trim().Equals("balanced", StringComparison.OrdinalIgnoreCase))
        {
            // sklearn's "balanced": n / (k · count_c)
            var counts = new int[k];
            foreach (var i in train) counts[i.Label]++;
            return counts.Select(c => c == 0 ? 0f : (float)train.Count / (k * c)).ToArray();
        }
        var values = text.Split(',').Select(v => float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f >= 0
            ? f : throw new ArgumentException($"--class-weights: '{v}' is not a non-negative number")).ToArray();
        return values.Length == k ? values : throw new ArgumentException($"--class-weights gives {values.Length} weights for {k} classes");
    }

    // Decoded images are kept between epochs while they fit in this much memory; the rest are decoded again each
    // epoch (a photo decodes in milliseconds, a ViT step on it takes far longer), so a large ImageFolder cannot
    // exhaust memory.
    const long CacheBudgetBytes = 2L << 30;

    sealed class DecodedImageBudget(long bytes)
    {
        long left = bytes;
        public bool TryTake(long size)
        {
            if (Interlocked.Add(ref left, -size) >= 0) return true;
            Interlocked.Add(ref left, size); // did not fit: give it back
            return false;
        }
    }

    /// <summary>Loads an image once and keeps it while the budget allows (training revisits every image each epoch).</summary>
    static Func<RgbImage> Cached(Func<RgbImage> load, DecodedImageBudget budget)
    {
        RgbImage? image = null;
        bool uncached = false;
        return () =>
        {
            if (image != null) return image;
            var decoded = load();
            if (!uncached && budget.TryTake(decoded.Pixels.LongLength)) image = decoded;
            else uncached = true;
            return decoded;
        };
    }
}
