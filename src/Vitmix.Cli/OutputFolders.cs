using System.CommandLine;
using Vitmix.Evaluation;
using Vitmix.IO;

namespace Vitmix.Cli;

/// <summary>How commands take their output folder: exclusively (<see cref="FolderLock"/>), saying when a stale lock is taken over.</summary>
static class OutputLock
{
    /// <summary>Locks <paramref name="folder"/> for <c>vitmix <paramref name="command"/></c>, or throws naming the holder.</summary>
    public static FolderLock Acquire(string folder, string command, ParseResult parse)
    {
        var held = FolderLock.Acquire(folder, $"vitmix {command}");
        if (held.TakenOverFrom is { } stale)
            ConsoleOutput.Error(parse).WriteLine($"vitmix: {folder}: taking over the lock left by {stale}, which is no longer running");
        return held;
    }
}

/// <summary>--resume and --overwrite: what evaluate and demo do with a folder that already holds a run (by default, refuse).</summary>
sealed class ExistingRunOptions(string what)
{
    public Option<bool> Resume { get; } = new("--resume") { Description = $"Continue the {what} in OUT: finished images are kept, the rest evaluated" };
    public Option<bool> Overwrite { get; } = new("--overwrite") { Description = $"Start over when OUT already holds a {what} (its results are replaced once the first image is finished)" };

    /// <summary>Adds both options, which exclude each other, to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Resume);
        command.Options.Add(Overwrite);
        command.Validators.Add(r =>
        {
            if (r.GetValue(Resume) && r.GetValue(Overwrite)) r.AddError("--resume and --overwrite exclude each other: give one of them");
        });
    }

    public ExistingRun Get(ParseResult parse) =>
        parse.GetValue(Resume) ? ExistingRun.Resume : parse.GetValue(Overwrite) ? ExistingRun.Overwrite : ExistingRun.Refuse;
}
