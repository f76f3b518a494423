using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;

namespace Vitmix.Evaluation;

/// <summary>Which class an evaluation explains.</summary>
public enum TargetPolicy
{
    /// <summary>The model's top-1 class (ViTmiX and Chefer et al.).</summary>
    Predicted,
    /// <summary>The dataset's label for the image, when its classes are the model's.</summary>
    Label,
}

/// <summary>How deletion curves rank pixels.</summary>
public enum DeletionRanking
{
    /// <summary>By the continuous normalised map (RISE; the default).</summary>
    Continuous,
    /// <summary>By the binary mask with ties in index order: the ViTmiX script's variant, for reproducing its tables.</summary>
    Mask,
}

/// <summary>Which published protocol an evaluation follows, beyond the per-image metrics every run reports.</summary>
public enum EvaluationProtocol
{
    /// <summary>The per-image metrics only (ViTmiX's tables and the map metrics).</summary>
    Vitmix,
    /// <summary>
    /// Also Chefer et al.'s ImageNet-segmentation protocol (<see cref="CheferSegmentationAccumulator"/>): masks at the
    /// mean, pixel accuracy and mIoU pooled over the dataset, mAP of the per-image APs.
    /// </summary>
    Chefer,
}

/// <summary>Everything `vitmix evaluate` varies.</summary>
public sealed record EvaluationSettings
{
    /// <summary>The methods run on every image, from one shared pass.</summary>
    public required ExplainerSet Explainers { get; init; }
    /// <summary>Singles and combinations, in output order.</summary>
    public required IReadOnlyList<FusionSpec> Maps { get; init; }
    /// <summary>How each map becomes a binary mask (Otsu by default).</summary>
    public IMaskThreshold Threshold { get; init; } = new OtsuThreshold();
    /// <summary>Every map with the threshold: what the run's rows, curves and tiles are named by.</summary>
    public IReadOnlyList<MapId> MapIds => [.. Maps.Select(m => new MapId(m, Threshold.Name))];
    /// <summary>Deletion/insertion steps (0 = skip the perturbation curves).</summary>
    public int PerturbationSteps { get; init; } = 100;
    /// <summary>
    /// Fractions of the pixels perturbed at the curves' points (e.g. ROAD's 0, 0.1, …, 0.9) instead of
    /// <see cref="PerturbationSteps"/> even steps; null = even steps. Curves are skipped when the steps are 0.
    /// </summary>
    public IReadOnlyList<double>? CurveFractions { get; init; }
    /// <summary>How deletion curves rank the pixels.</summary>
    public DeletionRanking DeletionRanking { get; init; } = DeletionRanking.Continuous;
    /// <summary>Also compute insertion curves (when <see cref="PerturbationSteps"/> is not 0).</summary>
    public bool Insertion { get; init; } = true;
    /// <summary>Pixel curves (RISE), token curves (patches dropped from the sequence) or both.</summary>
    public PerturbationMode Perturbation { get; init; } = PerturbationMode.Pixel;
    /// <summary>Perturbed images per forward call of the curves.</summary>
    public int PerturbationBatchSize { get; init; } = 32;
    /// <summary>Skip images whose top-1 probability is below this (ViTmiX's VOC rule uses 0.85).</summary>
    public double MinConfidence { get; init; }
    /// <summary>Which class is explained and tracked by the curves.</summary>
    public TargetPolicy Target { get; init; } = TargetPolicy.Predicted;
    /// <summary>Process images i with i mod Count == Index.</summary>
    public (int Index, int Count) Shard { get; init; } = (0, 1);
    /// <summary>What to do when the run folder already holds a run (by default: refuse to start).</summary>
    public ExistingRun ExistingRun { get; init; } = ExistingRun.Refuse;
    /// <summary>Images whose overlays and masks are kept for the report's per-image grid.</summary>
    public int ReportImages { get; init; } = 24;
    /// <summary>Keep the single-method masks per image for the precision-gain check (ViTmiX talk, equation 1).</summary>
    public bool Theory { get; init; }
    /// <summary>The protocol; <see cref="EvaluationProtocol.Chefer"/> requires the mean threshold.</summary>
    public EvaluationProtocol Protocol { get; init; } = EvaluationProtocol.Vitmix;
    /// <summary>The pointing game's tolerance in pixels (Zhang et al.: 15).</summary>
    public double PointingTolerance { get; init; } = MapMetrics.PointingGame.DefaultTolerance;
    /// <summary>Perturbed copies per image for max-sensitivity (0 = not measured).</summary>
    public int SensitivitySamples { get; init; }
    /// <summary>Max-sensitivity's noise bound r as a fraction of the input range (Yeh et al.: 0.02).</summary>
    public double SensitivityRadius { get; init; } = 0.02;
    /// <summary>Seed of max-sensitivity's noise.</summary>
    public long SensitivitySeed { get; init; }
    /// <summary>Also compute ROAD's MoRF and LeRF curves (<see cref="RoadCurves"/>): costly, off by default.</summary>
    public bool Road { get; init; }
    /// <summary>The fractions of pixels ROAD imputes (<see cref="RoadCurves.ParseFractions"/>); its reference experiments' by default.</summary>
    public IReadOnlyList<double> RoadFractions { get; init; } = RoadCurves.DefaultFractions;
    /// <summary>Seed of ROAD's imputation noise (stream per image and fraction, <see cref="RoadCurves"/>).</summary>
    public long RoadSeed { get; init; }
    /// <summary>Colormap of the report's overlays, one of <see cref="Rendering.Colormaps.Names"/>.</summary>
    public string Colormap { get; init; } = "oklab";
}
