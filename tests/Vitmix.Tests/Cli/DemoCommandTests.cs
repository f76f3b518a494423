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
        Assert.Equal(3 * (4 + 6 + 4), rows.Count); // 3 images × (4 single maps + 6 pairs + 4 triples)
        string html = File.ReadAllText(Path.Combine(tmp.Path, "report.html"));
        Assert.Contains("<table", html);
        Assert.Contains("synth_000000", html); // the per-image grid
    }
}
