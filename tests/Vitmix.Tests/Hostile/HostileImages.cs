using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using SkiaSharp;
using Vitmix.Tests.Cli;
using Vitmix.Tests.Data;

namespace Vitmix.Tests.Hostile;

/// <summary>Hand-made hostile images and .npy files, and the check every hostile input case shares.</summary>
internal static class HostileImages
{
    /// <summary>The golden 32 px model: small, so a CLI run is quick.</summary>
    public static string ModelPath => GoldenModel.Weights;

    /// <summary>A valid normalised input for the golden model.</summary>
    public static string GoodInput => GoldenData.Path(GoldenData.Sets[0], "disk", "input.npy");

    /// <summary>A 54-byte BMP (BITMAPINFOHEADER, 24 bits, uncompressed) whose header declares the size and holds no pixel rows.</summary>
    public static byte[] HeaderOnlyBmp(int width, int height)
    {
        var b = new byte[54];
        Data.Datasets.FixtureImages.WriteBmpHeader(b, width, height, fileSize: 54, imageSize: 0);
        return b;
    }

    /// <summary>A small valid PNG (16x12 noise) with its IHDR size rewritten and the CRC fixed, so only the size lies.</summary>
    public static byte[] PngDeclaring(uint width, uint height)
    {
        var png = SmallPng();
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), PngCrc.Compute(png.AsSpan(12, 17)));
        return png;
    }

    /// <summary>A 16x12 noise PNG encoded by SkiaSharp.</summary>
    public static byte[] SmallPng() => ImageFixtures.Encode(ImageFixtures.ToRgba(Noise(16, 12)), 16, 12, SKEncodedImageFormat.Png);

    /// <summary>A 16x12 noise JPEG encoded by SkiaSharp.</summary>
    public static byte[] SmallJpeg() => ImageFixtures.Encode(ImageFixtures.ToRgba(Noise(16, 12)), 16, 12, SKEncodedImageFormat.Jpeg, 90);

    public static byte[] Noise(int w, int h)
    {
        var rgb = new byte[w * h * 3];
        new Random(w * 31 + h).NextBytes(rgb);
        return rgb;
    }

    /// <summary>
    /// A GIF89a with a <paramref name="canvasWidth"/> x <paramref name="canvasHeight"/> logical screen and one frame of
    /// the same size whose LZW data is a clear code and nothing else (then the trailer): it declares everything and codes nothing.
    /// </summary>
    public static byte[] GifDeclaring(ushort canvasWidth, ushort canvasHeight)
    {
        var b = new List<byte>();
        b.AddRange("GIF89a"u8.ToArray());
        b.AddRange(BitConverter.GetBytes(canvasWidth)); // little-endian on every platform .NET runs on
        b.AddRange(BitConverter.GetBytes(canvasHeight));
        b.AddRange([0x80, 0, 0]);                        // global colour table of 2 entries
        b.AddRange([0, 0, 0, 255, 255, 255]);
        b.Add(0x2C);
        b.AddRange([0, 0, 0, 0]);
        b.AddRange(BitConverter.GetBytes(canvasWidth));
        b.AddRange(BitConverter.GetBytes(canvasHeight));
        b.Add(0);
        b.Add(2);                                        // LZW minimum code size
        b.AddRange([1, 0x2C, 0]);                        // one sub-block: clear (4) then end (5), 3 bits each
        b.Add(0x3B);
        return [.. b];
    }

    /// <summary>A .npy file from a literal header dict and raw data (nothing checked: for hostile files).</summary>
    public static byte[] Npy(string dict, byte[] data)
    {
        string header = dict.PadRight(((dict.Length + 11) / 64 + 1) * 64 - 11) + "\n";
        return [0x93, .. "NUMPY"u8, 1, 0, .. BitConverter.GetBytes((ushort)header.Length), .. Encoding.Latin1.GetBytes(header), .. data];
    }

    /// <summary>Runs mkfifo(1); false where there is none (the test is then skipped).</summary>
    public static bool MakeFifo(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        try
        {
            using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    /// <summary>
    /// The shared verdict: exit code 1 and one error line "vitmix: error: ..." naming <paramref name="file"/> and
    /// containing <paramref name="problem"/>, with no .NET exception type and no stack trace. Returns the line.
    /// </summary>
    public static string AssertOneLineError(CliRunner.Result r, string file, string problem) => HostileFixtures.AssertOneErrorLine(r, file, problem);

}
