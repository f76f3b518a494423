using System.Diagnostics;
using SkiaSharp;
using Vitmix.Cli;
using Vitmix.IO;
using Vitmix.Tests.Cli;
using Vitmix.Tests.Data.Datasets;
using static Vitmix.Tests.Hostile.HostileImages;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// Hostile files inside datasets (`train --dataset imagefolder:`, `evaluate --dataset folder:`) and `synth` on a
/// full disk: one line naming the file, through the parallel loops that used to report an AggregateException.
/// </summary>
public class HostileDatasetTests : IDisposable
{
    readonly TempDir data = new(), outDir = new();

    public void Dispose()
    {
        data.Dispose();
        outDir.Dispose();
    }

    /// <summary>Two classes of 32x32 images, four each; <paramref name="write"/> writes one more file into class "b".</summary>
    void MakeImageFolder(Action<string>? write = null)
    {
        foreach (string c in new[] { "a", "b" })
            for (int i = 0; i < 4; i++)
                FixtureImages.WriteRgb(Path.Combine(data.Dir(c), $"{i}.png"), FixtureImages.Pattern(32, 32, i + (c == "b" ? 10 : 0)), 32, 32, SKEncodedImageFormat.Png);
        write?.Invoke(data.Dir("b"));
    }

    CliRunner.Result Train(string run) =>
        CliRunner.Run("train", "--dataset", "imagefolder:" + data.Path, "--model", ModelPath, "--out", run, "--epochs", "1", "--batch-size", "4",
            "--val-split", "0.25", "--no-augment");

    [Fact]
    public void PpmAndPgmInAnImageFolderAreDecoded()
    {
        // torchvision lists .ppm and .pgm among IMG_EXTENSIONS; they used to fail as an AggregateException.
        string fixtures = Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Data", "Fixtures", "decoding");
        MakeImageFolder(dir =>
        {
            File.Copy(Path.Combine(fixtures, "ppm_max65535.ppm"), Path.Combine(dir, "x.ppm"));
            File.Copy(Path.Combine(fixtures, "pgm_max255.pgm"), Path.Combine(dir, "y.pgm"));
        });
        var r = Train(outDir.Combine("run"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.True(File.Exists(outDir.Combine("run", "model.safetensors")));
    }

    [Fact]
    public void ATiffInAnImageFolderIsOneLineSayingHowToConvertIt()
    {
        string tif = data.Combine("b", "scan.tiff");
        MakeImageFolder(dir => File.WriteAllBytes(tif, [.. "MM\0*"u8, 0, 0, 0, 8, 0, 0]));
        string run = outDir.Combine("run");
        var line = AssertOneLineError(Train(run), tif, "TIFF images are not supported");
        Assert.Contains("magick", line);
        Assert.False(File.Exists(Path.Combine(run, "model.safetensors")));
    }

    [Fact]
    public void ACorruptImageInAnImageFolderIsOneLineNotAnAggregateException()
    {
        byte[] png = SmallPng();
        string cut = data.Combine("b", "cut.png");
        MakeImageFolder(dir => File.WriteAllBytes(cut, png[..(png.Length / 2)]));
        string run = outDir.Combine("run");
        AssertOneLineError(Train(run), cut, "truncated");
        Assert.False(File.Exists(Path.Combine(run, "model.safetensors")));
    }

    [Fact]
    public void ACorruptOrBombImageInAFolderDatasetStopsEvaluateWithOneLineAndNoRowForIt()
    {
        FolderDatasetTests.MakeFolder(data, null);
        string bomb = data.Combine("images", "dog.bmp"); // the last image in name order: cat and cat_2 come first
        File.WriteAllBytes(bomb, HeaderOnlyBmp(13000, 13000));
        string o = outDir.Combine("eval");
        var r = CliRunner.Run("evaluate", "--model", ModelPath, "--dataset", "folder:" + data.Path, "--out", o, "--deletion-steps", "0",
            "--methods", "rollout", "--combos", "1");
        AssertOneLineError(r, bomb, "truncated or corrupt");
        string results = Path.Combine(o, "results.csv");
        Assert.True(File.Exists(results)); // the images before it were evaluated
        Assert.DoesNotContain(File.ReadAllLines(results), l => l.StartsWith("dog,"));
    }

    [SkippableFact]
    public void SynthOnAFullDiskIsOneLineNamingTheFileAndLeavesNothing()
    {
        // A 256 KiB tmpfs fills after a few images. Mounting needs root (CI runs as root); elsewhere this is skipped,
        // and AFailedWriteNamesTheTargetFile below covers the message.
        string mount = outDir.Dir("tiny");
        Skip.IfNot(OperatingSystem.IsLinux() && Run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount), "cannot mount a tmpfs here");
        try
        {
            string target = Path.Combine(mount, "shapes");
            var r = CliRunner.Run("synth", "--out", target, "--count", "300", "--threads", "2");
            // An image or a mask, named under --out (not under the hidden work folder the writer fills).
            var line = AssertOneLineError(r, target + Path.DirectorySeparatorChar, "No space left on device");
            Assert.Matches(@"/(images|masks)/synth_\d+\.png: ", line);
            Assert.Contains("cannot write", line);
            Assert.Empty(Directory.EnumerateFileSystemEntries(mount)); // no half-written benchmark, no hidden work folder
        }
        finally { Run("umount", mount); }
    }

    [Fact]
    public void AFailedWriteNamesTheTargetFileNotTheTempFile()
    {
        string target = outDir.Combine("x.png");
        string? temp = null;
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(target, tmp =>
        {
            temp = tmp;
            throw new IOException($"No space left on device : '{tmp}'");
        }));
        Assert.Equal($"cannot write {target}: No space left on device", e.Message);
        Assert.False(File.Exists(temp));
    }

    [Fact]
    public void ErrorsFromParallelLoopsAreReportedAsTheFirstExpectedInnerError()
    {
        var aggregate = new AggregateException(new InvalidOperationException("not this"),
            new AggregateException(new InvalidDataException("/data/b/cut.png: not a decodable image (truncated)")));
        Assert.True(CliErrors.IsExpected(aggregate));
        var error = new StringWriter();
        CliErrors.Report(aggregate, error, verbose: false);
        Assert.Equal("vitmix: error: /data/b/cut.png: not a decodable image (truncated)", error.ToString().Trim());
        Assert.False(CliErrors.IsExpected(new AggregateException(new InvalidOperationException("a bug"))));
    }

    static bool Run(string file, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false, RedirectStandardError = true })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }
}
