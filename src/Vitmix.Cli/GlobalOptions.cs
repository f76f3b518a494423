using System.CommandLine;

namespace Vitmix.Cli;

/// <summary>Options every command accepts.</summary>
public static class GlobalOptions
{
    /// <summary>--verbose: show stack traces with errors. Recursive, so it is accepted after any subcommand.</summary>
    public static Option<bool> CreateVerbose() => new("--verbose", "-v")
    {
        Description = "Show details (stack traces) with errors",
        Recursive = true,
    };
}
