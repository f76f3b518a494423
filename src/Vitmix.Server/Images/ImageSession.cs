using Vitmix.Data;

namespace Vitmix.Server.Images;

/// <summary>
/// An image the server has accepted, at the model's resolution: what the page shows, the normalised input the passes
/// run on, its logits, and a ground-truth mask when one is known (a synthetic image's own, or one uploaded).
/// </summary>
public sealed class ImageSession
{
    /// <summary>The image's handle: a hash of its pixels, source and name, so an upload never shares a ground-truth mask with a demo image of the same pixels.</summary>
    public required string Id { get; init; }
    /// <summary>Hash of the shown pixels alone: the same picture from two tabs or sources shares its passes and maps.</summary>
    public required string ContentId { get; init; }
    /// <summary>A name for people: the uploaded file's, the folder entry's or the synthetic sample's.</summary>
    public required string Name { get; init; }
    /// <summary>Where it came from: "upload", "folder" or "demo".</summary>
    public required string Source { get; init; }
    /// <summary>The picture at model resolution (resized and cropped as the model's preprocessing does).</summary>
    public required RgbImage Display { get; init; }
    /// <summary>Width of the picture before the model's resize and crop (a mask upload must match it).</summary>
    public required int OriginalWidth { get; init; }
    /// <summary>Height of the picture before the model's resize and crop.</summary>
    public required int OriginalHeight { get; init; }
    /// <summary>The normalised input (1, C, H, W).</summary>
    public required Tensor Input { get; init; }
    /// <summary>The logits of a plain forward pass.</summary>
    public required float[] Logits { get; init; }
    /// <summary>What to pass `vitmix explain` as INPUT to reproduce the view (the file's name or path).</summary>
    public required string CommandInput { get; init; }
    /// <summary>The image as a file the command can read, when the user has no copy (a synthetic image), else null.</summary>
    public byte[]? OriginalPng { get; init; }
    /// <summary>Ground truth at model resolution (1 = object), or null; replaced by a mask upload.</summary>
    public byte[]? GroundTruth { get; set; }

    /// <summary>Bytes held, for the cache's bound.</summary>
    public long Bytes => Display.Pixels.LongLength + 4L * Input.Data.Length + (OriginalPng?.LongLength ?? 0) + (GroundTruth?.LongLength ?? 0);
}
