using System.Diagnostics;
using Vitmix.Cli;

namespace Vitmix.Tests.Serve;

/// <summary>`vitmix serve` itself: it prints the URL and the page answers within 3 s of the start, and Ctrl-C stops it.</summary>
public class ServeStartupTests
{
    [Fact]
    public async Task ServePrintsTheUrlAndThePageAnswersWithinThreeSeconds()
    {
        // Warm the model's extraction once, as any earlier run of the tool has.
        DefaultModel.Folder();
        var output = new StringWriter();
        var synchronized = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var run = Task.Run(() => VitmixApp.RunAsync(["serve", "--port", "0"], synchronized, TextWriter.Null, stop.Token));
        string? url = null;
        while (url == null && clock.Elapsed < TimeSpan.FromSeconds(60) && !run.IsCompleted)
        {
            await Task.Delay(10);
            lock (synchronized) url = output.ToString().Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("open http", StringComparison.Ordinal))?.Split(' ')[1];
        }
        Assert.True(url != null, $"no URL printed: {output}");
        using var client = new HttpClient { BaseAddress = new Uri(url) };
        Assert.Contains("Vitmix explorer", await client.GetStringAsync(""));
        Assert.Contains("\"classes\"", await client.GetStringAsync("api/model"));
        var elapsed = clock.Elapsed;
        stop.Cancel();
        Assert.Equal(0, await run);
        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"page answered {elapsed.TotalSeconds:0.00} s after start");
    }

    [Fact]
    public void ServeRefusesABadPortAndAMissingFolder()
    {
        var r = Cli.CliRunner.Run("serve", "--port", "70000");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--port", r.Err);
        r = Cli.CliRunner.Run("serve", "--port", "0", "--max-upload", "2T");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--max-upload", r.Err);
        r = Cli.CliRunner.Run("serve", "--port", "0", "--images", "/nonexistent/folder");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--images folder not found", r.Err);
    }
}
