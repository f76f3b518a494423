using System.Text.Json;
using SkiaSharp;
using Vitmix.Tests.Cli;
using Vitmix.Tests.Data;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;
using static Vitmix.Tests.Hostile.HostileImages;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// Hostile image files through the CLI (`predict`, `explain`): each is refused with exit code 1 and one line
/// "vitmix: error: FILE: problem", nothing is written for it, and the images beside it are still processed.
/// </summary>
public class HostileImageTests : IDisposable
{
    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    string Write(string name, byte[] bytes)
    {
        string path = tmp.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    CliRunner.Result Predict(params string[] inputs) => CliRunner.Run(["predict", .. inputs, "--model", ModelPath]);

    public static TheoryData<string, string> DeclaredSizes => new()
    {
        // Over Pillow's limit of 2 x 89,478,485 pixels: refused from the header.
        { "bmp-over-limit", "more than the limit of 178956970" },
        { "png-over-limit", "more than the limit of 178956970" },
        { "gif-over-limit", "more than the limit of 178956970" },
        { "ppm-over-long", "more than the limit of 178956970" },
        // Within the limit, but the data cannot hold them: refused before the pixel buffer is allocated.
        { "bmp-54-bytes-13000x13000", "truncated or corrupt" },
        { "png-10000x10000-small-idat", "cannot hold them" },
        { "gif-8000x8000-empty-frame", "truncated or corrupt" },
        { "ppm-short-raster", "truncated" },
    };

    byte[] DeclaredSizeFile(string kind) => kind switch
    {
        "bmp-over-limit" => HeaderOnlyBmp(20000, 20000),
        "png-over-limit" => PngDeclaring(100_000, 100_000),
        "gif-over-limit" => GifDeclaring(65535, 65535),
        "ppm-over-long" => [.. "P6 4294967295 4294967295 255\n"u8, 0, 0, 0],
        "bmp-54-bytes-13000x13000" => HeaderOnlyBmp(13000, 13000),
        "png-10000x10000-small-idat" => PngDeclaring(10_000, 10_000),
        "gif-8000x8000-empty-frame" => GifDeclaring(8000, 8000),
        "ppm-short-raster" => [.. "P6 4000 4000 255\n"u8, 1, 2, 3],
        _ => throw new ArgumentException(kind),
    };

    [Theory]
    [MemberData(nameof(DeclaredSizes))]
    public void ImagesDeclaringMorePixelsThanAllowedOrThanTheirDataHoldsAreRefusedFromTheHeader(string kind, string problem)
    {
        string ext = kind[..3] switch { "bmp" => ".bmp", "png" => ".png", "gif" => ".gif", _ => ".ppm" };
        string path = Write(kind + ext, DeclaredSizeFile(kind));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var r = Predict(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        AssertOneLineError(r, path, problem);
        // The refusal comes before any pixel buffer: the whole run (model load included) stays far below one of them.
        Assert.True(allocated < 64L << 20, $"allocated {allocated >> 20} MiB");
    }

    [SkippableFact]
    public void DevZeroAndDevUrandomAreRefusedAfterTheirFirstBytes()
    {
        Skip.IfNot(File.Exists("/dev/zero") && File.Exists("/dev/urandom"));
        foreach (string device in new[] { "/dev/zero", "/dev/urandom" })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var r = Predict(device);
            AssertOneLineError(r, device, "not a decodable image (unrecognised format");
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20);
        }
    }

    [SkippableFact]
    public void AFifoNamedLikeAnImageIsRefusedNotWaitedOn()
    {
        string fifo = tmp.Combine("waiting.png");
        Skip.IfNot(MakeFifo(fifo), "mkfifo is not available");
        // No writer ever opens it: a blocking open(2) would hang here for good.
        var run = Task.Run(() => Predict(fifo, GoodInput));
        Assert.True(run.Wait(TimeSpan.FromMinutes(5)), "predict is still waiting on the FIFO");
        AssertOneLineError(run.Result, fifo, "the file is empty");
    }

    [SkippableFact]
    public void APipeLikeAShellProcessSubstitutionIsReadLikeAFile()
    {
        // `vitmix predict <(cat a.png)` names /dev/fd/N, a pipe with a writer: it has no size and is read to its end.
        Skip.IfNot(OperatingSystem.IsLinux(), "needs /proc/self/fd");
        byte[] png = SmallPng();
        var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out, HandleInheritability.None);
        using var readHandle = pipe.ClientSafePipeHandle; // the read end stays open in this process, as the shell's would
        string readEnd = $"/proc/self/fd/{pipe.GetClientHandleAsString()}";
        pipe.Write(png); // fits the pipe's buffer; closing the write end then leaves the data and an end of file
        pipe.Dispose();
        var piped = CliRunner.Run("predict", readEnd, "--model", ModelPath, "--json");
        Assert.True(piped.ExitCode == 0, piped.Err);
        var file = CliRunner.Run("predict", Write("copy.png", png), "--model", ModelPath, "--json");
        Assert.Equal(Logits(file.Out), Logits(piped.Out));
    }

    [Fact]
    public void AFolderNamedLikeAnImageIsOneLine()
    {
        string dir = tmp.Dir("folder.png");
        var r = CliRunner.Run("explain", dir, "--model", ModelPath, "--methods", "rollout", "--out", tmp.Combine("out"));
        AssertOneLineError(r, dir, "a folder with no inputs in it");
        Assert.False(Directory.Exists(tmp.Combine("out")));
    }

    [Fact]
    public void TruncatedEmptyAndMislabelledFilesAreOneLineEachAndTheGoodInputIsStillPredicted()
    {
        byte[] png = SmallPng(), jpeg = SmallJpeg();
        string cutPng = Write("cut.png", png[..(png.Length * 2 / 3)]);
        string cutJpeg = Write("cut.jpg", jpeg[..(jpeg.Length / 2)]);
        string empty = Write("empty.png", []);
        string text = Write("notes.png", "just some text, not an image"u8.ToArray());
        var r = Predict(cutPng, cutJpeg, empty, text, GoodInput);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(4, r.ErrLines.Length);
        foreach (var (file, problem) in new[] { (cutPng, "truncated"), (cutJpeg, "truncated"), (empty, "the file is empty"), (text, "unrecognised format") })
        {
            var line = Assert.Single(r.ErrLines, l => l.Contains(file + ":"));
            Assert.StartsWith("vitmix: error: ", line);
            Assert.Contains(problem, line);
            Assert.DoesNotContain("Exception", line);
        }
        Assert.Contains("input.npy", r.Out); // the good input is still predicted
    }

    [Fact]
    public void AnImageIsDecodedByWhatItIsNotByItsExtension()
    {
        byte[] png = SmallPng();
        string right = Write("right.png", png), wrong = Write("wrong.jpg", png);
        var a = CliRunner.Run("predict", right, "--model", ModelPath, "--json");
        var b = CliRunner.Run("predict", wrong, "--model", ModelPath, "--json");
        Assert.True(a.ExitCode == 0 && b.ExitCode == 0, a.Err + b.Err);
        Assert.Equal(Logits(a.Out), Logits(b.Out));
    }

    [Fact]
    public void SixteenBitGreyPngPredictsAsPillowSeesIt()
    {
        // Pillow clips 16-bit grey to 0..255 (mode "I" to RGB): the model must see exactly the 8-bit image of the
        // clipped values, not the high bytes (which would be this image's dark version).
        int w = 32, h = 32;
        var values = new ushort[w * h];
        for (int i = 0; i < values.Length; i++) values[i] = (ushort)(i % 7 == 0 ? 40000 : i % 300);
        string sixteen = Write("grey16.png", GreyPng16(values, w, h));
        var clipped = new byte[w * h * 3];
        for (int i = 0; i < values.Length; i++) clipped[3 * i] = clipped[3 * i + 1] = clipped[3 * i + 2] = (byte)Math.Min(values[i], (ushort)255);
        string eight = Write("grey8.png", ImageFixtures.Encode(ImageFixtures.ToRgba(clipped), w, h, SKEncodedImageFormat.Png));
        var highBytes = new byte[w * h * 3];
        for (int i = 0; i < values.Length; i++) highBytes[3 * i] = highBytes[3 * i + 1] = highBytes[3 * i + 2] = (byte)(values[i] >> 8);
        string dark = Write("dark.png", ImageFixtures.Encode(ImageFixtures.ToRgba(highBytes), w, h, SKEncodedImageFormat.Png));

        var got = Logits(CliRunner.Run("predict", sixteen, "--model", ModelPath, "--json").Out);
        Assert.Equal(Logits(CliRunner.Run("predict", eight, "--model", ModelPath, "--json").Out), got);
        Assert.NotEqual(Logits(CliRunner.Run("predict", dark, "--model", ModelPath, "--json").Out), got);
    }

    [Fact]
    public void ExplainWritesNothingForARefusedImage()
    {
        string bomb = Write("bomb.bmp", HeaderOnlyBmp(13000, 13000));
        string outDir = tmp.Combine("maps");
        var r = CliRunner.Run("explain", bomb, GoodInput, "--model", ModelPath, "--methods", "rollout", "--out", outDir);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(bomb, Assert.Single(r.ErrLines));
        Assert.False(Directory.Exists(Path.Combine(outDir, "bomb")));
        Assert.True(File.Exists(Path.Combine(outDir, "input", "summary.json")));
    }

    [Fact]
    public void TiffIsRefusedWithHowToConvert()
    {
        string tif = Write("scan.tif", [.. "II*\0"u8, 8, 0, 0, 0, 0, 0]);
        var line = AssertOneLineError(Predict(tif), tif, "TIFF images are not supported");
        Assert.Contains("convert", line);
    }

    static float[] Logits(string jsonLines)
    {
        using var doc = JsonDocument.Parse(jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]);
        return doc.RootElement.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
    }

    /// <summary>A 16-bit greyscale PNG (colour type 0), written by hand: SkiaSharp has no 16-bit encoder.</summary>
    internal static byte[] GreyPng16(ushort[] values, int w, int h)
    {
        var raw = new byte[h * (1 + 2 * w)];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan(y * (1 + 2 * w) + 1 + 2 * x), values[y * w + x]);
        using var z = new MemoryStream();
        using (var zs = new System.IO.Compression.ZLibStream(z, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) zs.Write(raw);
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 16;
        return [137, 80, 78, 71, 13, 10, 26, 10, .. Chunk("IHDR", ihdr), .. Chunk("IDAT", z.ToArray()), .. Chunk("IEND", [])];
    }

    static byte[] Chunk(string type, byte[] data)
    {
        byte[] t = System.Text.Encoding.ASCII.GetBytes(type);
        var c = new byte[12 + data.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(c, data.Length);
        t.CopyTo(c, 4);
        data.CopyTo(c, 8);
        uint crc = 0xFFFFFFFF;
        foreach (byte x in c.AsSpan(4, 4 + data.Length))
        {
            crc ^= x;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(8 + data.Length), ~crc);
        return c;
    }
}
