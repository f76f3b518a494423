using Vitmix.Data;
using Vitmix.Data.Datasets;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>Brings a ground-truth mask to the model's input pixels with the image's own resize and crop (nearest neighbour, so labels and void survive).</summary>
public static class MaskGeometry
{
    /// <summary>
    /// The mask's labels at the model input, <see cref="Preprocessing.InputHeight"/> × <see cref="Preprocessing.InputWidth"/>
    /// row-major; the mask's own array (not a copy) when it is already that size and nothing is cropped.
    /// </summary>
    public static byte[] ToModelInput(GroundTruthMask mask, Preprocessing pre)
    {
        if (mask.Width == pre.InputWidth && mask.Height == pre.InputHeight && (pre.Resize == ResizeMode.Squash || pre.CropPct == 1.0))
            return mask.Labels;
        var rgb = new byte[mask.Labels.Length * 3];
        for (int i = 0; i < mask.Labels.Length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = mask.Labels[i];
        var resized = ImagePreprocessor.ResizeAndCrop(new RgbImage(rgb, mask.Width, mask.Height), pre with { Interpolation = "nearest" });
        var labels = new byte[resized.Width * resized.Height];
        for (int i = 0; i < labels.Length; i++) labels[i] = resized.Pixels[3 * i];
        return labels;
    }
}
