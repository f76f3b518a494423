using System.Globalization;
using Vitmix.Data;
using Vitmix.Data.Datasets;
using Vitmix.Engine;
using Vitmix.Evaluation.Report;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;
using Vitmix.Model;

namespace Vitmix.Evaluation.FusionFitting;

/// <summary>How a fusion is learned and judged.</summary>
public sealed record FusionFitSettings
{
    /// <summary>Candidates beyond this are refused: each is scored on every training image.</summary>
    public const int MaxCandidates = 2000;

    /// <summary>The methods whose grid maps are fused (their explainers run once per image).</summary>
    public required ExplainerSet Explainers { get; init; }
    /// <summary>What the training split is scored on.</summary>
    public FitObjective Objective { get; init; } = FitObjective.Iou;
    /// <summary>Grid step of the weights on the simplex (0.1: weights 0, 0.1, …, 1).</summary>
    public double WeightStep { get; init; } = 0.1;
    /// <summary>Share of the images the weights are learned on; the rest judge them.</summary>
    public double TrainFraction { get; init; } = 0.5;
    /// <summary>Seed of the random split.</summary>
    public int SplitSeed { get; init; }
    /// <summary>The mask threshold of every map compared (and the learned one's unless <see cref="LearnThreshold"/>).</summary>
    public IMaskThreshold Threshold { get; init; } = new OtsuThreshold();
    /// <summary>Also choose the learned fusion's threshold rule on the training split (IoU and F1 objectives).</summary>
    public bool LearnThreshold { get; init; }
    /// <summary>Steps of the deletion curves of the deletion objective.</summary>
    public int DeletionSteps { get; init; } = 20;
    /// <summary>Rules of the fixed fusions the learned one is compared with.</summary>
    public IReadOnlyList<string> FixedFusions { get; init; } = ["gmean", "product"];
}

/// <summary>One image prepared for fitting: its input, the methods' grid maps, its masks in the model's geometry and the class explained.</summary>
public sealed record FitSample(string Name, Tensor Input, IReadOnlyDictionary<string, Heatmap> Maps, IReadOnlyList<byte[]> Truths, int Target);

/// <summary>A map chosen on the training split and scored on the held-out one.</summary>
/// <param name="Spec">Methods, rule and weights.</param>
/// <param name="Threshold">Its mask threshold.</param>
/// <param name="TrainScore">The mean objective on the training split.</param>
/// <param name="Test">The mean objective on the held-out split, with its 95 % interval.</param>
/// <param name="TestScores">The held-out images' scores, in split order.</param>
public sealed record FittedMap(FusionSpec Spec, IMaskThreshold Threshold, double TrainScore, MeanInterval Test, double[] TestScores)
{
    /// <summary>The spec as <c>--combos</c> reads it: <c>wgmean(lrp:0.6,rollout:0.4)</c>, <c>gmean(lrp,rollout)</c> or a method.</summary>
    public string SpecText => FusionFitter.SpecText(Spec);
}

/// <summary>What fitting found: the learned fusion beside the best fixed fusion and the best single map, all chosen on the training split; <c>HeldOut</c> names the held-out images in the order of the test scores.</summary>
public sealed record FusionFitResult(FitObjective Objective, FittedMap Learned, FittedMap BestFixed, FittedMap BestSingle,
    MeanInterval LearnedMinusFixed, MeanInterval LearnedMinusSingle, int TrainImages, IReadOnlyList<string> HeldOut, IReadOnlyList<(string Spec, double TrainScore)> Candidates)
{
    /// <summary>Held-out images.</summary>
    public int TestImages => HeldOut.Count;

    /// <summary>Whether higher objective values are better.</summary>
    public bool HigherIsBetter => Objective != FitObjective.Deletion;

    /// <summary>Whether the held-out images show the learned fusion better than the best fixed fusion (the paired interval excludes 0).</summary>
    public bool BeatsFixed => HigherIsBetter ? LearnedMinusFixed.Low > 0 : LearnedMinusFixed.High < 0;

    /// <summary>One plain sentence on whether learning helped, on the held-out images.</summary>
    public string Verdict
    {
        get
        {
            var inv = CultureInfo.InvariantCulture;
            string diff = $"{LearnedMinusFixed.Mean.ToString("+0.000;-0.000", inv)} (95 % interval {LearnedMinusFixed.Low.ToString("0.000", inv)} to {LearnedMinusFixed.High.ToString("0.000", inv)}, {TestImages} held-out images)";
            if (double.IsNaN(LearnedMinusFixed.Low)) return $"too few held-out images to tell whether the learned fusion helps: difference {diff}";
            return BeatsFixed
                ? $"the learned fusion beats the best fixed fusion on the held-out images: {diff}"
                : $"the learned fusion does not beat the best fixed fusion on the held-out images: {diff}";
        }
    }
}

/// <summary>
/// Fusion learned from data: the weights of a weighted geometric mean of the methods' maps (and optionally the mask
/// threshold rule) chosen by exhaustive search over a grid on the simplex to maximise the mean IoU or F1, or minimise
/// the mean deletion AUC, on a training split; then judged on the held-out split beside the best fixed fusion
/// (equal weights, each rule and combination) and the best single map, both also chosen on the training split, with
/// paired 95 % intervals. Every map is made exactly as <c>evaluate</c> makes it (<see cref="CombinationEvaluator"/>),
/// so <c>evaluate --combos @fusion.spec</c> reproduces the numbers.
/// </summary>
public sealed class FusionFitter(VisionTransformer model, Preprocessing preprocessing, FusionFitSettings settings)
{
    /// <summary>The candidate weightings (as specs, duplicates removed) for the methods at the settings' step.</summary>
    public IReadOnlyList<FusionSpec> Candidates()
    {
        var methods = settings.Explainers.GridMethods;
        int divisions = (int)Math.Round(1 / settings.WeightStep);
        if (divisions < 1 || Math.Abs(divisions * settings.WeightStep - 1) > 1e-9)
            throw new ArgumentException($"--weight-step {settings.WeightStep.ToString(CultureInfo.InvariantCulture)} does not divide 1 (use 0.5, 0.25, 0.2, 0.1, 0.05, …)");
        long count = WeightGrid.Count(methods.Count, divisions);
        if (count > FusionFitSettings.MaxCandidates)
            throw new ArgumentException($"{count} weightings of {methods.Count} methods at --weight-step {settings.WeightStep.ToString(CultureInfo.InvariantCulture)}: at most {FusionFitSettings.MaxCandidates}; use fewer methods or a coarser step");
        var specs = new List<FusionSpec>();
        foreach (var parts in WeightGrid.Points(methods.Count, divisions))
        {
            var chosen = Enumerable.Range(0, parts.Length).Where(i => parts[i] > 0).ToList();
            var spec = chosen.Count == 1
                ? new FusionSpec([methods[chosen[0]]], FusionRules.Single)
                : new FusionSpec(chosen.Select(i => methods[i]).ToList(), "wgmean", chosen.Select(i => (float)parts[i] / divisions).ToList());
            if (!specs.Contains(spec)) specs.Add(spec);
        }
        return specs;
    }

    /// <summary>Explains every image of <paramref name="data"/> once and keeps what fitting needs.</summary>
    public IReadOnlyList<FitSample> Prepare(ISegmentationDataset data, Action<string>? progress = null, CancellationToken cancel = default)
    {
        var c = model.Config;
        var samples = new List<FitSample>();
        foreach (var sample in data.Samples())
        {
            cancel.ThrowIfCancellationRequested();
            var (_, input, masks) = PreparedSample.Load(sample, preprocessing, c);
            // An image without a mask has nothing to score a fusion on.
            if (masks.Count == 0) { progress?.Invoke($"{sample.Name}: no mask, left out"); continue; }
            var e = settings.Explainers.Explain(model, input)[0];
            var maps = settings.Explainers.GridMethods.ToDictionary(m => m, m => e.Maps[m]);
            samples.Add(new FitSample(sample.Name, input, maps, masks.Select(m => MaskGeometry.ToModelInput(m, preprocessing)).ToList(), e.TargetClass));
            progress?.Invoke(sample.Name);
        }
        return samples;
    }

    /// <summary>Splits, learns on the training part and judges on the rest.</summary>
    public FusionFitResult Fit(IReadOnlyList<FitSample> samples, Action<string>? progress = null, CancellationToken cancel = default)
    {
        var (train, test) = Split(samples);
        var candidates = Candidates();
        progress?.Invoke($"scoring {candidates.Count} weightings on {train.Count} training images");
        var trainScores = Scores(candidates, settings.Threshold, train, cancel);
        int best = Best(trainScores);
        var learnedThreshold = settings.Threshold;
        double learnedTrain = trainScores[best].Average();
        if (settings.LearnThreshold && settings.Objective != FitObjective.Deletion)
            foreach (var t in ThresholdCandidates())
            {
                double score = Scores([candidates[best]], t, train, cancel)[0].Average();
                if (score > learnedTrain) (learnedTrain, learnedThreshold) = (score, t);
            }

        var methods = settings.Explainers.GridMethods;
        var fixedSpecs = methods.Count < 2 ? [] : FusionSpecParser.Combinations(methods, Enumerable.Range(2, methods.Count - 1), settings.FixedFusions).ToList();
        var singles = methods.Select(m => new FusionSpec([m], FusionRules.Single)).ToList();
        progress?.Invoke($"scoring {fixedSpecs.Count} fixed fusions and {singles.Count} single maps on {train.Count} training images");
        var fixedTrain = fixedSpecs.Count > 0 ? Scores(fixedSpecs, settings.Threshold, train, cancel) : [];
        var singleTrain = Scores(singles, settings.Threshold, train, cancel);

        progress?.Invoke($"judging on {test.Count} held-out images");
        FittedMap Judge(FusionSpec spec, IMaskThreshold threshold, double trainScore)
        {
            var scores = Scores([spec], threshold, test, cancel)[0];
            return new FittedMap(spec, threshold, trainScore, SummaryStatistics.MeanWithInterval(scores), scores);
        }
        var learned = Judge(candidates[best], learnedThreshold, learnedTrain);
        var single = Judge(singles[Best(singleTrain)], settings.Threshold, singleTrain[Best(singleTrain)].Average());
        var bestFixed = fixedSpecs.Count > 0 ? Judge(fixedSpecs[Best(fixedTrain)], settings.Threshold, fixedTrain[Best(fixedTrain)].Average()) : single;
        return new FusionFitResult(settings.Objective, learned, bestFixed, single,
            Paired(learned.TestScores, bestFixed.TestScores), Paired(learned.TestScores, single.TestScores), train.Count, test.Select(t => t.Name).ToList(),
            candidates.Select((s, i) => (SpecText(s), trainScores[i].Average())).ToList());
    }

    static MeanInterval Paired(double[] a, double[] b) => SummaryStatistics.MeanWithInterval(a.Zip(b, (x, y) => x - y));

    /// <summary>The index of the best mean score (the highest, or the lowest for deletion); the first of equals.</summary>
    int Best(double[][] scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
        {
            double s = scores[i].Average(), b = scores[best].Average();
            if (settings.Objective == FitObjective.Deletion ? s < b : s > b) best = i;
        }
        return best;
    }

    /// <summary>The seeded split: a SplitMix64 shuffle of the images, the first ⌈fraction·n⌉ for training.</summary>
    (List<FitSample> Train, List<FitSample> Test) Split(IReadOnlyList<FitSample> samples)
    {
        var order = Enumerable.Range(0, samples.Count).ToArray();
        var random = new SplitMix64(settings.SplitSeed, 0);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(random.Next() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        int trainCount = (int)Math.Ceiling(settings.TrainFraction * samples.Count - 1e-9);
        if (trainCount < 2 || samples.Count - trainCount < 2)
            throw new ArgumentException($"{samples.Count} images split {trainCount}/{samples.Count - trainCount}: fitting needs at least 2 training and 2 held-out images (more images, or another --train-fraction)");
        return (order.Take(trainCount).Select(i => samples[i]).ToList(), order.Skip(trainCount).Select(i => samples[i]).ToList());
    }

    static IEnumerable<IMaskThreshold> ThresholdCandidates()
    {
        yield return MaskThresholds.Parse("otsu");
        yield return MaskThresholds.Parse("mean");
        for (int p = 10; p <= 90; p += 10) yield return MaskThresholds.Parse($"top:{p}");
        for (int v = 1; v <= 9; v++) yield return MaskThresholds.Parse($"fixed:0.{v}");
    }

    /// <summary>The objective of every spec on every sample: [spec][sample]; an image's score is the mean over its annotators.</summary>
    double[][] Scores(IReadOnlyList<FusionSpec> specs, IMaskThreshold threshold, IReadOnlyList<FitSample> samples, CancellationToken cancel)
    {
        var c = model.Config;
        var scores = specs.Select(_ => new double[samples.Count]).ToArray();
        for (int i = 0; i < samples.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var sample = samples[i];
            var results = CombinationEvaluator.Run(sample.Maps, specs, c.ImageHeight, c.ImageWidth, threshold);
            if (settings.Objective == FitObjective.Deletion)
            {
                // Every candidate's curve of one image at once: weightings that rank the pixels alike share their forwards.
                var set = new CurveSet(model, sample.Input, new PerturbationOptions
                {
                    Steps = settings.DeletionSteps, TargetClass = sample.Target, NormalizationMean = preprocessing.Mean, NormalizationStd = preprocessing.Std,
                });
                var ids = results.Select(r => set.Add(CurveKind.Deletion, r.Mask.Normalized)).ToArray();
                var curves = set.Compute(cancel).Curves;
                for (int s = 0; s < specs.Count; s++) scores[s][i] = curves[ids[s]].Auc;
                continue;
            }
            for (int s = 0; s < specs.Count; s++)
            {
                double total = 0;
                foreach (var truth in sample.Truths)
                {
                    var counts = ConfusionCounts.Count(results[s].Mask.Mask, truth).Scores();
                    total += settings.Objective == FitObjective.F1 ? counts.F1 : counts.Iou;
                }
                scores[s][i] = total / sample.Truths.Count;
            }
        }
        return scores;
    }

    /// <summary>A spec as <c>--combos</c> and fusion spec files read it.</summary>
    public static string SpecText(FusionSpec spec)
    {
        if (spec.Methods.Count == 1) return spec.Methods[0];
        if (spec.Weights is { } w)
            return $"{spec.Fusion}({string.Join(",", spec.Methods.Select((m, i) => $"{m}:{w[i].ToString("0.######", CultureInfo.InvariantCulture)}"))})";
        return $"{spec.Fusion}({string.Join(",", spec.Methods)})";
    }
}
