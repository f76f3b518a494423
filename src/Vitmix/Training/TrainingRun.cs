using System.Globalization;
using Vitmix.Data;
using Vitmix.Data.Datasets;
using Vitmix.Model;

namespace Vitmix.Training;

/// <summary>What a training run starts from: a checkpoint to fine-tune, or an architecture to train from scratch.</summary>
public sealed record TrainingRunSettings
{
    /// <summary>A loaded checkpoint to fine-tune (its head replaced when the class count differs), or null.</summary>
    public LoadedModel? BaseModel { get; init; }

    /// <summary>The architecture of a new model (<see cref="ArchitecturePresets"/>) when there is no base model.</summary>
    public VitConfig? Architecture { get; init; }

    /// <summary>Classes to train (default: the dataset's).</summary>
    public int? Classes { get; init; }

    /// <summary>Held-out fraction per class for validation and early stopping, in [0, 1).</summary>
    public double ValidationSplit { get; init; } = 0.2;

    /// <summary>"balanced" or per-class weights, or null for none.</summary>
    public string? ClassWeights { get; init; }

    /// <summary>The optimiser, schedule and augmentation (its class weights are set from <see cref="ClassWeights"/>).</summary>
    public TrainingOptions Options { get; init; } = new();

    /// <summary>Decoded images kept between epochs, in bytes.</summary>
    public long ImageCacheBytes { get; init; } = DecodedImageCache.DefaultBudget;
}

/// <summary>A training run folder already holds a run and it was not asked to resume it.</summary>
public sealed class ExistingTrainingRunException(string folder)
    : IOException($"{folder} already holds a training run (training_log.csv / model.safetensors)")
{
    /// <summary>The run folder.</summary>
    public string Folder { get; } = folder;
}

/// <summary>
/// A training run (the library half of <c>vitmix train</c>): the dataset's labelled images with a decoded-image cache,
/// the model to train (fine-tuned with a new head, or new from an architecture), the stratified split, and the run
/// folder: model.safetensors + config.json (best epoch), last.safetensors, the optimizer state and training_log.csv,
/// appended epoch by epoch so a stopped run resumes.
/// </summary>
public sealed class TrainingRun
{
    /// <summary>The log's header; one row per finished epoch follows.</summary>
    public const string LogHeader = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,best";

    TrainingRun(VisionTransformer network, Preprocessing preprocessing, string[] classNames, List<LabelledImage> train,
        List<LabelledImage> validation, TrainingOptions options) =>
        (Network, Preprocessing, ClassNames, Train, Validation, Options) = (network, preprocessing, classNames, train, validation, options);

    /// <summary>The model being trained.</summary>
    public VisionTransformer Network { get; }

    /// <summary>Its eval preprocessing, saved with it.</summary>
    public Preprocessing Preprocessing { get; }

    /// <summary>Its class names, saved with it.</summary>
    public string[] ClassNames { get; }

    /// <summary>The training images.</summary>
    public IReadOnlyList<LabelledImage> Train { get; }

    /// <summary>The held-out images.</summary>
    public IReadOnlyList<LabelledImage> Validation { get; }

    /// <summary>The options in use, class weights resolved.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Prepares a run on <paramref name="data"/>: every image needs a class label.</summary>
    public static TrainingRun Prepare(ISegmentationDataset data, TrainingRunSettings settings)
    {
        var cache = new DecodedImageCache(settings.ImageCacheBytes);
        var classNames = data.ClassNames?.ToArray();
        var images = data.Samples().Select(s => new LabelledImage(s.Name,
            s.ClassLabel ?? throw new InvalidDataException($"{data.Name}: image {s.Name} has no class label (labels.csv / metadata needed for training)"),
            cache.Wrap(s.LoadImage))).ToList();
        if (images.Count == 0) throw new InvalidDataException($"{data.Name}: no images to train on");
        int k = settings.Classes ?? (classNames?.Length ?? images.Max(i => i.Label) + 1);
        classNames = classNames != null && classNames.Length == k ? classNames : Enumerable.Range(0, k).Select(i => $"class {i}").ToArray();

        int seed = settings.Options.Seed;
        VisionTransformer network;
        Preprocessing pre;
        if (settings.BaseModel is { } loaded)
        {
            network = loaded.Config.NumClasses == k ? loaded.Network : HeadReplacement.WithNewHead(loaded.Network, k, seed);
            pre = loaded.Preprocessing;
        }
        else
        {
            var config = (settings.Architecture ?? ArchitecturePresets.Create("micro", k)) with { NumClasses = k };
            network = new VisionTransformer(config, VitInitializer.Create(config, seed));
            pre = new Preprocessing { InputHeight = config.ImageHeight, InputWidth = config.ImageWidth, Resize = ResizeMode.Squash, Interpolation = "bilinear", CropPct = 1.0 };
        }
        var (train, validation) = Trainer.StratifiedSplit(images, settings.ValidationSplit, seed);
        var options = settings.ClassWeights is { } w ? settings.Options with { ClassWeights = Training.ClassWeights.Parse(w, train, k) } : settings.Options;
        return new TrainingRun(network, pre, classNames, train, validation, options);
    }

    /// <summary>
    /// Trains into <paramref name="folder"/>: refuses a folder that holds a run unless <paramref name="resume"/>, then
    /// appends each finished epoch to training_log.csv and returns the history.
    /// </summary>
    public IReadOnlyList<EpochResult> Run(string folder, bool resume, Action<TrainingProgress>? progress = null,
        Action<EpochResult>? epochDone = null, CancellationToken cancel = default)
    {
        string log = LogPath(folder);
        // A finished or interrupted run may be hours of work: never start over on top of it silently.
        if (!resume && (File.Exists(log) || File.Exists(Path.Combine(folder, "model.safetensors")))) throw new ExistingTrainingRunException(folder);
        var trainer = new Trainer(Network, Preprocessing, Options, ClassNames);
        Directory.CreateDirectory(folder);
        if (!resume || !File.Exists(log)) File.WriteAllText(log, LogHeader + "\n");
        return trainer.Fit(Train, Validation, folder, resume, progress, e =>
        {
            File.AppendAllText(log, string.Create(CultureInfo.InvariantCulture,
                $"{e.Epoch},{e.TrainLoss:G6},{e.TrainAccuracy:G6},{e.ValidationLoss:G6},{e.ValidationAccuracy:G6},{e.LearningRate:G6},{e.Seconds:F1},{(e.Best ? 1 : 0)}\n"));
            epochDone?.Invoke(e);
        }, cancel);
    }

    /// <summary>The training log of a run folder.</summary>
    public static string LogPath(string folder) => Path.Combine(folder, "training_log.csv");

    /// <summary>Epochs a run folder has finished (rows of its log).</summary>
    public static int FinishedEpochs(string folder) =>
        File.Exists(LogPath(folder)) ? File.ReadLines(LogPath(folder)).Skip(1).Count(l => l.Length > 0) : 0;
}
