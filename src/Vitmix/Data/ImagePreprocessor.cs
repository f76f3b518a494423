
namespace Vitmix.Data;

/// <summary>
/// The eval transform of the pretrained config: resize (timm's shorter-side resize + centre crop, or Hugging Face's
/// squash), then x/255, (x − mean)/std, channels first.
/// </summary>
public static class ImagePreprocessor
{
    /// <summary>Resizes and crops an image to the model's input size as <paramref name="pre"/> says.</summary>
    public static RgbImage ResizeAndCrop(RgbImage image, Preprocessing pre)
    {
        var filter = ResampleFilters.Parse(pre.Interpolation);
        int th = pre.InputHeight, tw = pre.InputWidth;
        if (th <= 0 || tw <= 0) throw new ArgumentException($"preprocessing input size {th}x{tw}: both sides must be positive");
        if (pre.Resize == ResizeMode.Squash) return ImageResampler.Resize(image, tw, th, filter);

        if (!(pre.CropPct > 0) || double.IsInfinity(pre.CropPct))
            throw new ArgumentException($"crop_pct {pre.CropPct} must be a positive number");
        var (rh, rw) = CropResizeSize(image.Width, image.Height, th, tw, pre.CropPct);
        var resized = ImageResampler.Resize(image, rw, rh, filter);
        return CenterCrop(resized, th, tw);
    }

    /// <summary>
    /// Size (height, width) timm's eval transform resizes to before the centre crop
    /// (timm.data.transforms_factory.transforms_imagenet_eval, crop_mode "center").
    /// </summary>
    /// <remarks>
    /// scale = floor(size / crop_pct) per side. Square scale: torchvision Resize(int) on the shorter side, the longer
    /// side int(scale · long / short) (truncated). Non-square: timm's ResizeKeepRatio — ratio = min(h/sh, w/sw),
    /// sides round(side / ratio) with Python's round-half-to-even.
    /// </remarks>
    public static (int Height, int Width) CropResizeSize(int width, int height, int targetHeight, int targetWidth, double cropPct)
    {
        int sh = (int)Math.Floor(targetHeight / cropPct), sw = (int)Math.Floor(targetWidth / cropPct);
        if (sh <= 0 || sw <= 0) throw new ArgumentException($"crop_pct {cropPct} gives an empty resize size {sh}x{sw}");
        if (sh == sw)
        {
            int size = sh;
            if (width <= height)
                return ((int)((double)((long)size * height) / width), size);
            return (size, (int)((double)((long)size * width) / height));
        }
        double ratio = Math.Min((double)height / sh, (double)width / sw);
        int h = (int)Math.Round(height / ratio, MidpointRounding.ToEven), w = (int)Math.Round(width / ratio, MidpointRounding.ToEven);
        return (Math.Max(h, 1), Math.Max(w, 1));
    }

    /// <summary>
    /// torchvision's CenterCrop: top = round((H − h)/2), left = round((W − w)/2) (round half to even); a side
    /// smaller than the crop is first zero-padded by ((c − s) // 2) before and the rest after.
    /// </summary>
    public static RgbImage CenterCrop(RgbImage image, int height, int width)
    {
        int top = CropOffset(image.Height, height), left = CropOffset(image.Width, width);
        if (top == 0 && left == 0 && height == image.Height && width == image.Width) return image;
        var dst = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            int sy = y + top;
            if (sy < 0 || sy >= image.Height) continue;
            for (int x = 0; x < width; x++)
            {
                int sx = x + left;
                if (sx < 0 || sx >= image.Width) continue;
                int s = (sy * image.Width + sx) * 3, d = (y * width + x) * 3;
                dst[d] = image.Pixels[s]; dst[d + 1] = image.Pixels[s + 1]; dst[d + 2] = image.Pixels[s + 2];
            }
        }
        return new RgbImage(dst, width, height);
    }

    /// <summary>Offset of the crop window in the source; negative when the source is padded.</summary>
    internal static int CropOffset(int size, int crop) =>
        crop > size ? -((crop - size) / 2) : (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);

    /// <summary>
    /// Scales to [0,1] and normalises per channel into <paramref name="destination"/> (3·H·W floats, channels first).
    /// Crop mode divides by 255 in float32 (torchvision ToTensor); squash multiplies by 1/255 in float64 and rounds
    /// to float32 (Hugging Face's rescale). Then (x − mean)/std in float32 (torchvision Normalize).
    /// </summary>
    public static void Normalize(RgbImage image, Preprocessing pre, Span<float> destination)
    {
        int plane = image.Width * image.Height;
        if (destination.Length != 3 * plane)
            throw new ArgumentException($"destination has {destination.Length} floats, a {image.Width}x{image.Height} RGB image needs {3 * plane}");
        if (pre.Mean.Length != 3 || pre.Std.Length != 3)
            throw new ArgumentException($"mean and std need 3 values each, got {pre.Mean.Length} and {pre.Std.Length}");
        bool hf = pre.Resize == ResizeMode.Squash;
        var rgb = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            float mean = pre.Mean[c], std = pre.Std[c];
            var dst = destination.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
            {
                byte v = rgb[i * 3 + c];
                float x = hf ? (float)(v * (1.0 / 255.0)) : v / 255f;
                dst[i] = (x - mean) / std;
            }
        }
    }

    /// <summary>The whole eval transform: a (1, 3, H, W) tensor ready for the network.</summary>
    public static Tensor ToTensor(RgbImage image, Preprocessing pre)
    {
        var cropped = ResizeAndCrop(image, pre);
        var t = new Tensor(1, 3, cropped.Height, cropped.Width);
        Normalize(cropped, pre, t.Data);
        return t;
    }
}
