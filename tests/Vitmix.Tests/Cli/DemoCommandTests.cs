using Vitmix.Evaluation;
using Vitmix.Tests.Data.Datasets;

namespace Vitmix.Tests.Cli;

/// <summary>The README's main command: the demo runs on the embedded model with no other step.</summary>
public class DemoCommandTests
{
    [Fact]
    public void DemoWritesTheTableAndReportWithTheEmbeddedModel()
    {
        using var tmp = new TempDir();
        var r = CliRunner.Run("demo", "--count", "3", "--deletion-steps", "4", "--out", tmp.Path);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Contains("best single map", r.Out);
        Assert.Contains("best fusion", r.Out);
        var rows = File.ReadAllLines(Path.Combine(tmp.Path, "results.csv")).Skip(1).Select(l => ResultRow.Parse(l, "results.csv")).ToList();
        // 3 images × (13 single maps + the ViTmiX four's 6 pairs and 4 triples + each of the other nine with LRP)
        Assert.Equal(3 * (13 + 6 + 4 + 9), rows.Count);
        foreach (var map in new[] { "attnflow", "tam", "vitcx", "gae", "attnlrp", "cplrp", "ig", "tis", "smooth-saliency", "attnflow+lrp.gmean", "vitcx+lrp.gmean", "tis+lrp.gmean" })
            Assert.Contains(rows, row => row.Map.DisplayName == map);
        string html = File.ReadAllText(Path.Combine(tmp.Path, "report.html"));
        Assert.Contains("<table", html);
        Assert.Contains("synth_000000", html); // the per-image grid
    }

    [Fact]
    public void AnInterruptedDemoKeepsItsImagesAndResumesToTheSameResults()
    {
        using var tmp = new TempDir();
        string whole = tmp.Combine("whole"), cut = tmp.Combine("cut");
        string[] args = ["demo", "--count", "20", "--deletion-steps", "4"];
        Assert.Equal(0, CliRunner.Run([.. args, "--out", whole]).ExitCode);

        // Ctrl-C as soon as the first image is on disk.
        using var cancel = new CancellationTokenSource();
        var watcher = CliRunner.CancelOnFirstLine(Path.Combine(cut, "done.txt"), cancel);
        var stopped = CliRunner.Run(cancel.Token, [.. args, "--out", cut]);
        cancel.Cancel(); // stops the watcher if the run ended first (the assertion below then fails)
        watcher.Join();
        Assert.Equal(130, stopped.ExitCode);
        Assert.Contains("--resume", stopped.Err);
        int kept = File.ReadAllLines(Path.Combine(cut, "done.txt")).Length;
        Assert.InRange(kept, 1, 19);
        Assert.Contains($"{kept} finished image(s) kept", stopped.Err);
        Assert.False(File.Exists(Path.Combine(cut, "report.html")));

        var resumed = CliRunner.Run([.. args, "--out", cut, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        Assert.Equal(File.ReadAllLines(Path.Combine(whole, "results.csv")).Order(), File.ReadAllLines(Path.Combine(cut, "results.csv")).Order());
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "summary.csv")), File.ReadAllText(Path.Combine(cut, "summary.csv")));
    }
}
