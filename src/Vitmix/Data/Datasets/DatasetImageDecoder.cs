using SkiaSharp;

namespace Vitmix.Data.Datasets;

/// <summary>
/// Decodes dataset images and binary masks with SkiaSharp (JPEG, PNG, BMP, WebP). Kept private to the dataset
/// readers; transparent pixels decode premultiplied, so they read as black / background.
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
        if (!File.Exists(path)) throw new FileNotFoundException($"Mask file not found: {path}", path);
        if (PngSampleReader.IsSingleChannelPng(path))
        {
            // Palette PNGs: the index is the label, whatever colour the palette gives it.
            var (samples, w, h) = PngSampleReader.Read(path);
            for (int i = 0; i < samples.Length; i++) samples[i] = samples[i] > threshold ? (byte)1 : (byte)0;
            return new GroundTruthMask(samples, w, h, annotator, path);
        }
        using var bitmap = DecodeRgba(path);
        ReadOnlySpan<byte> rgba = bitmap.GetPixelSpan();
        var labels = new byte[bitmap.Width * bitmap.Height];
        for (int p = 0, i = 0; p < labels.Length; p++, i += 4)
            labels[p] = Math.Max(rgba[i], Math.Max(rgba[i + 1], rgba[i + 2])) > threshold ? (byte)1 : (byte)0;
        return new GroundTruthMask(labels, bitmap.Width, bitmap.Height, annotator, path);
    }

    static SKBitmap DecodeRgba(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Image file not found: {path}", path);
        using var codec = SKCodec.Create(path)
            ?? throw new InvalidDataException($"{path}: not a decodable image (expected JPEG, PNG, BMP or WebP).");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            bitmap.Dispose();
            throw new InvalidDataException($"{path}: image decoding failed ({result}).");
        }
        return bitmap;
    }
}
