using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Vitmix.Cli.Commands;

namespace Vitmix.Cli;

/// <summary>The <c>vitmix</c> command tree and its one place of error handling.</summary>
public static class VitmixApp
{
    /// <summary>Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>Builds the root command <c>vitmix</c> with every subcommand.</summary>
    public static Command CreateRoot() => CreateRoot(out _);

    static Command CreateRoot(out Option<bool> verbose)
    {
        // A plain Command named "vitmix" rather than RootCommand, whose name would be the host executable's
        // (Vitmix.Cli, dotnet or testhost); it gets the help and version options RootCommand would add.
        var root = new Command("vitmix",
            "Vitmix: explain Vision Transformer decisions and fuse explanation maps into segmentation masks (ViTmiX).")
        {
            new HelpOption(),
            new VersionOption(),
        };
        verbose = GlobalOptions.CreateVerbose();
        root.Options.Add(verbose);
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(SanityCommand.Create());
        root.Subcommands.Add(FitFusionCommand.Create());
        root.Subcommands.Add(FetchCommand.Create());
        root.Subcommands.Add(SynthCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        // `vitmix` alone shows the help and fails, as a missing subcommand is a usage error.
        root.SetAction(pr =>
        {
            new HelpAction().Invoke(pr);
            return 1;
        });
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.
    /// Returns 0 on success, 1 on any error (one line <c>vitmix: error: …</c> on <paramref name="error"/>),
    /// 130 when <paramref name="cancellation"/> fires.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        var root = CreateRoot(out var verboseOption);
        var parse = root.Parse(args);
        var config = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // Program.cs owns Ctrl-C
        };
        bool verbose = false;
        try { verbose = parse.GetValue(verboseOption); } catch (InvalidOperationException) { }

        // Usage errors: one line, no help dump (unless help was asked for, which wins).
        var unknown = UnknownOptions(parse);
        if (unknown.Count > 0 && parse.Action is not HelpAction)
        {
            string names = string.Join(", ", unknown.Select(u => $"'{u}'"));
            error.WriteLine(CliErrors.Line($"unknown option{(unknown.Count > 1 ? "s" : "")} {names} (see '{CommandPath(parse)} --help'; " +
                                           "a file whose name starts with '-' goes after '--')"));
            return 1;
        }
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            var messages = parse.Errors.Select(e => e.Message.TrimEnd('.')).Distinct();
            error.WriteLine(CliErrors.Line($"{string.Join("; ", messages)} (see '{CommandPath(parse)} --help')"));
            return 1;
        }

        try
        {
            return await parse.InvokeAsync(config, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            error.WriteLine("vitmix: interrupted");
            return InterruptedExitCode;
        }
        catch (Exception e)
        {
            CliErrors.Report(e, error, verbose);
            return 1;
        }
        finally
        {
            output.Flush();
            error.Flush();
        }
    }

    /// <summary>
    /// Tokens that look like options but are none of the command's, before any "--". System.CommandLine hands such a
    /// token to a command that takes arguments as one of them, so "predict x.png --frobnicate" would look for a file
    /// "--frobnicate"; a value of an option ("--lr -1") is not one of these.
    /// </summary>
    static List<string> UnknownOptions(ParseResult parse)
    {
        var optionValues = new HashSet<object>(ReferenceEqualityComparer.Instance);
        for (var r = parse.CommandResult; r != null; r = r.Parent as CommandResult)
            foreach (var o in r.Children.OfType<OptionResult>())
                foreach (var t in o.Tokens) optionValues.Add(t);
        var unknown = new List<string>();
        foreach (var t in parse.Tokens)
        {
            if (t.Type == TokenType.DoubleDash) break;
            if (t.Type == TokenType.Argument && t.Value.Length > 1 && t.Value[0] == '-' && !optionValues.Contains(t)) unknown.Add(t.Value);
        }
        return unknown;
    }

    static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r != null; r = r.Parent as CommandResult)
            names.Add(r.Command.Name);
        names.Reverse();
        return string.Join(" ", names);
    }
}
