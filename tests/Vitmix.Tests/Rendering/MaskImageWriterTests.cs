using Vitmix.Rendering;
using Vitmix.Data;
using SkiaSharp;
using Vitmix.Data.Datasets;
using Vitmix.Fusion;

namespace Vitmix.Tests.Fusion;

public class MaskImageWriterTests
{
    [Fact]
    public void MaskAndOverlayPngsDecodeToTheExpectedPixels()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vitmix-png-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string maskPath = Path.Combine(dir, "mask.png");
            MaskImageWriter.WriteMask(maskPath, [0, 1, 1, 0, 0, 1], 3, 2);
            using (var bmp = SKBitmap.Decode(maskPath))
            {
                Assert.Equal(3, bmp.Width); Assert.Equal(2, bmp.Height);
                Assert.Equal(255, bmp.GetPixel(1, 0).Red);
                Assert.Equal(0, bmp.GetPixel(0, 1).Red);
            }

            // Black image, map 0 on the left and 1 on the right, alpha 1: the pixels are the colormap's ends.
            var image = new RgbImage(new byte[2 * 1 * 3], 2, 1);
            string overlay = Path.Combine(dir, "overlay.png");
            MaskImageWriter.WriteOverlay(overlay, image, [0f, 1f], 2, 1, "jet", alpha: 1f);
            using (var bmp = SKBitmap.Decode(overlay))
            {
                var jet = Colormaps.Get("jet");
                Assert.Equal(new SKColor(jet[0], jet[1], jet[2]), bmp.GetPixel(0, 0));
                Assert.Equal(new SKColor(jet[765], jet[766], jet[767]), bmp.GetPixel(1, 0));
            }
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void DefaultColormapLightnessRisesMonotonically()
    {
        // Perceptual order: relative luminance of the default map must increase along the table.
        var lut = Colormaps.Get("oklab");
        double Lin(byte v) { double c = v / 255.0; return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4); }
        double prev = -1;
        for (int i = 0; i < 256; i += 5)
        {
            double y = 0.2126 * Lin(lut[3 * i]) + 0.7152 * Lin(lut[3 * i + 1]) + 0.0722 * Lin(lut[3 * i + 2]);
            Assert.True(y > prev, $"luminance falls at entry {i}");
            prev = y;
        }
        // matplotlib's jet ends: dark blue (0, 0, 0.5) and dark red (0.5, 0, 0).
        var jet = Colormaps.Get("jet");
        Assert.Equal([0, 0, 128], jet[..3]);
        Assert.Equal([128, 0, 0], jet[765..]);
    }
}
