using Vitmix.Data.Datasets;

namespace Vitmix.Data.Synthetic;

/// <summary>
/// One image of the synthetic benchmark: the image, the mask of the labelled object only (1 = object, 0 = everything
/// else, distractors included; row-major, one byte per pixel) and the object's class.
/// </summary>
public sealed record SyntheticSample(long Index, string Name, int ClassIndex, string ClassName, RgbImage Image, byte[] Mask)
{
    /// <summary>The mask in the dataset contract's form (labels 0/1, no void pixels).</summary>
    public GroundTruthMask ToGroundTruthMask() => new(Mask, Image.Width, Image.Height);
}
