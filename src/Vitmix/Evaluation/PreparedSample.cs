using Vitmix.Data;
using Vitmix.Data.Datasets;
using Vitmix.Engine;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>
/// A dataset sample as the model sees it: the image resized and cropped by the model's preprocessing (what the
/// report shows), its normalised input (1, C, H, W), and its ground-truth masks as loaded. A file that cannot be read
/// is one <see cref="InvalidDataException"/> naming the sample.
/// </summary>
public sealed record PreparedSample(RgbImage Shown, Tensor Input, IReadOnlyList<GroundTruthMask> Masks)
{
    /// <summary>Loads and preprocesses <paramref name="sample"/> for a model of <paramref name="config"/>.</summary>
    public static PreparedSample Load(SegmentationSample sample, Preprocessing preprocessing, VitConfig config)
    {
        RgbImage shown;
        IReadOnlyList<GroundTruthMask> masks;
        try
        {
            var (image, loaded) = sample.LoadImageAndMasks();
            shown = ImagePreprocessor.ResizeAndCrop(image, preprocessing);
            masks = loaded;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException) { throw new InvalidDataException($"{sample.Name}: {ex.Message}", ex); }
        var input = new Tensor(1, config.InChannels, config.ImageHeight, config.ImageWidth);
        ImagePreprocessor.Normalize(shown, preprocessing, input.Data);
        return new PreparedSample(shown, input, masks);
    }
}
