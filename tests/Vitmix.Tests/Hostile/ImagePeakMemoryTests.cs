using System.Diagnostics;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;
using static Vitmix.Tests.Hostile.HostileImages;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// The built `vitmix` run as a separate process on images that declare more than they hold: its peak resident memory
/// (VmHWM) must stay under 200 MB, where decoding them would take 1.2 GB (13000x13000) or more.
/// </summary>
public class ImagePeakMemoryTests
{
    const long LimitBytes = 200L * 1000 * 1000;

    [SkippableFact]
    public void RefusingAnOversizedImageKeepsTheProcessUnder200MB()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "reads /proc/<pid>/status");
        using var tmp = new TempDir();
        string cli = Path.Combine(AppContext.BaseDirectory, "vitmix.dll"); // the referenced CLI is built beside the tests
        Assert.True(File.Exists(cli), cli);
        string bomb = tmp.Combine("bomb.bmp"), over = tmp.Combine("over.bmp");
        File.WriteAllBytes(bomb, HeaderOnlyBmp(13000, 13000));  // within the pixel limit, holds nothing
        File.WriteAllBytes(over, HeaderOnlyBmp(30000, 30000));  // over it
        // Good inputs after the bad ones keep the process alive past the refusals, so the peak is read while it runs.
        var start = new ProcessStartInfo("dotnet", ["exec", cli, "predict", bomb, over, GoodInput, GoodInput, GoodInput, "--model", ModelPath])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        int readings = 0;
        while (!process.HasExited)
        {
            if (PeakResident(process.Id) is long kb) { peak = Math.Max(peak, kb * 1024); readings++; }
            Thread.Sleep(5);
        }
        process.WaitForExit();
        string err = stderr.Result;
        Assert.True(readings > 0, "the process ended before its memory could be read");
        Assert.Equal(1, process.ExitCode);
        Assert.Contains(bomb, err);
        Assert.Contains(over, err);
        Assert.Contains("input.npy", stdout.Result); // it went on to the good inputs
        Assert.True(peak < LimitBytes, $"peak resident memory {peak / 1_000_000} MB");
    }

    /// <summary>VmHWM (peak resident set) in kB, or null once the process is gone.</summary>
    static long? PeakResident(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
