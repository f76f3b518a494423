using Vitmix.Data;
using Vitmix.Training;

namespace Vitmix.Tests.Training;

public class AugmentationTests
{
    static readonly float[] Zero = [0f, 0f, 0f], One = [1f, 1f, 1f];

    // Vertical stripes two pixels wide, shifted by one: columns 0, 255, 255, 0, 0, 255, 255, 0, ...
    static RgbImage Stripes(int width, int height)
    {
        var px = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++) px[(y * width + x) * 3 + c] = (byte)((x + 1) / 2 % 2 == 0 ? 0 : 255);
        return new RgbImage(px, width, height);
    }

    [Fact]
    public void ShrinkingAveragesTheFootprintInsteadOfAliasing()
    {
        // 64 → 16 px: output column j covers source columns 4j..4j+3 = dark, bright, bright, dark, so its value is the
        // mean 0.5. A single bilinear sample at the footprint centre (source x = 4j + 1.5) lands between the two bright
        // columns and reads 1: the stripes would alias into a uniformly bright image.
        var output = new float[3 * 16 * 16];
        Augmentation.Apply(Stripes(64, 64), 16, 16, Zero, One, AugmentationOptions.None, null, output);
        Assert.All(output, v => Assert.Equal(0.5f, v, 1e-6f));
    }

    [Fact]
    public void SameSizeIsTheImageItself()
    {
        var image = Stripes(16, 8);
        var output = new float[3 * 8 * 16];
        Augmentation.Apply(image, 8, 16, Zero, One, AugmentationOptions.None, null, output);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 8 * 16; i++)
                Assert.Equal(image.Pixels[i * 3 + c] / 255f, output[c * 128 + i], 1e-6f);
    }
}
