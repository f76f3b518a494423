namespace Vitmix.Evaluation.Report;

/// <summary>Everything one evaluation report shows; plain data, filled by the evaluator.</summary>
public sealed record ReportData
{
    /// <summary>Page title, e.g. "Vitmix evaluation: vit_base_patch16_224 on VOC 2012 val".</summary>
    public required string Title { get; init; }

    /// <summary>Model, dataset and run facts shown as a key/value list, in order.</summary>
    public IReadOnlyList<ReportInfo> Info { get; init; } = [];

    /// <summary>One row per map (a method, or a fusion of methods).</summary>
    public required IReadOnlyList<SummaryRow> Summary { get; init; }

    /// <summary>Mean deletion curve per map (probability after removing i/(n−1) of the pixels, i = 0..n−1).</summary>
    public IReadOnlyList<CurveSeries> DeletionCurves { get; init; } = [];

    /// <summary>Mean insertion curve per map (same x axis as deletion).</summary>
    public IReadOnlyList<CurveSeries> InsertionCurves { get; init; } = [];

    /// <summary>Mean token deletion curve per map (patches dropped from the sequence), when the run drew them.</summary>
    public IReadOnlyList<CurveSeries> TokenDeletionCurves { get; init; } = [];

    /// <summary>Mean token insertion curve per map, when the run drew them.</summary>
    public IReadOnlyList<CurveSeries> TokenInsertionCurves { get; init; } = [];

    /// <summary>Mean ROAD MoRF curve per map (target probability at each fraction imputed), when the run measured ROAD.</summary>
    public IReadOnlyList<CurveSeries> RoadMorfCurves { get; init; } = [];

    /// <summary>Mean ROAD LeRF curve per map, when the run measured ROAD.</summary>
    public IReadOnlyList<CurveSeries> RoadLerfCurves { get; init; } = [];

    /// <summary>Optional: how the AUCs change with fewer curve steps (<see cref="CurveResolution"/>).</summary>
    public IReadOnlyList<CurveResolutionRow>? CurveResolution { get; init; }

    /// <summary>Optional predicted-vs-measured table (e.g. fused-mask precision from the theory).</summary>
    public IReadOnlyList<TheoryRow>? Theory { get; init; }

    /// <summary>Optional caption above the theory table (what is predicted and from what).</summary>
    public string? TheoryCaption { get; init; }

    /// <summary>Per-image grid rows: image, ground truth, then each map's overlay and mask.</summary>
    public IReadOnlyList<ImageEntry> Images { get; init; } = [];
}

/// <summary>A key/value fact about the run (model, checkpoint, dataset, images, threshold, …).</summary>
public sealed record ReportInfo(string Key, string Value);

/// <summary>A summary-table row. <paramref name="Metrics"/> is keyed by <see cref="ReportMetrics"/> names; missing keys show as "–".</summary>
/// <param name="Map">The map's name (unique in the report), e.g. "rollout" or "gm(rollout,gradcam)".</param>
/// <param name="Method">Explanation method(s) the map comes from.</param>
/// <param name="Fusion">Fusion rule, or "" for a single method.</param>
/// <param name="N">Number of images evaluated.</param>
/// <param name="Metrics">Per metric: mean and confidence interval over images.</param>
public sealed record SummaryRow(string Map, string Method, string Fusion, int N, IReadOnlyDictionary<string, MeanInterval> Metrics);

/// <summary>A curve for one map at <paramref name="Positions"/> (the fraction of pixels perturbed at each point); null: x = i/(Values.Length−1).</summary>
public sealed record CurveSeries(string Map, double[] Values, IReadOnlyList<double>? Positions = null);

/// <summary>A predicted-vs-measured comparison for one map.</summary>
public sealed record TheoryRow(string Map, string Quantity, double Predicted, double Measured);

/// <summary>One grid row: PNG tiles shown left to right under their labels.</summary>
/// <param name="Name">Image name (dataset sample name).</param>
/// <param name="Caption">Optional line under the name, e.g. "pred: tabby (0.83); target: tabby".</param>
/// <param name="Tiles">PNG thumbnails, e.g. "image", "ground truth", "rollout overlay", "rollout mask".</param>
public sealed record ImageEntry(string Name, string? Caption, IReadOnlyList<ImageTile> Tiles);

/// <summary>A labelled PNG thumbnail (the encoded file's bytes).</summary>
public sealed record ImageTile(string Label, byte[] Png);

/// <summary>The summary-table metric columns, in order, with which direction is better.</summary>
public static class ReportMetrics
{
    /// <summary>Intersection over union (Jaccard index) of mask and ground truth.</summary>
    public const string IoU = "iou";
    /// <summary>F1 (Dice) score of mask and ground truth.</summary>
    public const string F1 = "f1";
    /// <summary>True pixel accuracy, (TP + TN) / valid pixels.</summary>
    public const string PixelAccuracy = "pixel_accuracy";
    /// <summary>Recall, TP / |G| (the ViTmiX script's "pixel accuracy").</summary>
    public const string Recall = "recall";
    /// <summary>Precision, TP / |P|.</summary>
    public const string Precision = "precision";
    /// <summary>Area under the deletion curve (Petsiuk et al. 2018); lower is better.</summary>
    public const string DeletionAuc = "deletion_auc";
    /// <summary>Area under the insertion curve (Petsiuk et al. 2018); higher is better.</summary>
    public const string InsertionAuc = "insertion_auc";

    /// <summary>Area under the token deletion curve (patches dropped from the sequence); lower is better.</summary>
    public const string TokenDeletionAuc = "token_deletion_auc";
    /// <summary>Area under the token insertion curve; higher is better.</summary>
    public const string TokenInsertionAuc = "token_insertion_auc";

    /// <summary>ROAD's mean MoRF probability (noisy linear imputation, Rong et al. 2022); lower is better.</summary>
    public const string RoadMorf = "road_morf";
    /// <summary>ROAD's mean LeRF probability; higher is better.</summary>
    public const string RoadLerf = "road_lerf";
    /// <summary>ROAD's LeRF − MoRF; higher is better.</summary>
    public const string RoadGap = "road_gap";

    /// <summary>Pointing game accuracy (Zhang et al. 2018): the share of images whose map maximum is on the object.</summary>
    public const string PointingGame = "pointing_game";
    /// <summary>Energy-based pointing game (Wang et al. 2020): the normalised map's energy on the object.</summary>
    public const string EnergyPointingGame = "energy_pointing_game";
    /// <summary>Relevance mass accuracy (Arras et al. 2022): the positive relevance on the object.</summary>
    public const string RelevanceMassAccuracy = "relevance_mass_accuracy";
    /// <summary>Relevance rank accuracy (Arras et al. 2022): the |G| most relevant pixels on the object.</summary>
    public const string RelevanceRankAccuracy = "relevance_rank_accuracy";
    /// <summary>Sparseness, the Gini index of |m| (Chalasani et al. 2020); higher = more concentrated.</summary>
    public const string Sparseness = "sparseness";
    /// <summary>Complexity, the entropy of |m| / Σ|m| (Bhatt et al. 2020); lower is simpler.</summary>
    public const string Complexity = "complexity";
    /// <summary>Max-sensitivity (Yeh et al. 2019): the largest relative change of the map under small input noise; lower is more robust.</summary>
    public const string MaxSensitivity = "max_sensitivity";
    /// <summary>Chefer et al.'s pixel accuracy: (TP + TN) / valid pixels pooled over the dataset, masks at the mean.</summary>
    public const string CheferPixelAccuracy = "chefer_pixel_accuracy";
    /// <summary>Chefer et al.'s mIoU: the mean of the background and foreground IoU, each pooled over the dataset.</summary>
    public const string CheferMeanIou = "chefer_miou";
    /// <summary>Chefer et al.'s mAP: the mean over images of the AP of [1 − m, m] against the one-hot ground truth.</summary>
    public const string CheferMeanAveragePrecision = "chefer_map";

    /// <summary>
    /// The columns in groups, each a table of the report and of the printed summary (one table of all would not fit a
    /// terminal): the segmentation and curve metrics, the localisation metrics, complexity and robustness, and
    /// Chefer et al.'s dataset-level protocol. HigherIsBetter false: deletion AUC (the class probability should fall
    /// fast), complexity and max-sensitivity.
    /// </summary>
    public static IReadOnlyList<(string Title, IReadOnlyList<(string Name, bool HigherIsBetter)> Columns)> Groups { get; } =
    [
        ("Segmentation and perturbation", [(IoU, true), (F1, true), (PixelAccuracy, true), (Recall, true), (Precision, true), (DeletionAuc, false), (InsertionAuc, true)]),
        ("Token perturbation (patches dropped from the sequence)", [(TokenDeletionAuc, false), (TokenInsertionAuc, true)]),
        ("ROAD (noisy linear imputation)", [(RoadMorf, false), (RoadLerf, true), (RoadGap, true)]),
        ("Localisation", [(PointingGame, true), (EnergyPointingGame, true), (RelevanceMassAccuracy, true), (RelevanceRankAccuracy, true)]),
        ("Complexity and robustness", [(Sparseness, true), (Complexity, false), (MaxSensitivity, false)]),
        ("Chefer et al.'s ImageNet-segmentation protocol", [(CheferPixelAccuracy, true), (CheferMeanIou, true), (CheferMeanAveragePrecision, true)]),
    ];

    /// <summary>Every column in table order (summary.csv's), the <see cref="Groups"/> one after the other.</summary>
    public static IReadOnlyList<(string Name, bool HigherIsBetter)> Columns { get; } = [.. Groups.SelectMany(g => g.Columns)];
}
