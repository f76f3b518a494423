using System.CommandLine;
using System.CommandLine.Parsing;
using Vitmix.Data.Synthetic;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix synth --out DIR --count N [--seed S] [--size PX] [--threads T]</c>: writes the synthetic benchmark in the
/// generic folder layout (images/, masks/, labels.csv, classes.txt).
/// </summary>
public static class SynthCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output directory (created if missing; existing images of the same names are replaced)",
            HelpName = "DIR",
            Required = true,
        };
        output.Validators.Add(r =>
        {
            string? dir = r.GetValueOrDefault<string>();
            if (string.IsNullOrWhiteSpace(dir)) r.AddError("--out: expected a directory path, got an empty value");
            else if (File.Exists(dir)) r.AddError($"--out: '{dir}' is a file, expected a directory");
            else if (FileAncestor(dir) is { } file) r.AddError($"--out: cannot create '{dir}': '{file}' is a file, not a directory");
        });

        var count = new Option<long>("--count", "-n")
        {
            Description = "Number of images (image i is the same for any count)",
            HelpName = "N",
            Required = true,
        };
        count.Validators.Add(r =>
        {
            long n = r.GetValueOrDefault<long>();
            if (n <= 0) r.AddError($"--count: expected a positive number of images, got {n}");
        });

        var seed = new Option<long>("--seed", "-s")
        {
            Description = "Seed of the benchmark; the same seed gives identical images",
            HelpName = "S",
            DefaultValueFactory = _ => 0,
        };

        var size = new Option<int>("--size")
        {
            Description = $"Image side in pixels ({SyntheticBenchmark.MinSize}..{SyntheticBenchmark.MaxSize}; " +
                          $"{SyntheticBenchmark.DefaultSize} suits a small ViT with 8 px patches)",
            HelpName = "PX",
            DefaultValueFactory = _ => SyntheticBenchmark.DefaultSize,
        };
        size.Validators.Add(r =>
        {
            int px = r.GetValueOrDefault<int>();
            if (px < SyntheticBenchmark.MinSize || px > SyntheticBenchmark.MaxSize)
                r.AddError($"--size: expected {SyntheticBenchmark.MinSize}..{SyntheticBenchmark.MaxSize} pixels, got {px}");
        });

        var threads = new Option<int>("--threads")
        {
            Description = "Images rendered in parallel (default: all cores)",
            HelpName = "T",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        threads.Validators.Add(r =>
        {
            int t = r.GetValueOrDefault<int>();
            if (t <= 0) r.AddError($"--threads: expected a positive number, got {t}");
        });

        var command = new Command("synth",
            "Generate the synthetic shape benchmark: images, exact masks of the labelled object, labels.csv, classes.txt");
        foreach (var o in new Option[] { output, count, seed, size, threads }) command.Options.Add(o);

        command.SetAction((parse, cancellation) =>
        {
            string dir = parse.GetValue(output)!;
            long n = parse.GetValue(count);
            var benchmark = new SyntheticBenchmark(parse.GetValue(size), parse.GetValue(seed));
            using var folderLock = OutputLock.Acquire(dir, "synth", parse);
            SyntheticFolderWriter.Write(benchmark, dir, n, parse.GetValue(threads), cancellationToken: cancellation);
            parse.InvocationConfiguration.Output.WriteLine(
                $"wrote {n} images of {benchmark.Size}x{benchmark.Size} px, {benchmark.ClassCount} classes, seed {benchmark.Seed} to {Path.GetFullPath(dir)}");
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>The nearest existing ancestor of <paramref name="dir"/> when it is a file (the directory can't be made).</summary>
    static string? FileAncestor(string dir)
    {
        for (string? p = Path.GetDirectoryName(Path.GetFullPath(dir)); !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
        {
            if (Directory.Exists(p)) return null;
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
