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
    public float[] Mean { get; init; } = [0.5f, 0.5f, 0.5f];
    public float[] Std { get; init; } = [0.5f, 0.5f, 0.5f];
    public int InputHeight { get; init; } = 224;
    public int InputWidth { get; init; } = 224;
    public double CropPct { get; init; } = 0.9;
    /// <summary>"bicubic", "bilinear" or "nearest", as in timm's pretrained_cfg.</summary>
    public string Interpolation { get; init; } = "bicubic";
    public ResizeMode Resize { get; init; } = ResizeMode.Crop;

    public override string ToString() =>
        $"{Resize.ToString().ToLowerInvariant()} to {InputHeight}x{InputWidth}" +
        (Resize == ResizeMode.Crop ? $" (crop_pct {CropPct:0.###})" : "") +
        $", {Interpolation}, mean [{string.Join(", ", Mean)}], std [{string.Join(", ", Std)}]";
}
