using Vitmix.Tests.Cli;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Evaluation.Sanity;

/// <summary>`vitmix sanity`: the files, the table, and what it refuses.</summary>
public class SanityCommandTests
{
    [Fact]
    public void WritesTheResultsTableAndReport_AndKeepsAnEarlierCheckUnlessAskedToReplaceIt()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1], output = Path.Combine(tmp.Path, "sanity");
        string[] args = ["sanity", GoldenData.Path(set, "images", "disk.png"), GoldenData.Path(set, "images", "square_disk.png"),
            "--model", GoldenData.Path(set, "weights.safetensors"), "--methods", "rollout,saliency,lrp", "--out", output];
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        int stages = GoldenData.Model(set).Config.Depth + 2;
        var rows = File.ReadAllLines(Path.Combine(output, "sanity.csv"));
        Assert.Equal("image,method,order,step,stage,spearman,ssim,top_k", rows[0]);
        Assert.Equal(1 + 2 * 3 * 2 * stages, rows.Length);   // images × methods × orders × stages
        Assert.Contains(rows, l => l.StartsWith("disk.png,rollout,cascading,1,head,1,"));   // rollout ignores the head
        var summary = File.ReadAllLines(Path.Combine(output, "summary.csv"));
        Assert.Equal(1 + 3 * 2 * stages, summary.Length);
        string html = File.ReadAllText(Path.Combine(output, "report.html"));
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(html, "data:image/png;base64,").Count);
        Assert.Contains(r.OutLines, l => l.StartsWith("rollout") && l.Contains("1.000"));

        string before = File.ReadAllText(Path.Combine(output, "sanity.csv"));
        var again = CliRunner.Run(args);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("--overwrite", again.Err);
        Assert.Single(again.ErrLines);
        Assert.Equal(before, File.ReadAllText(Path.Combine(output, "sanity.csv")));
        Assert.Equal(0, CliRunner.Run([.. args, "--overwrite", "--order", "cascading"]).ExitCode);
        Assert.Equal(1 + 2 * 3 * stages, File.ReadAllLines(Path.Combine(output, "sanity.csv")).Length);
    }

    [Fact]
    public void ABadInputFailsInOneLineBeforeAnyWork()
    {
        using var tmp = new TempDir();
        string set = GoldenData.Sets[1], bad = Path.Combine(tmp.Path, "bad.png"), output = Path.Combine(tmp.Path, "out");
        File.WriteAllText(bad, "not an image");
        var r = CliRunner.Run("sanity", bad, "--model", GoldenData.Path(set, "weights.safetensors"), "--out", output);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Single(r.ErrLines);
        Assert.Contains("bad.png", r.Err);
        Assert.False(File.Exists(Path.Combine(output, "sanity.csv")));
    }
}
