using Xunit.Abstractions;
using System.Diagnostics;
using System.Globalization;
using Vitmix.Tests.Model.Checkpoints;
using static Vitmix.Tests.Hostile.HostileFiles;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// Oversized models and images are refused before anything of their size exists: the built CLI runs as a separate
/// process (an in-process run would share the test host's memory) and its peak resident set must stay under 200 MB.
/// Before the checks, --image-size 1000000000 took 14.7 GB and a depth of a million 2.6 GB.
/// </summary>
public sealed class PeakMemoryTests(ITestOutputHelper output) : IDisposable
{
    const long PeakLimit = 200L << 20;

    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    [Theory]
    [InlineData("image-size-1e9")]
    [InlineData("image-size-2048")]
    [InlineData("depth-1e6")]
    [InlineData("patch-1-checkpoint")]
    public void RefusedOversizedModelsPeakUnder200MB(string scenario)
    {
        string[] args = scenario switch
        {
            "image-size-1e9" => ["predict", InputPng, "--model", GoldenWeights, "--image-size", "1000000000"],
            // patch 8: 256 x 256 patches and the class token are 65,537 tokens, whose N² attention scores wrap an int
            "image-size-2048" => ["predict", InputPng, "--model", GoldenWeights, "--image-size", "2048"],
            "depth-1e6" => ["predict", InputNpy, "--model", Folder(tmp, c => c["model_args"]!["depth"] = 1_000_000)],
            "patch-1-checkpoint" => ["predict", InputNpy, "--model", PatchOneCheckpoint(tmp)],
            _ => throw new ArgumentException(scenario),
        };
        var run = ChildProcess.Run(args);
        output.WriteLine($"{scenario}: exit {run.ExitCode}, peak {run.PeakBytes / (1024.0 * 1024):0.0} MB ({run.How}); {run.Err.Trim()}");
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("vitmix: error: ", run.Err.Trim());
        // A .NET process cannot start in less: a peak below this means the measurement itself failed.
        Assert.True(run.PeakBytes > 10L << 20, $"implausible peak {run.PeakBytes} bytes ({run.How})");
        Assert.True(run.PeakBytes < PeakLimit, $"{scenario}: peak resident memory {run.PeakBytes >> 20} MB ({run.How}); error: {run.Err.Trim()}");
    }

    /// <summary>The built vitmix.dll run by the same dotnet host, with its peak resident set size.</summary>
    static class ChildProcess
    {
        public sealed record Result(int ExitCode, string Err, long PeakBytes, string How);

        /// <summary>vitmix.dll: the test project references the CLI, so the build copies it beside the test assembly.</summary>
        static string CliDll => Path.Combine(AppContext.BaseDirectory, "vitmix.dll");

        static string DotnetHost =>
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

        public static Result Run(string[] args)
        {
            Assert.True(File.Exists(CliDll), $"{CliDll} not found beside the test assembly");
            // GNU time reports the child's peak from wait4's rusage, exactly; without it, /proc VmHWM is polled.
            return File.Exists("/usr/bin/time") ? RunUnderTime(args) : RunPolling(args);
        }

        static Result RunUnderTime(string[] args)
        {
            string report = Path.GetTempFileName();
            try
            {
                var psi = Start("/usr/bin/time", ["-f", "%M", "-o", report, DotnetHost, CliDll, .. args]);
                var (code, err) = Wait(psi, null);
                // The last line is %M, the maximum resident set size in KB ("Command exited ..." may come first).
                string last = File.ReadAllLines(report).Last(l => l.Trim().Length > 0).Trim();
                return new Result(code, err, long.Parse(last, CultureInfo.InvariantCulture) * 1024, "/usr/bin/time %M");
            }
            finally { File.Delete(report); }
        }

        static Result RunPolling(string[] args)
        {
            long peak = 0;
            var psi = Start(DotnetHost, [CliDll, .. args]);
            var (code, err) = Wait(psi, p =>
            {
                // VmHWM is the kernel's own high-water mark, so a poll only has to catch the process alive.
                try
                {
                    foreach (var line in File.ReadLines($"/proc/{p.Id}/status"))
                        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                            peak = Math.Max(peak, long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024);
                }
                catch (IOException) { } // exited between the check and the read
            });
            return new Result(code, err, peak, "/proc VmHWM polled");
        }

        static ProcessStartInfo Start(string file, string[] args)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            return psi;
        }

        static (int Code, string Err) Wait(ProcessStartInfo psi, Action<Process>? poll)
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEndAsync();
            var deadline = Stopwatch.StartNew();
            while (!p.WaitForExit(poll == null ? 1000 : 5))
            {
                poll?.Invoke(p);
                if (deadline.Elapsed > TimeSpan.FromMinutes(3))
                {
                    p.Kill(entireProcessTree: true);
                    Assert.Fail($"vitmix {string.Join(' ', psi.ArgumentList)} still running after 3 minutes");
                }
            }
            p.WaitForExit();
            _ = output.Result;
            return (p.ExitCode, err.Result);
        }
    }
}
