using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SkiaSharp;
using Vitmix.Tests.Cli;
using Vitmix.Tests.Data.Datasets;

namespace Vitmix.Tests.Hostile;

/// <summary>What the hostile-input tests share: the small golden model, folder datasets, folder snapshots and the error-line check.</summary>
internal static partial class HostileFixtures
{
    /// <summary>The 32 px golden model: fast enough to evaluate a handful of images per test.</summary>
    public static string GoldenModelPath => GoldenData.Path(GoldenData.Sets[0], "weights.safetensors");

    /// <summary>`vitmix evaluate` of the golden model into <paramref name="outDir"/>: rollout, lrp and their gmean, 2 deletion steps unless <paramref name="extra"/> says otherwise.</summary>
    public static CliRunner.Result Evaluate(string dataset, string outDir, params string[] extra) =>
        CliRunner.Run(["evaluate", "--model", GoldenModelPath, "--dataset", dataset, "--out", outDir, "--methods", "rollout,lrp", "--fusion", "gmean",
            .. extra.Contains("--deletion-steps") ? [] : new[] { "--deletion-steps", "2" }, .. extra]);

    /// <summary>Every file under <paramref name="dir"/> (hidden ones too) with a hash of its bytes; empty when it does not exist.</summary>
    public static SortedDictionary<string, string> Snapshot(string dir)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(dir)) return files;
        foreach (var f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
            files[Path.GetRelativePath(dir, f)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
        return files;
    }

    /// <summary>
    /// Asserts a failed run's report: exit code 1, exactly one stderr line "vitmix: error: …" holding every one of
    /// <paramref name="parts"/>, no .NET exception type names, and no stack trace.
    /// </summary>
    public static string AssertOneErrorLine(CliRunner.Result r, params string[] parts)
    {
        Assert.True(r.ExitCode == 1, $"exit code {r.ExitCode}; stderr: {r.Err}");
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("vitmix: error: ", line);
        foreach (var p in parts) Assert.Contains(p, line);
        Assert.DoesNotContain("Exception", line);
        Assert.DoesNotContain("internal error", line);
        Assert.DoesNotContain(" at Vitmix.", r.Err);
        return line;
    }

    /// <summary>
    /// A folder dataset: images/NAME.png of the given sizes and masks/NAME.png (a centred square), each mask of
    /// <paramref name="maskSizes"/>' size when given (default: its image's).
    /// </summary>
    public static void MakeFolderDataset(string root, (string Name, int Size)[] images, Dictionary<string, int>? maskSizes = null)
    {
        Directory.CreateDirectory(Path.Combine(root, "images"));
        Directory.CreateDirectory(Path.Combine(root, "masks"));
        for (int i = 0; i < images.Length; i++)
        {
            var (name, size) = images[i];
            FixtureImages.WriteRgb(Path.Combine(root, "images", name + ".png"), FixtureImages.Pattern(size, size, i + 1), size, size, SKEncodedImageFormat.Png);
            int m = maskSizes != null && maskSizes.TryGetValue(name, out int ms) ? ms : size;
            WriteMask(Path.Combine(root, "masks", name + ".png"), m);
        }
    }

    /// <summary>A 0/1 greyscale mask of a centred square.</summary>
    public static void WriteMask(string path, int size)
    {
        var labels = new byte[size * size];
        for (int y = size / 4; y < 3 * size / 4; y++)
            for (int x = size / 4; x < 3 * size / 4; x++) labels[y * size + x] = 1;
        FixtureImages.WriteIndexedPng(path, labels, size, size, palette: false);
    }

    /// <summary>Makes a named pipe: reading it blocks until someone writes it, which holds a run still at a known image.</summary>
    public static void MakeFifo(string path)
    {
        if (mkfifo(path, Convert.ToUInt32("600", 8)) != 0)
            throw new IOException($"mkfifo {path} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mkfifo(string path, uint mode);

    /// <summary>Waits (without a deadline: the condition or the run's end comes) until <paramref name="condition"/> holds or <paramref name="run"/> ends.</summary>
    public static void WaitUntil(Func<bool> condition, Task run)
    {
        while (!run.IsCompleted)
        {
            try { if (condition()) return; }
            catch (IOException) { } // a file being replaced as we read it
            Thread.Sleep(5);
        }
    }
}
