using Vitmix.IO;
using System.CommandLine;
using Vitmix.Data;
using Vitmix.Evaluation;

namespace Vitmix.Cli.Commands;

/// <summary><c>vitmix merge SHARD... --out DIR</c>: one results.csv, summary, table and report from the shards of an evaluation.</summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var dirs = new Argument<string[]>("SHARD") { Description = "Run folders written by vitmix evaluate --shard i/N", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out", "-o") { Description = "Where the merged results.csv, summary.csv and report.html go", Required = true };
        var command = new Command("merge", "Combine the shards of an evaluation into one results.csv, summary and report");
        command.Arguments.Add(dirs);
        command.Options.Add(outDir);
        command.SetAction((parse, cancel) =>
        {
            var runDirs = parse.GetRequiredValue(dirs);
            foreach (var d in runDirs)
                if (!Directory.Exists(d)) throw new DirectoryNotFoundException($"{d}: no such evaluation folder");
            string output = parse.GetValue(outDir)!;
            var summary = EvaluationReport.Summarise(runDirs);
            Directory.CreateDirectory(output);
            AtomicFile.WriteAllText(Path.Combine(output, "results.csv"),
                ResultRow.Header + "\n" + string.Concat(summary.Results.Select(r => r.ToCsv() + "\n")));
            EvaluationConsole.Finish(runDirs, output, $"Vitmix evaluation: {summary.Run.Dataset} ({runDirs.Length} shards)",
                ConsoleOutput.Create(parse), ConsoleOutput.Out(parse));
            return Task.FromResult(0);
        });
        return command;
    }
}
