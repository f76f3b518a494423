namespace Vitmix.Data;

/// <summary>
/// An 8-bit RGB image, row-major and interleaved: pixel (x, y) channel c is <c>Pixels[(y * Width + x) * 3 + c]</c>.
/// Deconstructs as <c>var (rgb, w, h) = image</c>.
/// </summary>
public sealed record RgbImage(byte[] Pixels, int Width, int Height)
{
    /// <summary>Checks that the buffer holds exactly Width × Height × 3 bytes.</summary>
    public static RgbImage Create(byte[] rgb, int width, int height)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"image size {width}x{height}: both sides must be positive");
        if (rgb.LongLength != 3L * width * height)
            throw new ArgumentException($"RGB buffer has {rgb.LongLength} bytes but a {width}x{height} image needs {3L * width * height}");
        return new RgbImage(rgb, width, height);
    }

    /// <summary>The size, e.g. "RgbImage 640x480"; the pixels are not listed.</summary>
    public override string ToString() => $"RgbImage {Width}x{Height}";
}
