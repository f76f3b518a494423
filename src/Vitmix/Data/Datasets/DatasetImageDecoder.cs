namespace Vitmix.Data.Datasets;

/// <summary>
/// Decodes dataset images and binary masks through <see cref="ImageLoader"/>'s one reading path (byte and pixel
/// limits, signature, sanity before allocation). Kept private to the dataset readers; transparent mask pixels decode
/// premultiplied, so they read as black / background.
/// </summary>
internal static class DatasetImageDecoder
{
    /// <summary>Decodes an image file to 8-bit RGB.</summary>
    // Dataset masks are stored unrotated, so the image's EXIF orientation is not applied either.
    public static RgbImage DecodeRgb(string path) => ImageLoader.LoadRgb(path, applyExifOrientation: false);

    /// <summary>
    /// Decodes a mask file to labels 0/1: a pixel is object when its value exceeds <paramref name="threshold"/>
    /// (the grey level or palette index for single-channel PNGs, the largest of R, G, B otherwise).
    /// </summary>
    public static GroundTruthMask DecodeBinaryMask(string path, byte threshold, string annotator = "")
    {
        byte[] file = ImageLoader.ReadImageFile(path);
        if (PngSampleReader.IsSingleChannelPng(file))
        {
            // Palette PNGs: the index is the label, whatever colour the palette gives it.
            var (samples, w, h) = PngSampleReader.Read(file, path);
            for (int i = 0; i < samples.Length; i++) samples[i] = samples[i] > threshold ? (byte)1 : (byte)0;
            return new GroundTruthMask(samples, w, h, annotator, path);
        }
        var image = ImageLoader.Decode(file, path, applyExifOrientation: false, premultiplied: true);
        var rgb = image.Pixels;
        var labels = new byte[image.Width * image.Height];
        for (int p = 0, i = 0; p < labels.Length; p++, i += 3)
            labels[p] = Math.Max(rgb[i], Math.Max(rgb[i + 1], rgb[i + 2])) > threshold ? (byte)1 : (byte)0;
        return new GroundTruthMask(labels, image.Width, image.Height, annotator, path);
    }
}
