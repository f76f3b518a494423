using Vitmix.Rendering;
using Vitmix.Data;
using Vitmix.Data.Datasets;
using Vitmix.Evaluation.MapMetrics;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>Progress of an evaluation: images done (evaluated or skipped) of the images this shard owns.</summary>
public sealed record EvaluationProgress(int Done, int Total, string Image);

/// <summary>A checked evaluation about to run: the images this shard owns (with their dataset index) and those already finished.</summary>
public sealed class EvaluationPlan
{
    internal EvaluationPlan(EvaluationStore store, IReadOnlyList<(SegmentationSample Sample, int Index)> samples, IReadOnlySet<string> done)
    {
        Store = store;
        Samples = samples;
        Done = done;
    }

    /// <summary>Where the rows go.</summary>
    public EvaluationStore Store { get; }
    internal IReadOnlyList<(SegmentationSample Sample, int Index)> Samples { get; }
    internal IReadOnlySet<string> Done { get; }
    /// <summary>Images this shard owns.</summary>
    public int Images => Samples.Count;
    /// <summary>Of those, images a resumed run has finished already.</summary>
    public int Finished => Samples.Count(s => Done.Contains(s.Sample.Name));
}

/// <summary>
/// Evaluates explanation maps as segmentations on a dataset, image by image: one shared explanation pass per image,
/// every single map and combination fused, upsampled, normalised and thresholded, scored against each annotator's
/// ground truth (void excluded), and its deletion/insertion curves (RISE) computed in batches; the rows are appended
/// to the run folder as each image finishes (<see cref="EvaluationStore"/>), so a killed run resumes losslessly.
/// </summary>
public sealed class EvaluationRunner(LoadedModel model, EvaluationSettings settings)
{
    string? modelHash;
    long curveImagesRequested, curveImagesForwarded;

    /// <summary>Perturbed images the curves of the images evaluated so far have in all.</summary>
    public long CurveImagesRequested => Interlocked.Read(ref curveImagesRequested);

    /// <summary>Of those, the images actually forwarded: the rest were shared between curves (<see cref="CurveSet"/>).</summary>
    public long CurveImagesForwarded => Interlocked.Read(ref curveImagesForwarded);

    /// <summary>The model's fingerprint, hashed once per runner (a ViT-B checkpoint takes about a second).</summary>
    string ModelHash => modelHash ??= ModelFingerprint.Compute(model);

    /// <summary>Runs the images of <paramref name="dataset"/> this shard owns into <paramref name="store"/> (<see cref="Prepare"/>, then <see cref="Run(EvaluationPlan, Action{EvaluationProgress}?, CancellationToken)"/>).</summary>
    public void Run(ISegmentationDataset dataset, EvaluationStore store, Action<EvaluationProgress>? progress = null, CancellationToken cancel = default) =>
        Run(Prepare(dataset, store), progress, cancel);

    /// <summary>
    /// Lists the images of <paramref name="dataset"/> this shard owns (so missing files are found) and checks the
    /// folder (<see cref="EvaluationStore.Prepare"/>), writing nothing.
    /// </summary>
    public EvaluationPlan Prepare(ISegmentationDataset dataset, EvaluationStore store)
    {
        RequireMasks(dataset);
        if (settings.Protocol == EvaluationProtocol.Chefer && settings.Threshold is not Fusion.Thresholds.MeanThreshold)
            throw new ArgumentException($"Chefer's protocol thresholds the maps at their mean, not with {settings.Threshold.Name}");
        var all = dataset.Samples().ToList();
        var samples = all.Select((s, i) => (Sample: s, Index: i))
            .Where(x => x.Index % settings.Shard.Count == settings.Shard.Index).ToList();
        var done = store.Prepare(Describe(dataset, all.Count, samples.Count), settings.ExistingRun);
        return new EvaluationPlan(store, samples, done);
    }

    /// <summary>Evaluates the images of <paramref name="plan"/> not finished yet, appending each to its store as it finishes.</summary>
    public void Run(EvaluationPlan plan, Action<EvaluationProgress>? progress = null, CancellationToken cancel = default)
    {
        int finished = 0;
        foreach (var (sample, index) in plan.Samples)
        {
            cancel.ThrowIfCancellationRequested();
            if (!plan.Done.Contains(sample.Name))
            {
                EvaluateImage(sample, index, plan.Store, cancel);
                ReleaseActivations();
            }
            progress?.Invoke(new(++finished, plan.Samples.Count, sample.Name));
        }
        plan.Store.Begin(); // a shard without images still gets its (empty) files
    }

    /// <summary>
    /// Lets go of the activation buffers the image's passes kept for reuse. The arena keeps arrays by exact length,
    /// and the last curve batch of each image has its own size (what is left of that image's distinct perturbed
    /// images), so over a dataset it would come to hold a ViT-B activation set for every batch size up to the curve
    /// batch: gigabytes, growing with the model. Refilling the arena costs one first touch per image (well under a
    /// second on ViT-B, against minutes of curves); the collection returns the memory before the next image asks.
    /// </summary>
    void ReleaseActivations()
    {
        model.Network.Buffers.Clear();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
    }

    /// <summary>How max-sensitivity is measured, for run.json: resumed runs and merged shards must agree.</summary>
    string SensitivityDescription => settings.SensitivitySamples == 0 ? "none" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{settings.SensitivitySamples} x r={settings.SensitivityRadius:R} seed {settings.SensitivitySeed}");

    /// <summary>How ROAD is measured, for run.json: resumed runs and merged shards must agree.</summary>
    string RoadDescription => !settings.Road ? "none" : string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"noisy-linear sigma={NoisyLinearImputer.DefaultNoise:R} fractions {string.Join(" ", settings.RoadFractions.Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))} seed {settings.RoadSeed}");

    /// <summary>The run.json of this evaluation of <paramref name="dataset"/>.</summary>
    RunInfo Describe(ISegmentationDataset dataset, int images, int shardImages)
    {
        var c = model.Config;
        return new RunInfo(model.WeightsPath, dataset.Name, c.NumClasses, settings.MapIds.Select(m => m.DisplayName).ToList(), settings.Threshold.Name,
            settings.PerturbationSteps, settings.DeletionRanking.ToString().ToLowerInvariant(), settings.MinConfidence,
            settings.Target.ToString().ToLowerInvariant(), settings.Shard.Index, settings.Shard.Count,
            Enumerable.Range(0, c.NumClasses).Select(model.ClassName).ToList(),
            images, shardImages, settings.PerturbationSteps > 0 && settings.Insertion, settings.Explainers.Settings,
            ModelHash, RunInfo.CurrentCodeVersion, settings.CurveFractions,
            settings.Protocol.ToString().ToLowerInvariant(), settings.PointingTolerance, SensitivityDescription,
            settings.Perturbation.ToString().ToLowerInvariant(), RoadDescription, settings.Road ? settings.RoadFractions : null);
    }

    void EvaluateImage(SegmentationSample sample, int index, EvaluationStore store, CancellationToken cancel)
    {
        var c = model.Config;
        var pre = model.Preprocessing;
        int h = c.ImageHeight, w = c.ImageWidth;
        var (shown, input, masks) = PreparedSample.Load(sample, pre, c);
        var truths = masks.Select(m => (m.Annotator, Labels: MaskGeometry.ToModelInput(m, pre))).ToList();

        int[]? target = null;
        if (settings.Target == TargetPolicy.Label && sample.ClassLabel is int label)
        {
            if (label < 0 || label >= c.NumClasses) throw new InvalidDataException($"{sample.Name}: label {label} is not one of the model's {c.NumClasses} classes (use the predicted class)");
            target = [label];
        }
        var e = settings.Explainers.Explain(model.Network, input, target)[0];
        if (e.PredictedProbability < settings.MinConfidence)
        {
            store.Append(sample.Name, [], [], $"skipped: top-1 probability {e.PredictedProbability:0.####} < {settings.MinConfidence}");
            return;
        }
        var results = CombinationEvaluator.Run(e.Maps, settings.Maps, h, w, settings.Threshold);
        var rows = new List<ResultRow>();
        var curves = new List<CurveRow>();
        // Every curve of the image at once: the images two curves share (the unperturbed one, coinciding prefixes)
        // are forwarded once, and the batches are full.
        var deletion = new int[results.Count];
        var insertion = new int[results.Count];
        IReadOnlyList<PerturbationCurve>? computed = null;
        if (settings.PerturbationSteps > 0 && settings.Perturbation != PerturbationMode.Token)
        {
            var set = new CurveSet(model.Network, input, new PerturbationOptions
            {
                Steps = settings.PerturbationSteps, Fractions = settings.CurveFractions, BatchSize = settings.PerturbationBatchSize,
                TargetClass = e.TargetClass, NormalizationMean = pre.Mean, NormalizationStd = pre.Std,
            });
            for (int i = 0; i < results.Count; i++)
            {
                var r = results[i];
                deletion[i] = settings.DeletionRanking == DeletionRanking.Mask
                    ? set.Add(CurveKind.Deletion, PixelOrder.FromMask(r.Mask.Mask))
                    : set.Add(CurveKind.Deletion, r.Mask.Normalized);
                insertion[i] = settings.Insertion ? set.Add(CurveKind.Insertion, r.Mask.Normalized) : -1;
            }
            var done = set.Compute(cancel);
            computed = done.Curves;
            Interlocked.Add(ref curveImagesRequested, done.RequestedImages);
            Interlocked.Add(ref curveImagesForwarded, done.EvaluatedImages);
        }
        // Token curves: the grids rank the patches, which are dropped from the sequence rather than painted over.
        PerturbationCurve[]? tokenDeletion = null, tokenInsertion = null;
        if (settings.PerturbationSteps > 0 && settings.Perturbation != PerturbationMode.Pixel)
        {
            var grids = results.Select(r => r.Grid.Values).ToList();
            tokenDeletion = TokenCurves.Compute(model.Network, input, e.TargetClass, grids, CurveKind.Deletion, settings.PerturbationSteps, settings.PerturbationBatchSize, e.TargetProbability, cancel);
            if (settings.Insertion)
                tokenInsertion = TokenCurves.Compute(model.Network, input, e.TargetClass, grids, CurveKind.Insertion, settings.PerturbationSteps, settings.PerturbationBatchSize, e.TargetProbability, cancel);
        }
        // ROAD: the pixel maps rank the pixels, which are imputed from their neighbours; the noise streams follow the
        // dataset index, so shards and resumed runs draw the same noise for an image.
        RoadCurve[]? road = settings.Road
            ? RoadCurves.Compute(model.Network, input, e.TargetClass, results.Select(r => r.Mask.Normalized).ToList(), RoadCurves.NoiseScale(pre.Std),
                settings.RoadSeed, index, settings.RoadFractions, batchSize: settings.PerturbationBatchSize, cancel: cancel)
            : null;
        var scorer = new MapScorer(h, w, settings.PointingTolerance);
        double[]? sensitivity = settings.SensitivitySamples > 0 ? MeasureSensitivity(input, index, e.TargetClass, results, cancel) : null;
        for (int i = 0; i < results.Count; i++)
        {
            var r = results[i];
            double deletionAuc = double.NaN, insertionAuc = double.NaN;
            if (computed is not null)
            {
                var del = computed[deletion[i]];
                deletionAuc = del.Auc;
                curves.Add(new CurveRow(sample.Name, r.Id, "deletion", del.Probabilities));
                if (insertion[i] >= 0)
                {
                    var ins = computed[insertion[i]];
                    insertionAuc = ins.Auc;
                    curves.Add(new CurveRow(sample.Name, r.Id, "insertion", ins.Probabilities));
                }
            }
            if (tokenDeletion is not null) curves.Add(new CurveRow(sample.Name, r.Id, TokenCurveKinds.Deletion, tokenDeletion[i].Probabilities));
            if (tokenInsertion is not null) curves.Add(new CurveRow(sample.Name, r.Id, TokenCurveKinds.Insertion, tokenInsertion[i].Probabilities));
            if (road is not null)
            {
                curves.Add(new CurveRow(sample.Name, r.Id, RoadCurveKinds.Morf, road[i].Morf));
                curves.Add(new CurveRow(sample.Name, r.Id, RoadCurveKinds.Lerf, road[i].Lerf));
            }
            foreach (var (annotator, labels) in truths)
            {
                var counts = ConfusionCounts.Count(r.Mask.Mask, labels);
                var s = counts.Scores();
                rows.Add(new ResultRow(sample.Name, e.TargetClass, e.TargetProbability, r.Id,
                    s.Iou, s.F1, s.PixelAccuracy, s.Recall, s.Precision, deletionAuc, insertionAuc, annotator, r.Mask.Threshold)
                {
                    Counts = counts,
                    MapScores = scorer.Score(r.Grid, r.Mask.Normalized, labels),
                    CheferAveragePrecision = settings.Protocol == EvaluationProtocol.Chefer
                        ? CheferSegmentationAccumulator.AveragePrecisionOf(r.Mask.Normalized, labels) : double.NaN,
                    MaxSensitivity = sensitivity is null ? double.NaN : sensitivity[i],
                    TokenDeletionAuc = tokenDeletion is null ? double.NaN : tokenDeletion[i].Auc,
                    TokenInsertionAuc = tokenInsertion is null ? double.NaN : tokenInsertion[i].Auc,
                    RoadMorf = road is null ? double.NaN : road[i].MorfMean,
                    RoadLerf = road is null ? double.NaN : road[i].LerfMean,
                    RoadGap = road is null ? double.NaN : road[i].Gap,
                });
            }
        }
        // Everything is computed: only now may the folder change (a failure above leaves it as it was).
        store.Begin();
        if (index < settings.ReportImages) WriteTiles(store.Folder, sample.Name, shown, truths, results);
        if (settings.Theory) WriteTheory(store.Folder, sample.Name, results, truths);
        store.Append(sample.Name, rows, curves);
    }

    /// <summary>
    /// Max-sensitivity of every map of the image (<see cref="MaxSensitivity"/>): the explanation pass re-run on
    /// perturbed copies in batches, for the class the original explains, each copy's maps fused as the original's.
    /// </summary>
    double[] MeasureSensitivity(Tensor input, int index, int targetClass, IReadOnlyList<CombinationResult> results, CancellationToken cancel)
    {
        int n = settings.SensitivitySamples, channels = input.Shape[1];
        var copies = MaxSensitivity.PerturbedCopies(input, n, settings.SensitivityRadius, model.Preprocessing.Std, settings.SensitivitySeed,
            (long)index * n * channels);
        var worst = new double[results.Count];
        int size = input.Data.Length, batch = Math.Max(1, settings.PerturbationBatchSize);
        for (int start = 0; start < n; start += batch)
        {
            cancel.ThrowIfCancellationRequested();
            int count = Math.Min(batch, n - start);
            var chunk = new Tensor(copies.Data.AsSpan(start * size, count * size).ToArray(), [count, .. input.Shape[1..]]);
            var explained = settings.Explainers.Explain(model.Network, chunk, [.. Enumerable.Repeat(targetClass, count)]);
            foreach (var x in explained)
                for (int i = 0; i < results.Count; i++)
                {
                    double change = MaxSensitivity.RelativeChange(results[i].Grid.Values, results[i].Spec.Apply(x.Maps).Values);
                    // An undefined change (a map of zeros) stays undefined: it must not read as perfectly robust.
                    if (double.IsNaN(change) || change > worst[i]) worst[i] = double.IsNaN(worst[i]) ? worst[i] : change;
                }
        }
        return worst;
    }

    void WriteTiles(RunFolder folder, string name, RgbImage shown, List<(string Annotator, byte[] Labels)> truths, IReadOnlyList<CombinationResult> results)
    {
        string dir = folder.ImageTilesDirectory(name);
        Directory.CreateDirectory(dir);
        ImageLoader.SavePng(Path.Combine(dir, RunFolder.ImageTile), shown);
        int w = shown.Width, h = shown.Height;
        var (_, truth) = truths.FirstOrDefault(t => t.Annotator is "" or "majority");
        if (truth != null)
        {
            var gt = truth.Select(v => v == GroundTruthMask.Void ? (byte)128 : v).ToArray();
            MaskImageWriter.WriteMask(Path.Combine(dir, RunFolder.TruthTile), gt.Select(v => v == 128 ? (byte)0 : v).ToArray(), w, h);
        }
        for (int i = 0; i < results.Count; i++)
        {
            var r = results[i];
            MaskImageWriter.WriteOverlay(Path.Combine(dir, RunFolder.OverlayTile(i, r.Id)), shown, r.Mask.Normalized, w, h, settings.Colormap, 0.5f);
            MaskImageWriter.WriteMask(Path.Combine(dir, RunFolder.MaskTile(i, r.Id)), r.Mask.Mask, w, h);
        }
    }

    static void WriteTheory(RunFolder folder, string name, IReadOnlyList<CombinationResult> results, List<(string Annotator, byte[] Labels)> truths)
    {
        Directory.CreateDirectory(folder.TheoryDirectory);
        var singles = results.Where(r => r.Id.IsSingle).ToList();
        var truth = truths.FirstOrDefault(t => t.Annotator is "" or "majority").Labels ?? truths[0].Labels;
        int n = truth.Length;
        var data = new byte[(singles.Count + 1) * n];
        for (int i = 0; i < singles.Count; i++) singles[i].Mask.Mask.CopyTo(data, i * n);
        truth.CopyTo(data, singles.Count * n);
        Npy.WriteUInt8(folder.TheoryPath(name), data, singles.Count + 1, n);
        File.WriteAllLines(folder.TheoryMethodsPath, singles.Select(s => s.Spec.Methods[0]));
    }

    /// <summary>Throws before any output is written when <paramref name="dataset"/> has no masks to score against.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="shownAs">How the user named it (e.g. the --dataset spec with its path); default its name.</param>
    public static void RequireMasks(ISegmentationDataset dataset, string? shownAs = null)
    {
        if (!dataset.HasMasks)
            throw new InvalidDataException(
                $"{shownAs ?? dataset.Name}: no masks, so explanation masks cannot be scored (evaluate needs folder:DIR " +
                "with DIR/masks/NAME.png, voc:, ph2:, imagenet-seg: or synth:; an imagefolder: tree is for training)");
    }
}
