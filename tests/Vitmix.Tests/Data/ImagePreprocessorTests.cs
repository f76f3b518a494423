using Vitmix.Data;
using Vitmix.Model;

namespace Vitmix.Tests.Data;

public sealed class ImagePreprocessorTests
{
    static RgbImage Indexed(int w, int h)
    {
        // pixel (x, y) = (x, y, x + 10·y): every pixel distinct, so crops are traceable
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 3;
                rgb[i] = (byte)x; rgb[i + 1] = (byte)y; rgb[i + 2] = (byte)(x + 10 * y);
            }
        return new RgbImage(rgb, w, h);
    }

    [Theory]
    // timm eval at 224, crop_pct 0.9: scale_size = floor(224/0.9) = 248 on the shorter side,
    // the longer side int(248·long/short) as torchvision's Resize(int) computes it.
    [InlineData(500, 375, 224, 0.9, 248, 330)]   // 248·500/375 = 330.67 → 330
    [InlineData(375, 500, 224, 0.9, 330, 248)]
    [InlineData(300, 300, 224, 0.9, 248, 248)]
    [InlineData(640, 480, 224, 0.875, 256, 341)] // floor(256.0) = 256; 256·640/480 = 341.33 → 341
    [InlineData(100, 50, 32, 1.0, 32, 64)]
    public void Crop_mode_resizes_the_shorter_side_to_floor_size_over_crop_pct(int w, int h, int size, double cropPct, int eh, int ew)
    {
        Assert.Equal((eh, ew), ImagePreprocessor.CropResizeSize(w, h, size, size, cropPct));
    }

    [Theory]
    // torchvision CenterCrop: offset = int(round((size − crop) / 2)), Python rounding half to even
    [InlineData(330, 224, 53)]
    [InlineData(331, 224, 54)]  // 53.5 → 54
    [InlineData(333, 224, 54)]  // 54.5 → 54
    [InlineData(6, 1, 2)]       // 2.5 → 2
    [InlineData(4, 1, 2)]       // 1.5 → 2
    [InlineData(248, 224, 12)]
    [InlineData(1, 3, -1)]      // padded: (3 − 1) // 2 = 1 zero column before
    public void Centre_crop_offset_rounds_half_to_even(int size, int crop, int offset)
    {
        Assert.Equal(offset, ImagePreprocessor.CropOffset(size, crop));
    }

    [Fact]
    public void Centre_crop_takes_the_middle_window()
    {
        var cropped = ImagePreprocessor.CenterCrop(Indexed(10, 8), 4, 4); // top (8−4)/2 = 2, left (10−4)/2 = 3
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
            {
                Assert.Equal(x + 3, cropped.Pixels[(y * 4 + x) * 3]);
                Assert.Equal(y + 2, cropped.Pixels[(y * 4 + x) * 3 + 1]);
            }
    }

    [Fact]
    public void Centre_crop_larger_than_the_image_pads_with_zeros_like_torchvision()
    {
        var one = new RgbImage([7, 8, 9], 1, 1);
        var padded = ImagePreprocessor.CenterCrop(one, 3, 3);
        var expected = new byte[27];
        expected[12] = 7; expected[13] = 8; expected[14] = 9; // pixel (1,1)
        Assert.Equal(expected, padded.Pixels);
    }

    [Fact]
    public void Crop_mode_without_resampling_is_a_pure_centre_crop()
    {
        // size 4, crop_pct 0.5 → scale 8 = the shorter side, so no resize; crop 4x4 at top 2, left 3
        var pre = new Preprocessing { InputHeight = 4, InputWidth = 4, CropPct = 0.5, Interpolation = "bicubic", Resize = ResizeMode.Crop };
        var result = ImagePreprocessor.ResizeAndCrop(Indexed(10, 8), pre);
        Assert.Equal(ImagePreprocessor.CenterCrop(Indexed(10, 8), 4, 4).Pixels, result.Pixels);
        Assert.Equal(3, result.Pixels[0]);
        Assert.Equal(2, result.Pixels[1]);
    }

    [Fact]
    public void Squash_mode_resizes_both_sides_to_the_input_size()
    {
        // the 4x2 → 2x1 bilinear case of ImageResamplerTests: 37 and 53
        var rgb = new byte[24];
        byte[] values = [10, 20, 30, 40, 50, 60, 70, 80];
        for (int i = 0; i < 8; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = values[i];
        var pre = new Preprocessing { InputHeight = 1, InputWidth = 2, Interpolation = "bilinear", Resize = ResizeMode.Squash };
        var result = ImagePreprocessor.ResizeAndCrop(new RgbImage(rgb, 4, 2), pre);
        Assert.Equal(new byte[] { 37, 37, 37, 53, 53, 53 }, result.Pixels);
    }

    [Fact]
    public void Normalise_scales_by_255_then_subtracts_mean_and_divides_by_std_channels_first()
    {
        // two pixels: (255, 0, 51) and (0, 255, 102)
        var image = new RgbImage([255, 0, 51, 0, 255, 102], 2, 1);
        var pre = new Preprocessing { Mean = [0.5f, 0.5f, 0.485f], Std = [0.5f, 0.25f, 0.229f], InputHeight = 1, InputWidth = 2 };
        var t = new float[6];
        ImagePreprocessor.Normalize(image, pre, t);
        // layout [R0 R1 G0 G1 B0 B1]; R: (1−.5)/.5 = 1, (0−.5)/.5 = −1; G: −2, 2;
        // B: (0.2 − 0.485)/0.229 = −1.244541, (0.4 − 0.485)/0.229 = −0.371179
        float[] expected = [1f, -1f, -2f, 2f, -1.2445415f, -0.37117904f];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], t[i], 5e-6f);
    }

    [Fact]
    public void ToTensor_gives_a_batch_of_one_channels_first()
    {
        var pre = new Preprocessing { InputHeight = 2, InputWidth = 3, CropPct = 1.0, Resize = ResizeMode.Crop, Mean = [0, 0, 0], Std = [1, 1, 1] };
        var t = ImagePreprocessor.ToTensor(Indexed(3, 2), pre);
        Assert.Equal(new[] { 1, 3, 2, 3 }, t.Shape);
        Assert.Equal(2 / 255f, t.Data[2]);              // R of (2, 0)
        Assert.Equal(1 / 255f, t.Data[6 + 3]);          // G of (0, 1)
        Assert.Equal(12 / 255f, t.Data[12 + 3 + 2]);    // B of (2, 1) = 2 + 10
    }

    [Fact]
    public void Golden_png_preprocesses_to_the_golden_input_array()
    {
        // Golden inputs: PNG → /255 in float32 → (x − 0.5)/0.5, no resize (the PNGs are already 32x32; crop_pct 1.0)
        string set = GoldenData.Path("vit32_p8_d48_l3_h3_c10");
        var pre = new Preprocessing { InputHeight = 32, InputWidth = 32, CropPct = 1.0, Interpolation = "bilinear", Resize = ResizeMode.Crop };
        foreach (var name in new[] { "disk", "square_disk" })
        {
            var t = ImagePreprocessor.ToTensor(ImageLoader.LoadRgb(Path.Combine(set, "images", name + ".png")), pre);
            var golden = Npy.Read(Path.Combine(set, name, "input.npy"));
            Assert.Equal(new[] { 1, 3, 32, 32 }, golden.Shape);
            var g = golden.ToFloat();
            for (int i = 0; i < g.Length; i++) Assert.Equal(g[i], t.Data[i], 1e-7f);
        }
    }

    [Fact]
    public void Bad_crop_pct_and_interpolation_are_rejected()
    {
        var image = Indexed(4, 4);
        Assert.Throws<ArgumentException>(() => ImagePreprocessor.ResizeAndCrop(image, new Preprocessing { CropPct = 0 }));
        var e = Assert.Throws<ArgumentException>(() => ImagePreprocessor.ResizeAndCrop(image, new Preprocessing { Interpolation = "cubic-spline" }));
        Assert.Contains("cubic-spline", e.Message);
    }
}
