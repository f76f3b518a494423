using Vitmix.Engine;

namespace Vitmix.Tests.Engine;

public class BilinearResizeTests
{
    static float[] Ramp(int h, int w) => Enumerable.Range(0, h * w).Select(i => (float)(i * i % 17) - 3f).ToArray();

    [Fact]
    public void Upsampling_4_to_32_matches_values_computed_by_hand()
    {
        var src = Ramp(4, 4);
        var dst = new float[32 * 32];
        BilinearResize.Resize(src, 4, 4, dst, 32, 32);
        // scale 1/8: s = (d + 0.5)/8 - 0.5. d = 0..3 give s < 0 → clamped to 0: exactly src[0,0].
        Assert.Equal(src[0], dst[0]);
        Assert.Equal(src[0], dst[3 * 32 + 3]);
        // d = 31: s = 31.5/8 - 0.5 = 3.4375 → lower 3, upper clamped to 3: exactly src[3,3].
        Assert.Equal(src[15], dst[31 * 32 + 31]);
        // d = 16: s = 16.5/8 - 0.5 = 1.5625 → rows/cols 1 and 2 with weights 0.4375 / 0.5625.
        double l = 0.5625, top = src[1 * 4 + 1] * (1 - l) + src[1 * 4 + 2] * l, bottom = src[2 * 4 + 1] * (1 - l) + src[2 * 4 + 2] * l;
        Assert.Equal(top * (1 - l) + bottom * l, dst[16 * 32 + 16], 5);
        // d = (row 4, col 12): s_row = 4.5/8 - 0.5 = 0.0625, s_col = 12.5/8 - 0.5 = 1.0625.
        double lr = 0.0625, lc = 0.0625;
        double t = src[0 * 4 + 1] * (1 - lc) + src[0 * 4 + 2] * lc, b = src[1 * 4 + 1] * (1 - lc) + src[1 * 4 + 2] * lc;
        Assert.Equal(t * (1 - lr) + b * lr, dst[4 * 32 + 12], 5);
    }

    [Fact]
    public void Downsampling_32_to_4_is_the_mean_of_the_2x2_around_each_patch_centre()
    {
        var src = Ramp(32, 32);
        var dst = new float[16];
        BilinearResize.Resize(src, 32, 32, dst, 4, 4);
        for (int gy = 0; gy < 4; gy++)
            for (int gx = 0; gx < 4; gx++)
            {
                // s = 8·(g + 0.5) - 0.5 = 8g + 3.5: pixels 8g+3 and 8g+4 with weight ½ each.
                int y = 8 * gy + 3, x = 8 * gx + 3;
                double mean = (src[y * 32 + x] + src[y * 32 + x + 1] + src[(y + 1) * 32 + x] + src[(y + 1) * 32 + x + 1]) / 4.0;
                Assert.Equal(mean, dst[gy * 4 + gx], 5);
            }
    }

    [Fact]
    public void Non_square_resize_interpolates_each_axis_on_its_own()
    {
        // A map that is linear in x and constant in y stays linear inside the clamped border.
        var src = new float[3 * 5];
        for (int y = 0; y < 3; y++) for (int x = 0; x < 5; x++) src[y * 5 + x] = x;
        var dst = new float[7 * 10];
        BilinearResize.Resize(src, 3, 5, dst, 7, 10);
        for (int y = 0; y < 7; y++)
            for (int x = 0; x < 10; x++)
            {
                double s = Math.Clamp((x + 0.5) * 0.5 - 0.5, 0, 4);
                Assert.Equal(s, dst[y * 10 + x], 5);
            }
    }

    [Fact]
    public void Bicubic_matches_keys_weights_computed_by_hand()
    {
        var src = Ramp(4, 4);
        var dst = new float[8 * 8];
        BilinearResize.ResizeBicubic(src, 4, 4, dst, 8, 8);
        // scale ½: s = (d + 0.5)/2 - 0.5. d = 3 → s = 1.25, taps 0..3, t = 0.25.
        // Keys A = -0.75: w(x) = (A+2)|x|³ - (A+3)|x|² + 1 for |x| ≤ 1, A|x|³ - 5A|x|² + 8A|x| - 4A for 1 < |x| < 2.
        static double K(double x)
        {
            const double A = -0.75;
            x = Math.Abs(x);
            return x <= 1 ? (A + 2) * x * x * x - (A + 3) * x * x + 1 : A * x * x * x - 5 * A * x * x + 8 * A * x - 4 * A;
        }
        double[] w = [K(1.25), K(0.25), K(0.75), K(1.75)];
        Assert.Equal(1.0, w.Sum(), 6);
        double Expected(int[] rows, double[] wr, int[] cols, double[] wc)
        {
            double total = 0;
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) total += wr[i] * wc[j] * src[rows[i] * 4 + cols[j]];
            return total;
        }
        Assert.Equal(Expected([0, 1, 2, 3], w, [0, 1, 2, 3], w), dst[3 * 8 + 3], 4);
        // d = 0 → s = -0.25: floor -1, t = 0.75, taps -2..1 clamped to 0,0,0,1.
        double[] w0 = [K(1.75), K(0.75), K(0.25), K(1.25)];
        Assert.Equal(Expected([0, 0, 0, 1], w0, [0, 0, 0, 1], w0), dst[0], 4);
        // d = 7 → s = 3.25: floor 3, t = 0.25, taps 2,3,3,3 (clamped).
        Assert.Equal(Expected([2, 3, 3, 3], w, [0, 1, 2, 3], w), dst[7 * 8 + 3], 4);
    }

    [Fact]
    public void Same_size_resize_is_the_identity()
    {
        var src = Ramp(5, 6);
        var dst = new float[30];
        BilinearResize.Resize(src, 5, 6, dst, 5, 6);
        Assert.Equal(src, dst);
        BilinearResize.ResizeBicubic(src, 5, 6, dst, 5, 6);
        for (int i = 0; i < 30; i++) Assert.Equal(src[i], dst[i], 5);
    }
}
