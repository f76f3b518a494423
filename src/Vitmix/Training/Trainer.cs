using System.Diagnostics;
using Vitmix.Data;
using Vitmix.Model;

namespace Vitmix.Training;

/// <summary>An image with its class, loaded on demand.</summary>
public sealed record LabelledImage(string Name, int Label, Func<RgbImage> Load);

/// <summary>Hyperparameters of a <see cref="Trainer"/> run; <see cref="Validate"/> states their ranges.</summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training set, positive (fewer when <see cref="Patience"/> stops early).</summary>
    public int Epochs { get; init; } = 30;
    /// <summary>Images per optimizer step, positive; the last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Peak learning rate, reached at the end of warmup, positive.</summary>
    public float LearningRate { get; init; } = 1e-3f;
    /// <summary>Floor the cosine decay ends at, ≥ 0 (capped at <see cref="LearningRate"/>).</summary>
    public float MinLearningRate { get; init; } = 1e-6f;
    /// <summary>AdamW's decoupled weight decay λ, ≥ 0, applied to weight matrices only (<see cref="AdamW.Decays"/>).</summary>
    public float WeightDecay { get; init; } = 0.05f;
    /// <summary>Length of the linear warmup in epochs, ≥ 0; fractions count in steps.</summary>
    public float WarmupEpochs { get; init; } = 1f;
    /// <summary>Seed of the shuffling and the augmentations.</summary>
    public int Seed { get; init; }
    /// <summary>Stop after this many epochs without a better validation accuracy (0 = never stop early).</summary>
    public int Patience { get; init; } = 5;
    /// <summary>Per-class loss weights (e.g. inverse frequency for PH2's 80/80/40), or null.</summary>
    public float[]? ClassWeights { get; init; }
    /// <summary>
    /// Label smoothing ε in [0, 1) (Szegedy et al. 2016): the target is 1 − ε on the label plus ε/K on every class;
    /// 0 = plain cross-entropy.
    /// </summary>
    public float LabelSmoothing { get; init; }
    /// <summary>Random augmentations of the training images (the validation images are never augmented).</summary>
    public AugmentationOptions Augmentation { get; init; } = new();

    /// <summary>Throws if a value would make training meaningless (a negative rate, an empty batch, ...).</summary>
    public void Validate()
    {
        static void Check(bool ok, string what) { if (!ok) throw new ArgumentException("training option " + what); }
        Check(Epochs > 0, $"epochs must be positive, got {Epochs}");
        Check(BatchSize > 0, $"batch size must be positive, got {BatchSize}");
        Check(float.IsFinite(LearningRate) && LearningRate > 0, $"learning rate must be positive, got {LearningRate}");
        Check(float.IsFinite(MinLearningRate) && MinLearningRate >= 0, $"minimum learning rate must be ≥ 0, got {MinLearningRate}");
        Check(float.IsFinite(WeightDecay) && WeightDecay >= 0, $"weight decay must be ≥ 0, got {WeightDecay}");
        Check(float.IsFinite(WarmupEpochs) && WarmupEpochs >= 0, $"warmup epochs must be ≥ 0, got {WarmupEpochs}");
        Check(Patience >= 0, $"patience must be ≥ 0, got {Patience}");
        Check(float.IsFinite(LabelSmoothing) && LabelSmoothing is >= 0 and < 1, $"label smoothing must be in [0, 1), got {LabelSmoothing}");
        if (ClassWeights != null)
            Check(ClassWeights.All(w => float.IsFinite(w) && w >= 0) && ClassWeights.Any(w => w > 0),
                "class weights must be ≥ 0 and not all zero");
    }
}

/// <summary>One epoch's numbers, as printed and logged.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss,
    double ValidationAccuracy, float LearningRate, double Seconds, bool Best);

/// <summary>Progress within an epoch: batches done of total, running loss and accuracy.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy);

/// <summary>
/// Supervised training of a <see cref="VisionTransformer"/> with AdamW, warmup + cosine schedule, cross-entropy
/// (optionally class-weighted), augmentation, a held-out validation set, early stopping on validation accuracy,
/// and a checkpoint after every epoch that <c>--resume</c> continues from.
/// </summary>
public sealed class Trainer
{
    readonly VisionTransformer _model;
    readonly Preprocessing _pre;
    readonly TrainingOptions _o;
    readonly string[] _classNames;

    /// <summary>
    /// A trainer that updates <paramref name="model"/>'s weights in place. <paramref name="preprocessing"/> supplies the
    /// normalisation and the eval transform, and is saved with every checkpoint, as are <paramref name="classNames"/>
    /// (one per class). Throws an <see cref="ArgumentException"/> when the class names do not match the model's class
    /// count or an option is out of range.
    /// </summary>
    public Trainer(VisionTransformer model, Preprocessing preprocessing, TrainingOptions options, string[] classNames)
    {
        if (classNames.Length != model.Config.NumClasses)
            throw new ArgumentException($"{classNames.Length} class names for a model with {model.Config.NumClasses} classes");
        options.Validate();
        _model = model;
        _pre = preprocessing;
        _o = options;
        _classNames = classNames;
    }

    /// <summary>
    /// Splits per class so every class keeps its share in both parts (a stratified split), deterministic per seed.
    /// </summary>
    public static (List<LabelledImage> Train, List<LabelledImage> Validation) StratifiedSplit(
        IReadOnlyList<LabelledImage> images, double validationFraction, int seed)
    {
        if (validationFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(validationFraction), "must be in [0, 1)");
        var rng = new Random(seed);
        var train = new List<LabelledImage>();
        var val = new List<LabelledImage>();
        foreach (var group in images.GroupBy(i => i.Label).OrderBy(g => g.Key))
        {
            var list = group.ToList();
            Shuffle(list, rng);
            int nVal = (int)Math.Round(list.Count * validationFraction);
            if (validationFraction > 0 && nVal == 0 && list.Count > 1) nVal = 1;
            val.AddRange(list.Take(nVal));
            train.AddRange(list.Skip(nVal));
        }
        return (train, val);
    }

    /// <summary>
    /// Trains on <paramref name="train"/> and measures <paramref name="validation"/> after every epoch (the training
    /// numbers stand in when it is empty), writing the checkpoints of <see cref="TrainingCheckpoint"/> into
    /// <paramref name="outDir"/>. With <paramref name="resume"/> it continues from the last finished epoch found there.
    /// <paramref name="progress"/> is called after every batch and <paramref name="epochDone"/> after every epoch.
    /// Returns every epoch's numbers, restored ones included. Throws an <see cref="ArgumentException"/> when there are
    /// no training images or a label is outside the model's classes, and <see cref="OperationCanceledException"/>
    /// between batches once <paramref name="cancel"/> is set (the last finished epoch stays on disk).
    /// </summary>
    public IReadOnlyList<EpochResult> Fit(IReadOnlyList<LabelledImage> train, IReadOnlyList<LabelledImage> validation,
        string outDir, bool resume = false, Action<TrainingProgress>? progress = null, Action<EpochResult>? epochDone = null,
        CancellationToken cancel = default)
    {
        if (train.Count == 0) throw new ArgumentException("no training images");
        foreach (var img in train.Concat(validation))
            if (img.Label < 0 || img.Label >= _model.Config.NumClasses)
                throw new ArgumentException($"{img.Name}: label {img.Label} is outside the model's {_model.Config.NumClasses} classes");
        Directory.CreateDirectory(outDir);
        var optimizer = new AdamW { WeightDecay = _o.WeightDecay };
        var history = new List<EpochResult>();
        int startEpoch = 0;
        double bestAccuracy = double.NegativeInfinity, bestLoss = double.PositiveInfinity;
        int sinceBest = 0;
        if (resume && TrainingCheckpoint.TryRestore(outDir, _model, optimizer, out var state))
        {
            startEpoch = state.EpochsDone;
            bestAccuracy = state.BestAccuracy;
            bestLoss = state.BestLoss;
            sinceBest = state.EpochsSinceBest;
            history.AddRange(state.History);
        }
        int batches = (train.Count + _o.BatchSize - 1) / _o.BatchSize;
        var schedule = new LearningRateSchedule(_o.LearningRate, (long)Math.Round(_o.WarmupEpochs * batches),
            (long)_o.Epochs * batches, Math.Min(_o.MinLearningRate, _o.LearningRate)); // a peak below the floor: flat after warmup, never rising
        var grads = VitGradients.ZerosLike(_model.Weights);
        var c = _model.Config;
        for (int epoch = startEpoch; epoch < _o.Epochs; epoch++)
        {
            if (_o.Patience > 0 && sinceBest >= _o.Patience) break;
            var sw = Stopwatch.StartNew();
            var rng = new Random(unchecked(_o.Seed * 1_000_003 + epoch)); // not HashCode.Combine: it is salted per process
            var order = Enumerable.Range(0, train.Count).ToArray();
            Shuffle(order, rng);
            double lossSum = 0; int correct = 0, seen = 0;
            float lr = 0;
            for (int bi = 0; bi < batches; bi++)
            {
                cancel.ThrowIfCancellationRequested();
                var idx = order.Skip(bi * _o.BatchSize).Take(_o.BatchSize).ToArray();
                var (input, labels) = MakeBatch(train, idx, rng);
                using var trace = _model.Run(input, record: true);
                var dLogits = new float[idx.Length * c.NumClasses];
                double loss = CrossEntropy.LossAndGradient(trace.Logits, labels, c.NumClasses, dLogits, _o.ClassWeights, _o.LabelSmoothing);
                VitGradients.Clear(grads);
                new BackwardPass(_model, trace, grads).Run(dLogits);
                lr = schedule.At(optimizer.Step);
                optimizer.Update(Trainable(grads), lr);
                lossSum += loss * idx.Length;
                correct += CountCorrect(trace.Logits, labels, c.NumClasses);
                seen += idx.Length;
                progress?.Invoke(new TrainingProgress(epoch + 1, _o.Epochs, bi + 1, batches, lossSum / seen, (double)correct / seen));
            }
            var (valLoss, valAccuracy) = validation.Count > 0 ? Evaluate(validation) : (lossSum / seen, (double)correct / seen);
            bool best = valAccuracy > bestAccuracy || (valAccuracy == bestAccuracy && valLoss < bestLoss);
            if (best) { bestAccuracy = valAccuracy; bestLoss = valLoss; sinceBest = 0; }
            else sinceBest++;
            var result = new EpochResult(epoch + 1, lossSum / seen, (double)correct / seen, valLoss, valAccuracy, lr, sw.Elapsed.TotalSeconds, best);
            history.Add(result);
            TrainingCheckpoint.Save(outDir, _model, _pre, _classNames, optimizer,
                new TrainingState(epoch + 1, bestAccuracy, bestLoss, sinceBest, history), best);
            epochDone?.Invoke(result);
        }
        return history;
    }

    /// <summary>
    /// Mean loss and accuracy on <paramref name="images"/> through the model's eval preprocessing (the resize, crop and
    /// normalisation <c>predict</c> applies and config.json records), so the held-out accuracy is the one users get.
    /// </summary>
    public (double Loss, double Accuracy) Evaluate(IReadOnlyList<LabelledImage> images)
    {
        var c = _model.Config;
        double loss = 0; int correct = 0;
        for (int start = 0; start < images.Count; start += _o.BatchSize)
        {
            var idx = Enumerable.Range(start, Math.Min(_o.BatchSize, images.Count - start)).ToArray();
            var (input, labels) = EvalBatch(images, idx);
            var logits = _model.Forward(input).Data;
            var scratch = new float[logits.Length];
            loss += CrossEntropy.LossAndGradient(logits, labels, c.NumClasses, scratch) * idx.Length;
            correct += CountCorrect(logits, labels, c.NumClasses);
        }
        return (loss / images.Count, (double)correct / images.Count);
    }

    (Tensor Input, int[] Labels) EvalBatch(IReadOnlyList<LabelledImage> images, int[] idx)
    {
        var c = _model.Config;
        int per = c.InChannels * c.ImageHeight * c.ImageWidth;
        var input = new Tensor(idx.Length, c.InChannels, c.ImageHeight, c.ImageWidth);
        var labels = new int[idx.Length];
        Parallel.For(0, idx.Length, i =>
        {
            var img = images[idx[i]];
            labels[i] = img.Label;
            var shown = ImagePreprocessor.ResizeAndCrop(img.Load(), _pre);
            if (shown.Height != c.ImageHeight || shown.Width != c.ImageWidth)
                throw new ArgumentException(
                    $"{img.Name}: preprocessing gives {shown.Height}x{shown.Width} but the model expects {c.ImageHeight}x{c.ImageWidth}");
            ImagePreprocessor.Normalize(shown, _pre, input.Data.AsSpan(i * per, per));
        });
        return (input, labels);
    }

    (Tensor Input, int[] Labels) MakeBatch(IReadOnlyList<LabelledImage> images, int[] idx, Random? rng)
    {
        var c = _model.Config;
        int per = c.InChannels * c.ImageHeight * c.ImageWidth;
        var input = new Tensor(idx.Length, c.InChannels, c.ImageHeight, c.ImageWidth);
        var labels = new int[idx.Length];
        // Seeds drawn up front so the parallel loop stays deterministic.
        var seeds = idx.Select(_ => rng?.Next() ?? 0).ToArray();
        Parallel.For(0, idx.Length, i =>
        {
            var img = images[idx[i]];
            labels[i] = img.Label;
            Augmentation.Apply(img.Load(), c.ImageHeight, c.ImageWidth, _pre.Mean, _pre.Std,
                rng == null ? AugmentationOptions.None : _o.Augmentation, rng == null ? null : new Random(seeds[i]),
                input.Data.AsSpan(i * per, per));
        });
        return (input, labels);
    }

    IEnumerable<(string, float[], float[])> Trainable(VitWeights grads)
    {
        var g = grads.Named().ToDictionary(p => p.Name, p => p.Data);
        foreach (var (name, data) in _model.Weights.Named())
            if (!name.EndsWith(".gamma")) yield return (name, data, g[name]);
    }

    static int CountCorrect(ReadOnlySpan<float> logits, int[] labels, int k)
    {
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (Probabilities.ArgMax(logits.Slice(i * k, k)) == labels[i]) correct++;
        }
        return correct;
    }

    static void Shuffle<T>(IList<T> list, Random rng)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}

/// <summary>Where training stands, saved beside each checkpoint so a run can resume.</summary>
public sealed record TrainingState(int EpochsDone, double BestAccuracy, double BestLoss, int EpochsSinceBest, IReadOnlyList<EpochResult> History);
