namespace Vitmix.Model;

/// <summary>The key naming a checkpoint was written with.</summary>
public enum CheckpointLayout
{
    Timm,
    HuggingFace,
    Torchvision,
}

/// <summary>A model ready to run: the network, its preprocessing and class names, and where they came from.</summary>
public sealed class LoadedModel
{
    public required VisionTransformer Network { get; init; }
    public required Preprocessing Preprocessing { get; init; }
    /// <summary>One name per class, or null when the checkpoint names none.</summary>
    public string[]? ClassNames { get; init; }
    public required CheckpointLayout Layout { get; init; }
    /// <summary>The weights file.</summary>
    public required string WeightsPath { get; init; }
    /// <summary>Where the architecture came from (config.json, architecture name, metadata, shapes, overrides).</summary>
    public required string ConfigSource { get; init; }

    public VitConfig Config => Network.Config;

    public string ClassName(int index) =>
        ClassNames != null && index >= 0 && index < ClassNames.Length ? ClassNames[index] : $"class {index}";

    public long ParameterCount => Network.Weights.Named().Sum(p => (long)p.Data.Length);
}

/// <summary>Command-line overrides of what a checkpoint's config says (null = keep).</summary>
public sealed record ModelOverrides
{
    public int? Heads { get; init; }
    public int? ImageSize { get; init; }
    public int? PatchSize { get; init; }
    public float? LayerNormEps { get; init; }
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    public ResizeMode? Resize { get; init; }
    public string? Interpolation { get; init; }
    public double? CropPct { get; init; }
}
