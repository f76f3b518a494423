using System.CommandLine;
using Spectre.Console;

namespace Vitmix.Cli;

/// <summary>Spectre.Console bound to the writer the command was invoked with (the terminal, or a test's buffer).</summary>
public static class ConsoleOutput
{
    /// <summary>Line width used when the output is a file or a pipe.</summary>
    public const int RedirectedWidth = 160;

    public static TextWriter Out(ParseResult parse) => parse.InvocationConfiguration.Output;
    public static TextWriter Error(ParseResult parse) => parse.InvocationConfiguration.Error;

    /// <summary>A console writing to the command's output; colours only when that output is a terminal.</summary>
    public static IAnsiConsole Create(ParseResult parse)
    {
        var writer = Out(parse);
        bool terminal = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Redirected output has no width; Spectre's default of 80 columns would wrap long paths and settings.
        if (!terminal) console.Profile.Width = RedirectedWidth;
        return console;
    }
}
