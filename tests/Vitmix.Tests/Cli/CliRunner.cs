using Vitmix.Cli;

namespace Vitmix.Tests.Cli;

/// <summary>Runs the vitmix command tree in-process and captures what it writes.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>
    /// Ctrl-C for a run, pressed as soon as <paramref name="file"/> has a line (a run folder's done.txt: the first
    /// image is on disk). A dedicated thread, not a pool task: other test classes running in parallel can starve the
    /// pool for seconds.
    /// </summary>
    public static Thread CancelOnFirstLine(string file, CancellationTokenSource cancel)
    {
        var watcher = new Thread(() =>
        {
            while (!cancel.IsCancellationRequested)
            {
                try { if (File.Exists(file) && File.ReadAllLines(file).Length >= 1) { cancel.Cancel(); return; } }
                catch (IOException) { }
                Thread.Sleep(2);
            }
        }) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
        watcher.Start();
        return watcher;
    }

    public static Result Run(params string[] args) => Run(CancellationToken.None, args);

    public static Result Run(CancellationToken cancel, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = VitmixApp.RunAsync(args, output, error, cancel).GetAwaiter().GetResult();
        return new Result(code, output.ToString(), error.ToString());
    }
}
