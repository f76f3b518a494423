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

    public static Result Run(params string[] args) => Run(CancellationToken.None, args);

    public static Result Run(CancellationToken cancel, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = VitmixApp.RunAsync(args, output, error, cancel).GetAwaiter().GetResult();
        return new Result(code, output.ToString(), error.ToString());
    }
}
