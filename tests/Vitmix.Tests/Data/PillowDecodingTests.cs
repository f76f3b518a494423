using Vitmix.Data;

namespace Vitmix.Tests.Data;

/// <summary>
/// Every PNG colour type and bit depth (with tRNS and Adam7 cases) and binary PGM/PPM at several maxvals, decoded
/// exactly as Pillow's <c>Image.open(f).convert("RGB")</c>. The fixtures and Pillow's bytes come from
/// Data/Fixtures/make_fixtures.py, run with Debian 12's python3-pil (Pillow 9.4.0; the version is recorded beside
/// the expected bytes).
/// </summary>
public class PillowDecodingTests
{
    static readonly string Dir = Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Data", "Fixtures", "decoding");

    static string[] Names() => Directory.EnumerateFiles(Dir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();

    public static TheoryData<string> Fixtures() => new(Names());

    static byte[] Expected(string name) => File.ReadAllBytes(Path.Combine(Dir, "expected", name + ".rgb"));

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void DecodesAsPillowConvertsToRgb(string name)
    {
        var image = ImageLoader.LoadRgb(Path.Combine(Dir, name));
        Assert.Equal((7, 5), (image.Width, image.Height));
        byte[] expected = Expected(name);
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != image.Pixels[i])
                Assert.Fail($"{name}: pixel ({i / 3 % 7},{i / 3 / 7}) channel {i % 3} is {image.Pixels[i]}, Pillow gives {expected[i]}");
    }

    [Fact]
    public void TheFixtureSetCoversEveryKind()
    {
        var names = Names().ToHashSet();
        foreach (string kind in new[] { "grey1", "grey2", "grey4", "grey8", "grey16", "grey16_adam7", "greyalpha8", "greyalpha16", "rgb8",
                     "rgb16", "rgba8", "rgba16", "palette1", "palette4_adam7", "palette8_trns" })
            Assert.Contains(kind + ".png", names);
        foreach (string kind in new[] { "pgm_max255.pgm", "pgm_max65535.pgm", "pgm_max1000.pgm", "ppm_max100.ppm", "ppm_max65535.ppm" })
            Assert.Contains(kind, names);
        Assert.StartsWith("9.4", File.ReadAllText(Path.Combine(Dir, "expected", "PILLOW_VERSION")));
    }

    [Fact]
    public void SixteenBitGreyIsClippedNotScaled()
    {
        // The case: 16-bit grey is Pillow's mode "I", and convert("RGB") clips it. The fixture's first values
        // are 0, 1, 255, 256, 257, 32767, 32768 (grey16.png row 0): 0, 1, 255 and then white, where the high byte would
        // give 0, 0, 0, 1, 1, 127, 128.
        var image = ImageLoader.LoadRgb(Path.Combine(Dir, "grey16.png"));
        Assert.Equal(new byte[] { 0, 1, 255, 255, 255, 255, 255 }, Enumerable.Range(0, 7).Select(x => image.Pixels[3 * x]).ToArray());
    }

    [Fact]
    public void SixteenBitRgbKeepsTheHighByte()
    {
        // Pillow's rawmode "RGB;16B": 0, 1, 255, 256, 257, 32767, 32768 → 0, 0, 0, 1, 1, 127, 128 (rgb16.png, red of row 0..2).
        var image = ImageLoader.LoadRgb(Path.Combine(Dir, "rgb16.png"));
        Assert.Equal(new byte[] { 0, 0, 0 }, image.Pixels[..3]);
        Assert.Equal(1, image.Pixels[3]); // green of pixel 1 is sample 4 = 257
    }
}
