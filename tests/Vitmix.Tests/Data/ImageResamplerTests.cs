using Vitmix.Data;

namespace Vitmix.Tests.Data;

/// <summary>
/// Pillow's resize, checked against values worked out by hand from Pillow's algorithm (Resample.c) and against a
/// naive continuous-kernel twin.
/// </summary>
public sealed class ImageResamplerTests
{
    static RgbImage Grey(int w, int h, params byte[] values)
    {
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < values.Length; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = values[i];
        return new RgbImage(rgb, w, h);
    }

    static byte[] GreyValues(RgbImage image)
    {
        var v = new byte[image.Width * image.Height];
        for (int i = 0; i < v.Length; i++)
        {
            Assert.Equal(image.Pixels[i * 3], image.Pixels[i * 3 + 1]);
            Assert.Equal(image.Pixels[i * 3], image.Pixels[i * 3 + 2]);
            v[i] = image.Pixels[i * 3];
        }
        return v;
    }

    [Fact]
    public void Bilinear_4x2_to_2x1_matches_the_hand_computed_antialiased_triangle_filter()
    {
        // Horizontal 4→2 (scale 2, support 2): output 0 centre 1.0 reads x 0..2 with triangle((x−1+0.5)/2) =
        // 0.75, 0.75, 0.25 → 3/7, 3/7, 1/7; output 1 reads x 1..3 with 1/7, 3/7, 3/7.
        // Row 10 20 30 40 → 120/7 = 17.1 → 17, 230/7 = 32.9 → 33; row 50 60 70 80 → 400/7 → 57, 510/7 → 73.
        // Vertical 2→1: weights ½, ½ → (17+57)/2 = 37, (33+73)/2 = 53.
        var image = Grey(4, 2, 10, 20, 30, 40, 50, 60, 70, 80);
        Assert.Equal(new byte[] { 37, 53 }, GreyValues(ImageResampler.Resize(image, 2, 1, ResampleFilter.Bilinear)));
    }

    [Fact]
    public void Horizontal_pass_rounds_to_8_bits_before_the_vertical_pass()
    {
        // 2x2 → 1x1: rows [0 1] → 0.5 → 1 and [1 2] → 1.5 → 2 (round half up at 2^21), then (1+2)/2 = 1.5 → 2.
        // A single rounding of the exact mean (0+1+1+2)/4 = 1.0 would give 1.
        var image = Grey(2, 2, 0, 1, 1, 2);
        Assert.Equal(new byte[] { 2 }, GreyValues(ImageResampler.Resize(image, 1, 1, ResampleFilter.Bilinear)));
    }

    [Fact]
    public void Bilinear_upscale_uses_the_unscaled_triangle()
    {
        // 2→4: centres 0.25, 0.75, 1.25, 1.75; taps (x − centre + 0.5): [1] → 0, [.75 .25] → 25, [.25 .75] → 75, [1] → 100.
        Assert.Equal(new byte[] { 0, 25, 75, 100 }, GreyValues(ImageResampler.Resize(Grey(2, 1, 0, 100), 4, 1, ResampleFilter.Bilinear)));
    }

    [Fact]
    public void Bicubic_downscale_uses_keys_a_minus_half_with_negative_lobes_and_clips()
    {
        // 4→2, support 4: output 0 reads x 0..3 at (x−1+0.5)/2 = −.25, .25, .75, 1.25:
        // cubic = .8671875, .8671875, .2265625, −.0703125, sum 1.890625 → .458678, .458678, .119835, −.037190.
        // [0 0 0 255] → −9.5 → clipped to 0; output 1 mirrors it → 255·.458678 = 116.96 → 117.
        Assert.Equal(new byte[] { 0, 117 }, GreyValues(ImageResampler.Resize(Grey(4, 1, 0, 0, 0, 255), 2, 1, ResampleFilter.Bicubic)));
        // [0 0 255 255] → 255·(.119835 − .037190) = 21.07 → 21; output 1 → 255·(.458678 + .458678) = 233.9 → 234.
        Assert.Equal(new byte[] { 21, 234 }, GreyValues(ImageResampler.Resize(Grey(4, 1, 0, 0, 255, 255), 2, 1, ResampleFilter.Bicubic)));
        // [0 255 255 255] → 255·(.458678 + .119835 − .037190) = 138.0 → 138; output 1 → 255·1.037190 = 264.5 → clipped to 255.
        Assert.Equal(new byte[] { 138, 255 }, GreyValues(ImageResampler.Resize(Grey(4, 1, 0, 255, 255, 255), 2, 1, ResampleFilter.Bicubic)));
    }

    [Fact]
    public void Nearest_takes_the_pixel_under_each_output_centre()
    {
        // 4→2: centres 1.0, 3.0 → pixels 1, 3.  3→2: 0.75, 2.25 → pixels 0, 2.
        Assert.Equal(new byte[] { 20, 40 }, GreyValues(ImageResampler.Resize(Grey(4, 1, 10, 20, 30, 40), 2, 1, ResampleFilter.Nearest)));
        Assert.Equal(new byte[] { 10, 30 }, GreyValues(ImageResampler.Resize(Grey(3, 1, 10, 20, 30), 2, 1, ResampleFilter.Nearest)));
        // 2→5 upscale: centres 0.2, 0.6, 1.0, 1.4, 1.8 → 0, 0, 1, 1, 1
        Assert.Equal(new byte[] { 10, 10, 20, 20, 20 }, GreyValues(ImageResampler.Resize(Grey(2, 1, 10, 20), 5, 1, ResampleFilter.Nearest)));
    }

    [Fact]
    public void Same_size_is_a_copy()
    {
        var image = Grey(2, 2, 1, 2, 3, 4);
        var copy = ImageResampler.Resize(image, 2, 2, ResampleFilter.Bicubic);
        Assert.Equal(image.Pixels, copy.Pixels);
        Assert.NotSame(image.Pixels, copy.Pixels);
    }

    [Fact]
    public void Channels_are_resampled_independently()
    {
        var rgb = new byte[] { 255, 0, 10, 0, 255, 20, 255, 0, 30, 0, 255, 40 };
        var outImage = ImageResampler.Resize(new RgbImage(rgb, 4, 1), 2, 1, ResampleFilter.Bilinear);
        // weights 3/7 3/7 1/7 and 1/7 3/7 3/7 per channel: R [255 0 255 0] → 4/7·255 = 145.7, 3/7·255 = 109.3;
        // G [0 255 0 255] → 109.3, 145.7; B [10 20 30 40] → 120/7 = 17.1, 230/7 = 32.9
        Assert.Equal(new byte[] { 146, 109, 17, 109, 146, 33 }, outImage.Pixels);
    }

    [Theory]
    [InlineData(ResampleFilter.Bilinear, 37, 23, 11, 7)]
    [InlineData(ResampleFilter.Bicubic, 50, 31, 13, 17)]
    [InlineData(ResampleFilter.Bicubic, 9, 7, 20, 15)]
    [InlineData(ResampleFilter.Lanczos, 40, 30, 17, 19)]
    [InlineData(ResampleFilter.Hamming, 33, 29, 12, 8)]
    [InlineData(ResampleFilter.Box, 30, 20, 12, 9)]
    public void Agrees_with_a_naive_double_precision_twin_within_rounding(ResampleFilter filter, int w, int h, int ow, int oh)
    {
        var rgb = new byte[w * h * 3];
        var rng = new Random(w * 1000 + h);
        // smooth-ish content plus noise so both flat and sharp regions are covered
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    rgb[(y * w + x) * 3 + c] = (byte)Math.Clamp(128 + 100 * Math.Sin(x * 0.3 + c) * Math.Cos(y * 0.2) + rng.Next(-20, 21), 0, 255);
        var image = new RgbImage(rgb, w, h);
        var fast = ImageResampler.Resize(image, ow, oh, filter);
        var naive = NaiveResize(image, ow, oh, filter);
        Assert.Equal((ow, oh), (fast.Width, fast.Height));
        int worst = 0;
        for (int i = 0; i < naive.Length; i++) worst = Math.Max(worst, Math.Abs(fast.Pixels[i] - (int)Math.Round(Math.Clamp(naive[i], 0, 255))));
        // the twin keeps full precision between the passes; Pillow rounds to 8 bits in between
        Assert.InRange(worst, 0, 2);
    }

    /// <summary>Separable convolution with the continuous kernels, weights normalised per output, no intermediate rounding.</summary>
    static double[] NaiveResize(RgbImage image, int ow, int oh, ResampleFilter filter)
    {
        double Kernel(double x)
        {
            double ax = Math.Abs(x);
            switch (filter)
            {
                case ResampleFilter.Box: return x > -0.5 && x <= 0.5 ? 1 : 0;
                case ResampleFilter.Bilinear: return ax < 1 ? 1 - ax : 0;
                case ResampleFilter.Hamming: return ax == 0 ? 1 : ax >= 1 ? 0 : Math.Sin(Math.PI * ax) / (Math.PI * ax) * (0.54 + 0.46 * Math.Cos(Math.PI * ax));
                case ResampleFilter.Bicubic: return ax < 1 ? 1.5 * ax * ax * ax - 2.5 * ax * ax + 1 : ax < 2 ? -0.5 * ax * ax * ax + 2.5 * ax * ax - 4 * ax + 2 : 0;
                default:
                    double S(double t) => t == 0 ? 1 : Math.Sin(Math.PI * t) / (Math.PI * t);
                    return x >= -3 && x < 3 ? S(x) * S(x / 3) : 0;
            }
        }
        double[,] Weights(int n, int m)
        {
            double scale = (double)n / m, fs = Math.Max(1, scale);
            var wts = new double[m, n];
            for (int o = 0; o < m; o++)
            {
                double centre = (o + 0.5) * scale, sum = 0;
                for (int i = 0; i < n; i++)
                {
                    // every pixel whose centre is within the stretched kernel's reach contributes
                    wts[o, i] = Kernel((i + 0.5 - centre) / fs);
                    sum += wts[o, i];
                }
                for (int i = 0; i < n; i++) wts[o, i] /= sum;
            }
            return wts;
        }
        var wx = Weights(image.Width, ow);
        var wy = Weights(image.Height, oh);
        var result = new double[ow * oh * 3];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int c = 0; c < 3; c++)
                {
                    double s = 0;
                    for (int sy = 0; sy < image.Height; sy++)
                    {
                        if (wy[y, sy] == 0) continue;
                        for (int sx = 0; sx < image.Width; sx++)
                            s += wy[y, sy] * wx[x, sx] * image.Pixels[(sy * image.Width + sx) * 3 + c];
                    }
                    result[(y * ow + x) * 3 + c] = s;
                }
        return result;
    }

    [Fact]
    public void Unknown_interpolation_name_is_rejected_with_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => ResampleFilters.Parse("spline"));
        Assert.Contains("spline", e.Message);
        Assert.Contains("bicubic", e.Message);
        Assert.Equal(ResampleFilter.Bicubic, ResampleFilters.Parse("BICUBIC"));
    }
}
