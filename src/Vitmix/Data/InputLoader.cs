
namespace Vitmix.Data;

/// <summary>
/// Turns an input file into the network's (1, 3, H, W) input: an image (PNG, JPEG, BMP, WebP, GIF, PGM, PPM) goes through
/// the model's eval preprocessing; a NumPy <c>.npy</c> float array of shape (1,3,H,W) or (3,H,W) is taken as already
/// normalised.
/// </summary>
public static class InputLoader
{
    /// <summary>Loads one input. Errors: <see cref="FileNotFoundException"/>, or <see cref="InvalidDataException"/> naming the file.</summary>
    public static Tensor Load(string path, Preprocessing pre, int expectedHeight, int expectedWidth)
    {
        if (IsNpy(path)) return LoadNpy(path, expectedHeight, expectedWidth);

        var tensor = ImagePreprocessor.ToTensor(ImageLoader.LoadRgb(path), pre);
        if (tensor.Dim(2) != expectedHeight || tensor.Dim(3) != expectedWidth)
            throw SizeMismatch(path, tensor.Dim(2), tensor.Dim(3), expectedHeight, expectedWidth);
        return tensor;
    }

    /// <summary>
    /// The model input and the picture it shows at model resolution (the resized, cropped image; for a .npy input the
    /// tensor mapped back through mean and std), for overlays.
    /// </summary>
    public static (Tensor Input, RgbImage Display) LoadWithDisplay(string path, Preprocessing pre, int expectedHeight, int expectedWidth)
    {
        if (IsNpy(path))
        {
            var t = LoadNpy(path, expectedHeight, expectedWidth);
            return (t, Denormalize(t.Data, pre, expectedHeight, expectedWidth));
        }
        var shown = ImagePreprocessor.ResizeAndCrop(ImageLoader.LoadRgb(path), pre);
        if (shown.Height != expectedHeight || shown.Width != expectedWidth)
            throw SizeMismatch(path, shown.Height, shown.Width, expectedHeight, expectedWidth);
        var tensor = new Tensor(1, 3, expectedHeight, expectedWidth);
        ImagePreprocessor.Normalize(shown, pre, tensor.Data);
        return (tensor, shown);
    }

    // The preprocessing's input size and the model's image size disagree: a setting to fix, not a broken file.
    static SettingRequiredException SizeMismatch(string path, int h, int w, int expectedHeight, int expectedWidth) =>
        new("image-size", $"{path}: preprocessing gives {h}x{w} but the model expects {expectedHeight}x{expectedWidth}");

    /// <summary>x·std + mean, scaled to 0..255 and clamped: the picture a normalised (3,H,W) tensor shows.</summary>
    public static RgbImage Denormalize(ReadOnlySpan<float> chw, Preprocessing pre, int height, int width)
    {
        int plane = height * width;
        var rgb = new byte[plane * 3];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < plane; i++)
                rgb[i * 3 + c] = (byte)Math.Clamp(Math.Round((chw[c * plane + i] * pre.Std[c] + pre.Mean[c]) * 255.0), 0, 255);
        return new RgbImage(rgb, width, height);
    }

    /// <summary>True for a path ending in .npy (any case).</summary>
    public static bool IsNpy(string path) => path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);

    static Tensor LoadNpy(string path, int expectedHeight, int expectedWidth)
    {
        // Header first: dtype and shape are checked against the model before any value is converted.
        byte[] bytes = Npy.ReadFile(path);
        var header = Npy.ParseHeader(bytes, path);
        if (!header.IsFloat)
            throw new InvalidDataException($"{path}: array dtype is {header.Dtype}; expected float32 values already normalised for the model");
        var shape = header.Shape;
        bool fits = (shape.Length == 4 && shape[0] == 1 && shape[1] == 3 && shape[2] == expectedHeight && shape[3] == expectedWidth)
                 || (shape.Length == 3 && shape[0] == 3 && shape[1] == expectedHeight && shape[2] == expectedWidth);
        if (!fits)
            throw new InvalidDataException(
                $"{path}: array shape ({string.Join(", ", shape)}) does not match the model input (1, 3, {expectedHeight}, {expectedWidth}) or (3, {expectedHeight}, {expectedWidth})");
        return new Tensor(Npy.Parse(bytes, path).ToFloat(), 1, 3, expectedHeight, expectedWidth);
    }
}
