using System.Diagnostics;
using SkiaSharp;
using Vitmix.Evaluation.Report;

namespace Vitmix.Tests.Evaluation.Report;

/// <summary>Finds a Chromium binary: $VITMIX_CHROMIUM, else chromium / chromium-browser / google-chrome on PATH.</summary>
internal static class Chromium
{
    public static string? Find()
    {
        string? env = Environment.GetEnvironmentVariable("VITMIX_CHROMIUM");
        if (!string.IsNullOrEmpty(env) && File.Exists(env)) return env;
        string[] dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in new[] { "chromium", "chromium-browser", "google-chrome", "chromium-headless-shell" })
            foreach (string dir in dirs)
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}

/// <summary>A fact that is skipped, saying why, when no Chromium is installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Find() is null)
            Skip = "Chromium not found (install the Debian package 'chromium' or set VITMIX_CHROMIUM); this headless-browser test is skipped.";
    }
}

public class ChromiumReportTests
{
    static (int ExitCode, string Stdout, string Stderr) RunChromium(string userDataDir, params string[] args)
    {
        var psi = new ProcessStartInfo(Chromium.Find()!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={userDataDir}",
        }) psi.ArgumentList.Add(a);
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        // A guard against a hung browser, not a timing assertion.
        if (!p.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("Chromium did not exit within 4 minutes.");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The page's console messages as Chromium logs them with --enable-logging=stderr ("INFO:CONSOLE:line] ...").</summary>
    static List<string> ConsoleMessages(string stderr) =>
        stderr.Split('\n').Where(l => l.Contains(":CONSOLE:") || l.Contains(":CONSOLE(") || l.Contains("Uncaught")).ToList();

    [ChromiumFact]
    public void ConsoleErrorsAreDetected()
    {
        // The check above must be able to fail: a page that logs an error is caught.
        string dir = Directory.CreateTempSubdirectory("vitmix-chromium-").FullName;
        try
        {
            string page = Path.Combine(dir, "bad.html");
            File.WriteAllText(page, "<!DOCTYPE html><html><body><script>console.error('broken report');</script></body></html>");
            var dom = RunChromium(Path.Combine(dir, "profile"), "--enable-logging=stderr", "--v=0", "--dump-dom", new Uri(page).AbsoluteUri);
            Assert.Contains(ConsoleMessages(dom.Stderr), l => l.Contains("broken report"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [ChromiumFact]
    public void ReportRendersInHeadlessChromium()
    {
        string dir = Directory.CreateTempSubdirectory("vitmix-chromium-").FullName;
        try
        {
            string report = Path.Combine(dir, "report.html");
            ReportWriter.Write(report, ReportWriterTests.Synthetic());
            string url = new Uri(report).AbsoluteUri;

            // The DOM as the browser parsed it: the summary table and every image element survive.
            var dom = RunChromium(Path.Combine(dir, "profile1"), "--enable-logging=stderr", "--v=0", "--dump-dom", url);
            Assert.True(dom.ExitCode == 0, $"chromium --dump-dom exit {dom.ExitCode}: {dom.Stderr}");
            Assert.Empty(ConsoleMessages(dom.Stderr));
            Assert.Contains("class=\"summary\"", dom.Stdout);
            Assert.Contains("gm(rollout,gradcam)", dom.Stdout);
            Assert.Equal(9, dom.Stdout.Split("<img ").Length - 1);

            // A screenshot: the page paints more than a blank canvas.
            string shot = Path.Combine(dir, "shot.png");
            var s = RunChromium(Path.Combine(dir, "profile2"), $"--screenshot={shot}", "--window-size=1280,1600", "--hide-scrollbars", url);
            Assert.True(File.Exists(shot), $"no screenshot written (exit {s.ExitCode}): {s.Stderr}");
            using var bitmap = SKBitmap.Decode(shot);
            Assert.Equal(1280, bitmap.Width);
            var colours = new HashSet<uint>();
            for (int y = 0; y < bitmap.Height; y += 3)
                for (int x = 0; x < bitmap.Width; x += 3) colours.Add((uint)bitmap.GetPixel(x, y));
            Assert.True(colours.Count > 50, $"screenshot has only {colours.Count} colours");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
