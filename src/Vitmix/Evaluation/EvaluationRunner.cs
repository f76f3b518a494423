using Vitmix.Rendering;
using Vitmix.Data;
using Vitmix.Data.Datasets;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>Progress of an evaluation: images done (evaluated or skipped) of the images this shard owns.</summary>
public sealed record EvaluationProgress(int Done, int Total, string Image);

/// <summary>
/// Evaluates explanation maps as segmentations on a dataset, image by image: one shared explanation pass per image,
/// every single map and combination fused, upsampled, normalised and thresholded, scored against each annotator's
/// ground truth (void excluded), and its deletion/insertion curves (RISE) computed in batches; the rows are appended
/// to the run folder as each image finishes (<see cref="EvaluationStore"/>), so a killed run resumes losslessly.
/// </summary>
public sealed class EvaluationRunner(LoadedModel model, EvaluationSettings settings)
{
    /// <summary>Runs the images of <paramref name="dataset"/> this shard owns into <paramref name="store"/>.</summary>
    public void Run(ISegmentationDataset dataset, EvaluationStore store, Action<EvaluationProgress>? progress = null, CancellationToken cancel = default)
    {
        RequireMasks(dataset);
        var c = model.Config;
        var info = new RunInfo(model.WeightsPath, dataset.Name, c.NumClasses, settings.Maps.Select(m => m.Name).ToList(), settings.Threshold.Name,
            settings.PerturbationSteps, settings.DeletionRanking.ToString().ToLowerInvariant(), settings.MinConfidence,
            settings.Target.ToString().ToLowerInvariant(), settings.Shard.Index, settings.Shard.Count,
            Enumerable.Range(0, c.NumClasses).Select(model.ClassName).ToList());
        var done = store.Open(info, settings.Resume);
        var samples = dataset.Samples().Select((s, i) => (Sample: s, Index: i))
            .Where(x => x.Index % settings.Shard.Count == settings.Shard.Index).ToList();
        int finished = 0;
        foreach (var (sample, index) in samples)
        {
            cancel.ThrowIfCancellationRequested();
            if (done.Contains(sample.Name)) { progress?.Invoke(new(++finished, samples.Count, sample.Name)); continue; }
            EvaluateImage(sample, index, store, cancel);
            progress?.Invoke(new(++finished, samples.Count, sample.Name));
        }
    }

    void EvaluateImage(SegmentationSample sample, int index, EvaluationStore store, CancellationToken cancel)
    {
        var c = model.Config;
        var pre = model.Preprocessing;
        int h = c.ImageHeight, w = c.ImageWidth;
        RgbImage shown;
        try { shown = ImagePreprocessor.ResizeAndCrop(sample.LoadImage(), pre); }
        catch (Exception ex) when (ex is InvalidDataException or IOException) { throw new InvalidDataException($"{sample.Name}: {ex.Message}", ex); }
        var input = new Tensor(1, c.InChannels, h, w);
        ImagePreprocessor.Normalize(shown, pre, input.Data);
        var truths = sample.LoadMasks().Select(m => (m.Annotator, Labels: MaskGeometry.ToModelInput(m, pre))).ToList();

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
        var options = new PerturbationOptions
        {
            Steps = settings.PerturbationSteps, BatchSize = settings.PerturbationBatchSize, TargetClass = e.TargetClass,
            NormalizationMean = pre.Mean, NormalizationStd = pre.Std,
        };
        foreach (var r in results)
        {
            cancel.ThrowIfCancellationRequested();
            double deletion = double.NaN, insertion = double.NaN;
            if (settings.PerturbationSteps > 0)
            {
                var del = settings.DeletionRanking == DeletionRanking.Mask
                    ? new DeletionCurve(model.Network, options).Compute(input, PixelOrder.FromMask(r.Mask.Mask))
                    : new DeletionCurve(model.Network, options).Compute(input, r.Mask.Normalized);
                deletion = del.Auc;
                curves.Add(new CurveRow(sample.Name, MapName(r.Spec), "deletion", del.Probabilities));
                if (settings.Insertion)
                {
                    var ins = new InsertionCurve(model.Network, options).Compute(input, r.Mask.Normalized);
                    insertion = ins.Auc;
                    curves.Add(new CurveRow(sample.Name, MapName(r.Spec), "insertion", ins.Probabilities));
                }
            }
            foreach (var (annotator, labels) in truths)
            {
                var s = ConfusionCounts.Count(r.Mask.Mask, labels).Scores();
                rows.Add(new ResultRow(sample.Name, e.TargetClass, e.TargetProbability, string.Join("+", r.Spec.Methods), r.Spec.Fusion,
                    settings.Threshold.Name, s.Iou, s.F1, s.PixelAccuracy, s.Recall, s.Precision, deletion, insertion, annotator, r.Mask.Threshold));
            }
        }
        if (index < settings.ReportImages) WriteTiles(store, sample.Name, shown, truths, results);
        if (settings.Theory) WriteTheory(store, sample.Name, results, truths);
        store.Append(sample.Name, rows, curves);
    }

    static string MapName(FusionSpec spec) => spec.Fusion == FusionRules.Single ? spec.Methods[0] : spec.Name;

    void WriteTiles(EvaluationStore store, string name, RgbImage shown, List<(string Annotator, byte[] Labels)> truths, IReadOnlyList<CombinationResult> results)
    {
        string dir = Path.Combine(store.TilesDirectory, SafeName(name));
        Directory.CreateDirectory(dir);
        ImageLoader.SavePng(Path.Combine(dir, "0_image.png"), shown);
        int w = shown.Width, h = shown.Height;
        var (_, truth) = truths.FirstOrDefault(t => t.Annotator is "" or "majority");
        if (truth != null)
        {
            var gt = truth.Select(v => v == GroundTruthMask.Void ? (byte)128 : v).ToArray();
            MaskImageWriter.WriteMask(Path.Combine(dir, "1_truth.png"), gt.Select(v => v == 128 ? (byte)0 : v).ToArray(), w, h);
        }
        int i = 0;
        foreach (var r in results)
        {
            string map = MapName(r.Spec);
            MaskImageWriter.WriteOverlay(Path.Combine(dir, $"{2 + i:D3}_{map}.png"), shown, r.Mask.Normalized, w, h, settings.Colormap, 0.5f);
            MaskImageWriter.WriteMask(Path.Combine(dir, $"{2 + i:D3}_{map}.mask.png"), r.Mask.Mask, w, h);
            i++;
        }
    }

    static void WriteTheory(EvaluationStore store, string name, IReadOnlyList<CombinationResult> results, List<(string Annotator, byte[] Labels)> truths)
    {
        Directory.CreateDirectory(store.TheoryDirectory);
        var singles = results.Where(r => r.Spec.Fusion == FusionRules.Single).ToList();
        var truth = truths.FirstOrDefault(t => t.Annotator is "" or "majority").Labels ?? truths[0].Labels;
        int n = truth.Length;
        var data = new byte[(singles.Count + 1) * n];
        for (int i = 0; i < singles.Count; i++) singles[i].Mask.Mask.CopyTo(data, i * n);
        truth.CopyTo(data, singles.Count * n);
        Npy.WriteUInt8(Path.Combine(store.TheoryDirectory, SafeName(name) + ".npy"), data, singles.Count + 1, n);
        File.WriteAllLines(Path.Combine(store.TheoryDirectory, "methods.txt"), singles.Select(s => s.Spec.Methods[0]));
    }

    internal static string SafeName(string name) => string.Concat(name.Select(ch => Path.GetInvalidFileNameChars().Contains(ch) || ch == ' ' ? '_' : ch));

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
