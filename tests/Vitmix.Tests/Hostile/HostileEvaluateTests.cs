using System.Diagnostics;
using System.Text.Json;
using Vitmix.Evaluation;
using Vitmix.IO;
using Vitmix.Tests.Cli;
using Vitmix.Tests.Data.Datasets;
using static Vitmix.Tests.Hostile.HostileFixtures;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// `vitmix evaluate`, `demo` and `merge` against what users and machines do to run folders: two runs at once, a run
/// killed with its lock, reruns over finished results, broken datasets, masks of the wrong size, missing or mismatched
/// shards, interruptions. Each refusal is one error line naming the folder, file or shard and the problem, and leaves
/// every byte of what was there.
/// </summary>
public class HostileEvaluateTests
{
    static string[] Rows(string dir) => File.ReadAllLines(Path.Combine(dir, "results.csv")).Skip(1).ToArray();

    [SkippableFact]
    public void TwoEvaluationsIntoOneFolder_TheSecondIsRefusedNamingTheHolder_TheFirstCompletesIntact()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "holds the first run at an image with a named pipe (mkfifo)");
        using var tmp = new TempDir();
        string data = tmp.Combine("data"), o = tmp.Combine("out");
        MakeFolderDataset(data, [("a", 32)]);
        // Image b is a named pipe: the first run finishes a, then waits, holding the lock, until the test writes b.
        string pipe = Path.Combine(data, "images", "b.png");
        MakeFifo(pipe);
        WriteMask(Path.Combine(data, "masks", "b.png"), 32);
        string bImage = tmp.Combine("b.png");
        FixtureImages.WriteRgb(bImage, FixtureImages.Pattern(32, 32, 9), 32, 32, SkiaSharp.SKEncodedImageFormat.Png);

        // The test holds the pipe open for writing (read-write, which never blocks on Linux) before the run opens it:
        // with a writer present the run's read waits for data instead of seeing an empty file.
        var hold = new FileStream(pipe, FileMode.Open, FileAccess.ReadWrite);
        var first = Task.Factory.StartNew(() => Evaluate($"folder:{data}", o), TaskCreationOptions.LongRunning);
        try
        {
            WaitUntil(() => File.Exists(Path.Combine(o, "done.txt")) && File.ReadAllText(Path.Combine(o, "done.txt")).StartsWith("a\t"), first);
            // Held at b only once the run has opened the pipe (a second handle on it beside the test's): between
            // finishing a and opening b the run still works, and a pipe released before it is opened is lost.
            WaitUntil(() => HandlesOn(pipe) >= 2, first);
            Assert.False(first.IsCompleted, first.IsCompleted ? first.Result.Err : ""); // held at b, with the lock

            var second = Evaluate($"folder:{data}", o);
            AssertOneErrorLine(second, o, "is in use by vitmix evaluate", $"process {Environment.ProcessId}", "wait for it to finish or use another --out");
            Assert.Equal("", second.Out);
        }
        finally
        {
            hold.Write(File.ReadAllBytes(bImage));
            hold.Dispose(); // the last writer gone: the run reads b to its end
        }
        var r = first.Result;
        Assert.True(r.ExitCode == 0, r.Err);
        var rows = Rows(o).Select(l => ResultRow.Parse(l, o)).ToList();
        Assert.Equal(2 * 3, rows.Count); // a and b, each rollout, lrp, rollout+lrp once: nothing doubled
        Assert.Equal(2, rows.Select(x => x.Image).Distinct().Count());
        Assert.All(rows.GroupBy(x => (x.Image, x.MapName)), g => Assert.Single(g));
        Assert.Equal(["a", "b"], File.ReadAllLines(Path.Combine(o, "done.txt")).Select(l => l.Split('\t')[0]));
        Assert.False(File.Exists(Path.Combine(o, FolderLock.OwnerFileName))); // released
    }

    /// <summary>How many of this process's file descriptors are open on <paramref name="path"/> (Linux /proc/self/fd).</summary>
    static int HandlesOn(string path)
    {
        string full = Path.GetFullPath(path);
        int count = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try { if (new FileInfo(fd).LinkTarget == full) count++; }
            catch (IOException) { } // closed while listed
            catch (UnauthorizedAccessException) { }
        }
        return count;
    }

    [Fact]
    public void AStaleLockOfADeadProcessIsTakenOver()
    {
        using var tmp = new TempDir();
        string o = tmp.Dir("out");
        // A process that has ended: its lock record is all that is left (as after kill -9 or a power cut).
        using var dead = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        var started = dead.StartTime.ToUniversalTime();
        dead.WaitForExit();
        var stale = new FolderLockOwner(dead.Id, started, started, "vitmix evaluate");
        File.WriteAllText(Path.Combine(o, FolderLock.OwnerFileName), JsonSerializer.Serialize(stale));
        File.WriteAllText(Path.Combine(o, FolderLock.FileName), "");

        var r = Evaluate("synth:2:1:32", o);
        Assert.True(r.ExitCode == 0, r.Err);
        var notice = Assert.Single(r.ErrLines);
        Assert.Contains($"{o}: taking over the lock left by vitmix evaluate (process {dead.Id}", notice);
        Assert.Contains("no longer running", notice);
        Assert.DoesNotContain("error", notice);
        Assert.Equal(2 * 3, Rows(o).Length);
        Assert.False(File.Exists(Path.Combine(o, FolderLock.OwnerFileName)));
    }

    [Fact]
    public void ARerunOverAFinishedRunIsRefused_AndLeavesEveryByte()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("out");
        Assert.Equal(0, Evaluate("synth:3:1:32", o).ExitCode);
        var before = Snapshot(o);
        string results = File.ReadAllText(Path.Combine(o, "results.csv"));

        var again = Evaluate("synth:3:1:32", o);
        AssertOneErrorLine(again, o, "already holds an evaluation run (3 finished image(s))", "use --resume to continue it, --overwrite to start over, or another --out");
        Assert.Equal("", again.Out);
        Assert.Equal(results, File.ReadAllText(Path.Combine(o, "results.csv")));
        Assert.Equal(before, Snapshot(o));

        // The same for demo.
        string d = tmp.Combine("demo");
        Assert.Equal(0, CliRunner.Run("demo", "--count", "2", "--deletion-steps", "0", "--out", d).ExitCode);
        var demoBefore = Snapshot(d);
        AssertOneErrorLine(CliRunner.Run("demo", "--count", "2", "--deletion-steps", "0", "--out", d), d, "already holds an evaluation run");
        Assert.Equal(demoBefore, Snapshot(d));
    }

    [Fact]
    public void OverwriteStartsOver_AsIfTheFolderWereNew()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("out"), fresh = tmp.Combine("fresh");
        Assert.Equal(0, Evaluate("synth:3:1:32", o, "--combos", "1").ExitCode);
        Assert.True(File.Exists(Path.Combine(o, "tiles", "synth_000000", "002_rollout.png")));

        var r = Evaluate("synth:2:5:32", o, "--overwrite");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Equal(0, Evaluate("synth:2:5:32", fresh).ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(fresh, "results.csv")), File.ReadAllText(Path.Combine(o, "results.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(fresh, "summary.csv")), File.ReadAllText(Path.Combine(o, "summary.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(fresh, "done.txt")), File.ReadAllText(Path.Combine(o, "done.txt")));
        Assert.False(Directory.Exists(Path.Combine(o, "tiles", "synth_000002"))); // the old run's third image is gone
    }

    [Fact]
    public void ResumeOfAFinishedRunKeepsItsResults()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("out");
        Assert.Equal(0, Evaluate("synth:3:1:32", o).ExitCode);
        string results = File.ReadAllText(Path.Combine(o, "results.csv")), summary = File.ReadAllText(Path.Combine(o, "summary.csv"));

        var r = Evaluate("synth:3:1:32", o, "--resume");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("(3 of 3 images already finished)", r.Out);
        Assert.Equal(results, File.ReadAllText(Path.Combine(o, "results.csv")));
        Assert.Equal(summary, File.ReadAllText(Path.Combine(o, "summary.csv")));
    }

    [Fact]
    public void ResumeWithOtherSettingsIsRefused_AndLeavesEveryByte()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("out");
        Assert.Equal(0, Evaluate("synth:3:1:32", o).ExitCode);
        var before = Snapshot(o);
        var r = Evaluate("synth:3:1:32", o, "--resume", "--threshold", "mean");
        AssertOneErrorLine(r, Path.Combine(o, "run.json"), "different settings", "threshold (otsu vs mean)", "--overwrite");
        Assert.Equal(before, Snapshot(o));
    }

    [Fact]
    public void ABrokenDatasetOnARerunLeavesTheResultsUntouched()
    {
        using var tmp = new TempDir();
        string o = tmp.Combine("out"), data = tmp.Combine("data");
        MakeFolderDataset(data, [("a", 32), ("b", 32)]);
        Assert.Equal(0, Evaluate($"folder:{data}", o).ExitCode);
        var before = Snapshot(o);

        // Even --overwrite must not touch the old run before the new one is known to be possible.
        string mask = Path.Combine(data, "masks", "b.png");
        File.Delete(mask);
        AssertOneErrorLine(Evaluate($"folder:{data}", o, "--overwrite"), "No mask for image 'b'", mask);
        Assert.Equal(before, Snapshot(o));
        string missing = tmp.Combine("no-such-data");
        AssertOneErrorLine(Evaluate($"folder:{missing}", o, "--overwrite"), missing, "not found");
        Assert.Equal(before, Snapshot(o));
    }

    [Fact]
    public void AMaskOfAnotherSizeThanItsImageIsRefused_NamingBothSizesAndFiles()
    {
        using var tmp = new TempDir();
        string data = tmp.Combine("data"), o = tmp.Combine("out");
        MakeFolderDataset(data, [("a", 32)], maskSizes: new() { ["a"] = 16 });
        var r = Evaluate($"folder:{data}", o);
        AssertOneErrorLine(r, "a: mask", Path.Combine(data, "masks", "a.png"), "is 16x16", Path.Combine(data, "images", "a.png"), "is 32x32",
            "a mask must have its image's size");
        Assert.False(Directory.Exists(o)); // the folder the run created for itself is gone again
    }

    [Fact]
    public void AnInterruptedEvaluationResumesToTheUninterruptedResults()
    {
        using var tmp = new TempDir();
        string whole = tmp.Combine("whole"), cut = tmp.Combine("cut");
        const string spec = "synth:16:6:32";
        Assert.Equal(0, Evaluate(spec, whole, "--deletion-steps", "4").ExitCode);

        // Ctrl-C as soon as the first image is on disk.
        using var cancel = new CancellationTokenSource();
        var watcher = CliRunner.CancelOnFirstLine(Path.Combine(cut, "done.txt"), cancel);
        var stopped = CliRunner.Run(cancel.Token, ["evaluate", "--model", GoldenModelPath, "--dataset", spec, "--out", cut, "--methods", "rollout,lrp",
            "--fusion", "gmean", "--deletion-steps", "4"]);
        cancel.Cancel(); // stops the watcher if the run ended first (the assertion below then fails)
        watcher.Join();
        Assert.Equal(130, stopped.ExitCode);
        int kept = File.ReadAllLines(Path.Combine(cut, "done.txt")).Length;
        Assert.InRange(kept, 1, 15);
        Assert.Contains($"{kept} finished image(s) kept in {cut}; run the same command with --resume to continue", stopped.Err);
        Assert.False(File.Exists(Path.Combine(cut, "summary.csv")));
        Assert.False(File.Exists(Path.Combine(cut, FolderLock.OwnerFileName))); // the lock went with the run

        var resumed = Evaluate(spec, cut, "--deletion-steps", "4", "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "results.csv")), File.ReadAllText(Path.Combine(cut, "results.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "summary.csv")), File.ReadAllText(Path.Combine(cut, "summary.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "curves.csv")), File.ReadAllText(Path.Combine(cut, "curves.csv")));
    }

    [Fact]
    public void DefaultCombinationsFollowTheMethodsGiven()
    {
        using var tmp = new TempDir();
        string two = tmp.Combine("two"), three = tmp.Combine("three");
        var r = CliRunner.Run("evaluate", "--model", GoldenModelPath, "--dataset", "synth:2:1:32", "--out", two, "--methods", "rollout,saliency", "--deletion-steps", "0");
        Assert.True(r.ExitCode == 0, r.Err);
        var maps = File.ReadAllLines(Path.Combine(two, "summary.csv")).Skip(1).Select(l => Csv.Split(l)[0]).ToList();
        Assert.Equal(["rollout", "saliency", "rollout+saliency.gmean", "rollout+saliency.product"], maps);

        r = CliRunner.Run("evaluate", "--model", GoldenModelPath, "--dataset", "synth:1:1:32", "--out", three, "--methods", "rollout,saliency,lrp",
            "--fusion", "gmean", "--deletion-steps", "0");
        Assert.True(r.ExitCode == 0, r.Err);
        maps = File.ReadAllLines(Path.Combine(three, "summary.csv")).Skip(1).Select(l => Csv.Split(l)[0]).ToList();
        Assert.Equal(3 + 3 + 1, maps.Count); // every size from 2 up to all three
        Assert.Contains("rollout+saliency+lrp.gmean", maps);
    }

    static (string Shard0, string Shard1) Shards(TempDir tmp, string out0 = "shards", params string[] shard1Extra)
    {
        string o = tmp.Combine(out0);
        Assert.Equal(0, Evaluate("synth:4:3:32", o, "--shard", "0/2").ExitCode);
        Assert.Equal(0, Evaluate("synth:4:3:32", o, ["--shard", "1/2", .. shard1Extra]).ExitCode);
        return (Path.Combine(o, "shard-0-of-2"), Path.Combine(o, "shard-1-of-2"));
    }

    [Fact]
    public void MergingOneOfTwoShardsIsRefused_NamingTheMissingShard()
    {
        using var tmp = new TempDir();
        var (shard0, _) = Shards(tmp);
        string merged = tmp.Combine("merged");
        var r = CliRunner.Run("merge", shard0, "--out", merged);
        AssertOneErrorLine(r, "shard(s) 1 of 2 missing", $"shard 0 in {shard0}", "--allow-partial merges them anyway");
        Assert.False(Directory.Exists(merged));
    }

    [Fact]
    public void AllowPartialMergesWhatThereIs_AndSaysWhatIsMissing()
    {
        using var tmp = new TempDir();
        var (shard0, _) = Shards(tmp);
        string merged = tmp.Combine("merged");
        var r = CliRunner.Run("merge", shard0, "--out", merged, "--allow-partial");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("warning: partial results: shard(s) 1 of 2 missing", r.Out);
        Assert.Contains("shard(s) 1 of 2 missing", File.ReadAllText(Path.Combine(merged, "report.html")));
        Assert.Equal(File.ReadAllLines(Path.Combine(shard0, "results.csv")).Skip(1).Order(), Rows(merged).Order());
    }

    [Fact]
    public void MergingAnUnfinishedShardIsRefused_NamingIt()
    {
        using var tmp = new TempDir();
        var (shard0, shard1) = Shards(tmp);
        // Shard 1 as a killed run leaves it: its second image never finished.
        string done = Path.Combine(shard1, "done.txt");
        File.WriteAllText(done, File.ReadAllLines(done)[0] + "\n");
        string merged = tmp.Combine("merged");
        AssertOneErrorLine(CliRunner.Run("merge", shard0, shard1, "--out", merged), $"{shard1} is unfinished (1 of 2 images)");
        Assert.False(Directory.Exists(merged));
    }

    [Fact]
    public void MergingShardsOfDifferentSettingsIsRefused_NamingTheDifference()
    {
        using var tmp = new TempDir();
        var (shard0, shard1) = Shards(tmp, "shards", "--threshold", "mean");
        string merged = tmp.Combine("merged");
        AssertOneErrorLine(CliRunner.Run("merge", shard0, shard1, "--out", merged),
            $"{shard1} is not a shard of the same evaluation as {shard0}", "threshold (otsu vs mean)");
        Assert.False(Directory.Exists(merged));

        // Nor is one shard given twice the whole run.
        AssertOneErrorLine(CliRunner.Run("merge", shard0, shard0, "--out", merged), "are both shard 0 of 2");
        Assert.False(Directory.Exists(merged));
    }

    [Fact]
    public void MergeWillNotWriteIntoARunsOwnFolder()
    {
        using var tmp = new TempDir();
        var (shard0, shard1) = Shards(tmp);
        var before = Snapshot(shard0);
        AssertOneErrorLine(CliRunner.Run("merge", shard0, shard1, "--out", shard0), $"{shard0} holds an evaluation run of its own");
        Assert.Equal(before, Snapshot(shard0));
    }
}
