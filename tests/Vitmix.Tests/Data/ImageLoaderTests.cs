using SkiaSharp;
using Vitmix.Data;

namespace Vitmix.Tests.Data;

public sealed class ImageLoaderTests : IDisposable
{
    readonly ImageFixtures _files = new();
    public void Dispose() => _files.Dispose();

    // 3x2 image with six distinct colours: a b c / d e f
    static readonly byte[] Pattern =
    [
        255, 0, 0,    0, 255, 0,    0, 0, 255,
        10, 20, 30,   200, 150, 100, 1, 2, 3,
    ];

    [Fact]
    public void Png_decodes_to_the_exact_pixels()
    {
        string path = _files.Write("p.png", ImageFixtures.Encode(ImageFixtures.ToRgba(Pattern), 3, 2, SKEncodedImageFormat.Png));
        var (rgb, w, h) = ImageLoader.LoadRgb(path);
        Assert.Equal((3, 2), (w, h));
        Assert.Equal(Pattern, rgb);
    }

    [Fact]
    public void Lossless_webp_decodes_to_the_exact_pixels()
    {
        string path = _files.Write("p.webp", ImageFixtures.Encode(ImageFixtures.ToRgba(Pattern), 3, 2, SKEncodedImageFormat.Webp));
        var image = ImageLoader.LoadRgb(path);
        Assert.Equal(Pattern, image.Pixels);
    }

    [Fact]
    public void Bmp_with_row_padding_decodes_bottom_up_bgr_rows()
    {
        // width 3 → 9 bytes per row padded to 12: exercises the padding and the bottom-up row order
        string path = _files.Write("p.bmp", ImageFixtures.Bmp(Pattern, 3, 2));
        var image = ImageLoader.LoadRgb(path);
        Assert.Equal((3, 2), (image.Width, image.Height));
        Assert.Equal(Pattern, image.Pixels);
    }

    [Fact]
    public void Jpeg_of_flat_colour_blocks_decodes_close_to_the_source()
    {
        // 16x16: 8x8 blocks of four flat colours, so JPEG's block DCT represents them almost exactly
        var rgb = new byte[16 * 16 * 3];
        byte[][] colours = [[200, 40, 40], [40, 200, 40], [40, 40, 200], [128, 128, 128]];
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
                colours[(y / 8) * 2 + x / 8].CopyTo(rgb, (y * 16 + x) * 3);
        string path = _files.Write("p.jpg", ImageFixtures.Encode(ImageFixtures.ToRgba(rgb), 16, 16, SKEncodedImageFormat.Jpeg));
        var image = ImageLoader.LoadRgb(path);
        Assert.Equal((16, 16), (image.Width, image.Height));
        for (int i = 0; i < rgb.Length; i++) Assert.InRange(image.Pixels[i] - rgb[i], -6, 6);
    }

    [Fact]
    public void Alpha_is_dropped_without_compositing_like_PIL_convert_RGB()
    {
        var rgba = ImageFixtures.ToRgba(Pattern, alpha: 255);
        rgba[3] = 0;     // pixel a fully transparent
        rgba[7] = 128;   // pixel b half transparent
        string path = _files.Write("a.png", ImageFixtures.Encode(rgba, 3, 2, SKEncodedImageFormat.Png));
        Assert.Equal(Pattern, ImageLoader.LoadRgb(path).Pixels);
    }

    [Fact]
    public void Exif_orientation_6_is_applied_as_a_clockwise_quarter_turn()
    {
        // 16x8: left half red, right half blue. Orientation 6 (RightTop) is shown rotated 90° clockwise:
        // 8 wide, 16 tall, the left (red) half on top.
        var rgb = new byte[16 * 8 * 3];
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 16; x++)
                (x < 8 ? new byte[] { 255, 0, 0 } : [0, 0, 255]).CopyTo(rgb, (y * 16 + x) * 3);
        var jpeg = ImageFixtures.Encode(ImageFixtures.ToRgba(rgb), 16, 8, SKEncodedImageFormat.Jpeg);
        string path = _files.Write("rot.jpg", ImageFixtures.WithExifOrientation(jpeg, 6));

        var shown = ImageLoader.LoadRgb(path);
        Assert.Equal((8, 16), (shown.Width, shown.Height));
        Assert.True(shown.Pixels[(2 * 8 + 4) * 3] > 200 && shown.Pixels[(2 * 8 + 4) * 3 + 2] < 60, "top should be red");
        Assert.True(shown.Pixels[(13 * 8 + 4) * 3] < 60 && shown.Pixels[(13 * 8 + 4) * 3 + 2] > 200, "bottom should be blue");

        var stored = ImageLoader.LoadRgb(path, applyExifOrientation: false);
        Assert.Equal((16, 8), (stored.Width, stored.Height));
    }

    [Theory]
    // Expected displayed layouts of "a b c / d e f" for each EXIF orientation (EXIF 2.3 §4.6.4 Orientation, PIL exif_transpose)
    [InlineData(SKEncodedOrigin.TopLeft, 3, "abcdef")]
    [InlineData(SKEncodedOrigin.TopRight, 3, "cbafed")]
    [InlineData(SKEncodedOrigin.BottomRight, 3, "fedcba")]
    [InlineData(SKEncodedOrigin.BottomLeft, 3, "defabc")]
    [InlineData(SKEncodedOrigin.LeftTop, 2, "adbecf")]
    [InlineData(SKEncodedOrigin.RightTop, 2, "daebfc")]
    [InlineData(SKEncodedOrigin.RightBottom, 2, "fcebda")]
    [InlineData(SKEncodedOrigin.LeftBottom, 2, "cfbead")]
    public void Orient_maps_every_exif_orientation(SKEncodedOrigin origin, int width, string layout)
    {
        // Pixel "a".."f" has all channels equal to its letter index.
        var rgb = new byte[18];
        for (int i = 0; i < 6; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = (byte)i;
        var oriented = ImageLoader.Orient(new RgbImage(rgb, 3, 2), origin);
        Assert.Equal(width, oriented.Width);
        Assert.Equal(6 / width, oriented.Height);
        var letters = string.Concat(Enumerable.Range(0, 6).Select(i => (char)('a' + oriented.Pixels[i * 3])));
        Assert.Equal(layout, letters);
    }

    [Fact]
    public void Garbage_bytes_are_not_a_decodable_image_and_the_message_names_the_file()
    {
        string path = _files.Write("bad.png", "this is not an image at all"u8.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => ImageLoader.LoadRgb(path));
        Assert.StartsWith($"{path}: not a decodable image (", e.Message);
    }

    [Fact]
    public void Empty_file_is_not_a_decodable_image()
    {
        string path = _files.Write("empty.jpg", []);
        var e = Assert.Throws<InvalidDataException>(() => ImageLoader.LoadRgb(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Truncated_png_is_reported_not_returned_half_decoded()
    {
        var rgb = new byte[64 * 64 * 3];
        new Random(1).NextBytes(rgb);
        var png = ImageFixtures.Encode(ImageFixtures.ToRgba(rgb), 64, 64, SKEncodedImageFormat.Png);
        string path = _files.Write("cut.png", png[..(png.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ImageLoader.LoadRgb(path));
        Assert.StartsWith($"{path}: not a decodable image (", e.Message);
    }

    [Fact]
    public void Missing_file_throws_FileNotFound_naming_it()
    {
        string path = _files.PathFor("nope.png");
        var e = Assert.Throws<FileNotFoundException>(() => ImageLoader.LoadRgb(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void SavePng_round_trips_and_leaves_no_temp_file()
    {
        string path = _files.PathFor("out.png");
        ImageLoader.SavePng(path, Pattern, 3, 2);
        Assert.Equal(Pattern, ImageLoader.LoadRgb(path).Pixels);
        Assert.Single(Directory.GetFiles(_files.Dir));
        ImageLoader.SavePng(path, new RgbImage([9, 9, 9], 1, 1)); // overwrite in place
        Assert.Equal(new byte[] { 9, 9, 9 }, ImageLoader.LoadRgb(path).Pixels);
    }

    [Fact]
    public void SavePng_rejects_a_buffer_of_the_wrong_size()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageLoader.SavePng(_files.PathFor("x.png"), new byte[5], 2, 1));
        Assert.Contains("2x1", e.Message);
    }
}
