using System.Diagnostics;
using Vitmix.Data.Synthetic;
using Vitmix.IO;
using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// Temp files and folders a killed run leaves (named with its process id) are removed by the next run when that
/// process is gone, and never while it is alive.
/// </summary>
public sealed class StaleTemporaryTests : IDisposable
{
    readonly TempDir tmp = new();
    readonly Process sleeper = Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;

    public void Dispose()
    {
        try { sleeper.Kill(); sleeper.WaitForExit(); } catch (InvalidOperationException) { }
        sleeper.Dispose();
        tmp.Dispose();
    }

    int LivePid => sleeper.Id;

    /// <summary>The id of a process that has exited and been reaped.</summary>
    static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        int pid = p.Id;
        Assert.False(StaleTemporaries.IsAlive(pid)); // precondition: the id was not reused already
        return pid;
    }

    [Fact]
    public void ExplainRemovesTheTempFoldersOfDeadRunsOnly()
    {
        string out_ = tmp.Dir("out");
        int dead = DeadPid();
        string deadFolder = tmp.Dir("out", $".input.{dead}.tmp");
        File.WriteAllText(Path.Combine(deadFolder, "rollout.png"), "half-written");
        string deadOther = tmp.Dir("out", $".other.image.{dead}.tmp");
        string liveFolder = tmp.Dir("out", $".input.{LivePid}.tmp");
        File.WriteAllText(Path.Combine(liveFolder, "rollout.png"), "in progress");
        string notOurs = tmp.Dir("out", ".input.tmp");      // no process id: not a temporary of ours
        string hidden = tmp.Dir("out", ".cache");

        string input = GoldenData.Path(GoldenData.Sets[0], "disk", "input.npy");
        string weights = GoldenData.Path(GoldenData.Sets[0], "weights.safetensors");
        var r = CliRunner.Run("explain", input, "--model", weights, "--methods", "rollout", "--out", out_);

        Assert.True(r.ExitCode == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(out_, "input", "summary.json")));
        Assert.False(Directory.Exists(deadFolder));
        Assert.False(Directory.Exists(deadOther));
        Assert.Equal("in progress", File.ReadAllText(Path.Combine(liveFolder, "rollout.png")));
        Assert.True(Directory.Exists(notOurs));
        Assert.True(Directory.Exists(hidden));
    }

    [Fact]
    public void AtomicFileRemovesDeadTempFilesBesideItsTarget()
    {
        int dead = DeadPid();
        string folder = tmp.Dir("files");
        string deadTemp = Path.Combine(folder, $".labels.csv.{dead}.{Guid.NewGuid():N}.tmp");
        string liveTemp = Path.Combine(folder, $".labels.csv.{LivePid}.{Guid.NewGuid():N}.tmp");
        string userFile = Path.Combine(folder, ".notes.tmp");
        foreach (string f in new[] { deadTemp, liveTemp, userFile }) File.WriteAllText(f, "x");

        AtomicFile.WriteAllText(Path.Combine(folder, "labels.csv"), "name,class\n");

        Assert.False(File.Exists(deadTemp));
        Assert.True(File.Exists(liveTemp));
        Assert.True(File.Exists(userFile));
        Assert.Equal("name,class\n", File.ReadAllText(Path.Combine(folder, "labels.csv")));
    }

    [Fact]
    public void SynthRemovesTheHiddenSiblingOfADeadRun()
    {
        int dead = DeadPid();
        string deadWork = tmp.Dir($".bench.{dead}.tmp", "images");
        string liveWork = tmp.Dir($".bench.{LivePid}.tmp");

        SyntheticFolderWriter.Write(new SyntheticBenchmark(32, seed: 1), tmp.Combine("bench"), 2);

        Assert.True(File.Exists(tmp.Combine("bench", "labels.csv")));
        Assert.False(Directory.Exists(Path.GetDirectoryName(deadWork)));
        Assert.True(Directory.Exists(liveWork));
        Assert.Equal([$".bench.{LivePid}.tmp", "bench"], Directory.GetFileSystemEntries(tmp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ALinkWithATemporaryNameIsRemovedAsALink()
    {
        int dead = DeadPid();
        string precious = tmp.Dir("precious");
        File.WriteAllText(Path.Combine(precious, "data.txt"), "keep");
        string folder = tmp.Dir("work");
        string link = Path.Combine(folder, $".x.{dead}.tmp");
        Directory.CreateSymbolicLink(link, precious);

        Assert.Equal([$".x.{dead}.tmp"], StaleTemporaries.RemoveDead(folder));

        Assert.False(new FileInfo(link).Exists || Directory.Exists(link));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(precious, "data.txt")));
    }

    [Theory]
    [InlineData(".input.1234.tmp", 1234)]
    [InlineData(".img.2024.png.77.tmp", 77)]
    [InlineData(".labels.csv.4321.0123456789abcdef0123456789abcdef.tmp", 4321)]
    [InlineData(".a.b.c.9.tmp", 9)]
    [InlineData(".input.tmp", null)]
    [InlineData("input.1234.tmp", null)]
    [InlineData(".input.1234", null)]
    [InlineData(".1234.tmp", null)]
    [InlineData(".input.12a4.tmp", null)]
    [InlineData(".input.-5.tmp", null)]
    [InlineData(".input.0.tmp", null)]
    [InlineData(".input.99999999999.tmp", null)]
    public void ProcessIdIsReadFromTheNameOnly(string name, int? pid) => Assert.Equal(pid, StaleTemporaries.ProcessIdOf(name));

    [Fact]
    public void NamesRoundTrip()
    {
        Assert.Equal(Environment.ProcessId, StaleTemporaries.ProcessIdOf(StaleTemporaries.NameFor("model.safetensors")));
        Assert.Equal(Environment.ProcessId, StaleTemporaries.ProcessIdOf(StaleTemporaries.NameFor("a.b", Guid.NewGuid().ToString("N"))));
        Assert.True(StaleTemporaries.IsAlive(Environment.ProcessId));
        Assert.True(StaleTemporaries.IsAlive(LivePid));
        Assert.Throws<ArgumentException>(() => StaleTemporaries.NameFor("x", "not-hex"));
    }
}
