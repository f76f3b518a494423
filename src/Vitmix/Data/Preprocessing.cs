using System.Globalization;

namespace Vitmix.Data;

/// <summary>How an image is resized to the model's input: timm's eval crop or Hugging Face's squash.</summary>
public enum ResizeMode
{
    /// <summary>Resize the shorter side to size / crop_pct, then centre-crop (timm eval transform).</summary>
    Crop,
    /// <summary>Resize both sides straight to the input size (Hugging Face ViTImageProcessor).</summary>
    Squash,
}

/// <summary>The pretrained config's preprocessing: resize, crop, scale to [0,1], normalise per channel.</summary>
public sealed record Preprocessing
{
    /// <summary>Values of mean and std: one per RGB channel.</summary>
    public const int Channels = 3;
    /// <summary>Each mean value: any finite number.</summary>
    public static NumberRange MeanRange => NumberRange.Finite;
    /// <summary>Each std value: positive and finite, since the input is divided by it.</summary>
    public static NumberRange StdRange => NumberRange.Positive;
    /// <summary>crop_pct: the share of the resized image the centre crop keeps, in (0, 1].</summary>
    public static NumberRange CropPctRange { get; } = new(0, false, 1, true);
    /// <summary>The resampling filters a config or option may name: PIL's, as <see cref="ResampleFilters.Names"/>.</summary>
    public static IReadOnlyList<string> Interpolations => ResampleFilters.Names;

    /// <summary>Per-channel mean (R, G, B) on the [0, 1] scale, subtracted before dividing by <see cref="Std"/>.</summary>
    public float[] Mean { get; init; } = [0.5f, 0.5f, 0.5f];
    /// <summary>Per-channel standard deviation (R, G, B) on the [0, 1] scale: input = (x/255 − mean) / std.</summary>
    public float[] Std { get; init; } = [0.5f, 0.5f, 0.5f];
    /// <summary>Height of the model input in pixels.</summary>
    public int InputHeight { get; init; } = 224;
    /// <summary>Width of the model input in pixels.</summary>
    public int InputWidth { get; init; } = 224;
    /// <summary>timm's crop_pct in (0, 1]: with <see cref="ResizeMode.Crop"/> the shorter side is resized to size / crop_pct, then centre-cropped.</summary>
    public double CropPct { get; init; } = 0.9;
    /// <summary>"bicubic", "bilinear" or "nearest", as in timm's pretrained_cfg.</summary>
    public string Interpolation { get; init; } = "bicubic";
    /// <summary>Crop (timm eval transform) or squash (Hugging Face).</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.Crop;

    /// <summary>
    /// Every value outside its rule (<see cref="MeanRange"/>, <see cref="StdRange"/>, <see cref="CropPctRange"/>,
    /// <see cref="Interpolations"/>, a positive input size), one message each; empty when all are valid.
    /// The command-line options check the same rules, so a config file cannot pass what a flag may not.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (ChannelProblem("mean", Mean, MeanRange) is { } mean) problems.Add(mean);
        if (ChannelProblem("std", Std, StdRange) is { } std) problems.Add(std);
        if (!CropPctRange.Contains(CropPct)) problems.Add($"crop_pct {CropPct.ToString(CultureInfo.InvariantCulture)}: expected {CropPctRange}");
        if (!Interpolations.Contains(Interpolation))
            problems.Add($"interpolation '{Interpolation}' is not supported (expected {string.Join(", ", Interpolations)})");
        if (InputHeight <= 0 || InputWidth <= 0) problems.Add($"input size {InputHeight}x{InputWidth} must be positive");
        return problems;
    }

    /// <summary>
    /// The problem with a per-channel value list (<paramref name="name"/> is "mean" or "std"), or null when it holds
    /// <see cref="Channels"/> values inside <paramref name="range"/>.
    /// </summary>
    public static string? ChannelProblem(string name, IReadOnlyList<float>? values, NumberRange range)
    {
        if (values == null) return $"{name} is missing";
        if (values.Count == Channels && values.All(v => range.Contains(v))) return null;
        string shown = string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        return $"{name} [{shown}]: expected {Channels} values, each {range}";
    }

    /// <summary>Throws an <see cref="InvalidDataException"/> listing <see cref="Problems"/> when there are any.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new InvalidDataException("invalid preprocessing: " + string.Join("; ", problems));
    }

    /// <summary>One line: resize mode and size, crop_pct, interpolation, mean and std.</summary>
    public override string ToString() =>
        $"{Resize.ToString().ToLowerInvariant()} to {InputHeight}x{InputWidth}" +
        (Resize == ResizeMode.Crop ? $" (crop_pct {CropPct:0.###})" : "") +
        $", {Interpolation}, mean [{string.Join(", ", Mean)}], std [{string.Join(", ", Std)}]";
}
