using Vitmix.IO;
using System.CommandLine;
using Vitmix.Evaluation;

namespace Vitmix.Cli.Commands;

/// <summary><c>vitmix merge SHARD... --out DIR</c>: one results.csv, summary, table and report from the shards of an evaluation.</summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var dirs = new Argument<string[]>("SHARD") { Description = "Run folders written by vitmix evaluate --shard i/N or --shard auto, or the --out folder that holds them", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out", "-o") { Description = "Where the merged results.csv, summary.csv and report.html go", Required = true };
        var allowPartial = new Option<bool>("--allow-partial") { Description = "Merge even when shards are missing or unfinished (the table and report say which)" };
        var command = new Command("merge", "Combine the shards of an evaluation into one results.csv, summary and report");
        command.Arguments.Add(dirs);
        command.Options.Add(outDir);
        command.Options.Add(allowPartial);
        command.SetAction((parse, cancel) =>
        {
            var given = parse.GetRequiredValue(dirs);
            foreach (var d in given)
                if (!Directory.Exists(d)) throw new DirectoryNotFoundException($"{d}: no such evaluation folder");
            var runDirs = RunFolder.ExpandShards(given).ToArray();
            string output = parse.GetValue(outDir)!;
            // Checked before anything is written: every shard, finished, of one evaluation (unless --allow-partial).
            var summary = EvaluationReport.Summarise(runDirs, parse.GetValue(allowPartial));
            var folder = new RunFolder(output);
            using var folderLock = OutputLock.Acquire(output, "merge", parse);
            if (File.Exists(folder.RunPath))
                throw new IOException($"{output} holds an evaluation run of its own (run.json); merge into another folder");
            AtomicFile.WriteAllText(folder.ResultsPath, ResultRow.Header + "\n" + string.Concat(summary.Results.Select(r => r.ToCsv() + "\n")));
            EvaluationConsole.Finish(summary, runDirs, output, $"Vitmix evaluation: {summary.Run.Dataset} ({runDirs.Length} shards)",
                ConsoleOutput.Create(parse), ConsoleOutput.Out(parse));
            return Task.FromResult(0);
        });
        return command;
    }
}
