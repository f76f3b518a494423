using Vitmix.IO;

namespace Vitmix.Data.Datasets;

/// <summary>
/// Reads the raw samples of a single-channel PNG (palette-indexed or greyscale) without colour conversion.
/// VOC masks are palette PNGs whose <em>indices</em> are the class labels (255 = void); SkiaSharp expands palettes
/// to RGBA, which would lose them, so the PNG is decoded by <see cref="PngReader"/>: bit depths 1/2/4/8 as stored,
/// and 16 for greyscale keeping the high byte.
/// </summary>
internal static class PngSampleReader
{
    /// <summary>True when <paramref name="file"/> is a PNG whose samples are single-channel (colour type 0 or 3).</summary>
    public static bool IsSingleChannelPng(ReadOnlySpan<byte> file) =>
        file.Length >= 26 && PngReader.IsPng(file) && file[12..16].SequenceEqual("IHDR"u8) && file[25] is 0 or 3;

    /// <summary>Decodes the raw sample values (palette indices or grey levels), row-major.</summary>
    public static (byte[] Samples, int Width, int Height) Read(string path) =>
        Read(InputFile.ReadAll(path, "a PNG file", InputLimits.MaxFileBytes,
            start => PngReader.IsPng(start) ? null : "not a PNG file (bad signature)"), path);

    /// <summary>Decodes the raw sample values of PNG bytes; <paramref name="source"/> names them in errors.</summary>
    public static (byte[] Samples, int Width, int Height) Read(ReadOnlySpan<byte> file, string source)
    {
        var png = PngReader.Open(file, source);
        if (png.ColorType is not (0 or 3))
            throw new InvalidDataException($"{source}: PNG colour type {png.ColorType}; expected 3 (palette) or 0 (greyscale) for a label mask.");
        var samples = png.ReadSamples(file);
        var bytes = new byte[samples.Length];
        int shift = png.BitDepth == 16 ? 8 : 0; // 16-bit: keep the high byte
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(samples[i] >> shift);
        return (bytes, png.Width, png.Height);
    }
}
