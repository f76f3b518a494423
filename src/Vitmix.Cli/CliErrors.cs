using System.Text.Json;
using Vitmix.Evaluation;
using Vitmix.IO;

namespace Vitmix.Cli;

/// <summary>How errors reach the user: one line <c>vitmix: error: message</c>, details only with --verbose.</summary>
public static class CliErrors
{
    /// <summary>
    /// Errors a user can cause and fix (bad files, bad values, missing permissions): reported by message alone.
    /// Anything else is a bug and is reported as an internal error.
    /// </summary>
    public static bool IsExpected(Exception e) => IsExpectedType(Unwrap(e));

    /// <summary>
    /// The error a user should see. Parallel loops (Parallel.For, tasks, the engine's worker team) wrap what a worker
    /// threw in an <see cref="AggregateException"/>, whose own message ("One or more errors occurred") names nothing:
    /// the first inner exception that is an expected one stands for it (a corrupt image, a full disk), else the first.
    /// </summary>
    public static Exception Unwrap(Exception e)
    {
        if (e is AggregateException aggregate)
        {
            var inner = aggregate.Flatten().InnerExceptions;
            if (inner.Count == 0) return e;
            e = inner.FirstOrDefault(IsExpectedType) ?? inner[0]; // Flatten left no AggregateException inside
        }
        return e;
    }

    static bool IsExpectedType(Exception e) => e is InvalidDataException or IOException or ArgumentException
        or UnauthorizedAccessException or FormatException or JsonException or NotSupportedException
        or NotImplementedException or OutOfMemoryException or Vitmix.Model.MemoryLimitException;

    /// <summary>The one-line form of an error message (newlines folded).</summary>
    public static string Line(string message) =>
        "vitmix: error: " + string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Writes the error line for <paramref name="e"/>, with the stack trace when <paramref name="verbose"/>.</summary>
    public static void Report(Exception e, TextWriter error, bool verbose, string? subject = null)
    {
        e = Unwrap(e);
        string message = e is OutOfMemoryException ? "out of memory" : e.Message;
        // ArgumentException appends "(Parameter 'name')", which names a C# parameter the user never saw.
        if (e is ArgumentException { ParamName: { } param })
            message = message.Replace($" (Parameter '{param}')", "", StringComparison.Ordinal);
        if (subject != null && !message.Contains(subject, StringComparison.Ordinal)) message = $"{subject}: {message}";
        if (Hint(e) is { } hint) message = $"{message}; {hint}";
        if (!IsExpected(e)) message = $"internal error: {e.GetType().Name}: {message}";
        error.WriteLine(Line(message));
        if (verbose) error.WriteLine(e.ToString());
        else if (!IsExpected(e)) error.WriteLine("(run with --verbose for the stack trace)");
    }

    /// <summary>
    /// What the user can do about an error the library reports in its own terms: the library does not know the
    /// command-line flags, so the advice that names them is added here.
    /// </summary>
    public static string? Hint(Exception e) => e switch
    {
        FolderLockedException => "wait for it to finish or use another --out",
        ExistingRunException => "use --resume to continue it, --overwrite to start over, or another --out",
        Vitmix.Training.ExistingTrainingRunException => "use --resume to continue it or another --out",
        RunMismatchException => "resume it with the settings it was started with, start over with --overwrite, or use another --out",
        IncompleteShardsException => "--allow-partial merges them anyway",
        SettingRequiredException { Setting: "heads" } => "pass --heads N",
        SettingRequiredException { Setting: "fusion" } => "give one with --fusion (e.g. --fusion gmean) or in the spec (gmean(a,b))",
        SettingRequiredException { Setting: "image-size" } => "check --image-size",
        SettingRequiredException { Setting: var setting } => $"set --{setting}",
        _ => null,
    };
}
