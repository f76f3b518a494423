using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Vitmix.Cli;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vitmix.Tests.Deploy;

/// <summary>
/// The files of deploy/ and docs/scale-out.md, checked without a container runtime or a cluster: the Dockerfile's
/// structure and its build context, the Kubernetes manifests as parsed YAML and against each other, the Slurm
/// scripts, and every <c>vitmix …</c> command line in them parsed by the real command tree.
/// </summary>
public class DeployFilesTests
{
    static string Repo(string relative) => Path.Combine(GoldenData.RepositoryRoot, relative.Replace('/', Path.DirectorySeparatorChar));

    const string DockerfilePath = "deploy/Dockerfile";
    const string DockerignorePath = "deploy/Dockerfile.dockerignore";
    const string EvaluateJobPath = "deploy/kubernetes/evaluate-job.yaml";
    const string MergeJobPath = "deploy/kubernetes/merge-job.yaml";
    const string FetchJobPath = "deploy/kubernetes/fetch-job.yaml";
    const string VolumePath = "deploy/kubernetes/volume.yaml";
    const string SlurmArrayPath = "deploy/slurm/evaluate-array.sh";
    const string SlurmMergePath = "deploy/slurm/merge.sh";
    const string SlurmSubmitPath = "deploy/slurm/submit.sh";
    const string DocsPath = "docs/scale-out.md";
    const string CliProjectPath = "src/Vitmix.Cli/Vitmix.Cli.csproj";

    static readonly string[] JobPaths = [EvaluateJobPath, MergeJobPath, FetchJobPath];
    static readonly string[] SlurmPaths = [SlurmArrayPath, SlurmMergePath, SlurmSubmitPath];

    // ---------------------------------------------------------------------------------------------------------------
    // Dockerfile

    [Fact]
    public void Every_stage_starts_from_an_image_pinned_to_a_version()
    {
        var stages = Dockerfile.Read(Repo(DockerfilePath)).Stages;
        Assert.True(stages.Count >= 2, $"expected a build and a runtime stage, found {stages.Count} FROM");
        foreach (var stage in stages)
        {
            var tag = Regex.Match(stage.Image, @":(?<tag>[^@]+)");
            Assert.True(tag.Success, $"FROM {stage.Image}: no tag (it would float with :latest)");
            Assert.Matches(@"^\d+\.\d+\.\d+(-[a-z0-9.]+)?$", tag.Groups["tag"].Value);
        }
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", stages[0].Image);
        // The image that runs is the runtime, not the SDK the build stage needed.
        Assert.StartsWith("mcr.microsoft.com/dotnet/runtime:", stages[^1].Image);
    }

    [Fact]
    public void The_final_stage_runs_vitmix_as_a_non_root_user()
    {
        var final = Dockerfile.Read(Repo(DockerfilePath)).Stages[^1];
        int user = final.LastIndexOf("USER"), entrypoint = final.LastIndexOf("ENTRYPOINT");
        Assert.True(user >= 0, "the runtime stage sets no USER: the container would run as root");
        Assert.True(entrypoint > user, "USER must come before ENTRYPOINT");
        string who = final.Instructions[user].Arguments.Trim();
        Assert.DoesNotMatch(@"^(root|0)(:.*)?$", who);
        Assert.Matches(@"^(\$\{?APP_UID\}?|[1-9]\d*|app)(:.*)?$", who); // the .NET images' app user, or another non-zero UID

        var entry = ExecForm(final.Instructions[entrypoint]);
        Assert.Equal("vitmix", entry[0]);
        var cmd = final.Instructions.Last(i => i.Keyword == "CMD");
        Assert.NotEmpty(ExecForm(cmd));

        // `vitmix` must be a program in the image that starts the published assembly, whose name the CLI project sets.
        string assembly = XDocument.Load(Repo(CliProjectPath)).Descendants("AssemblyName").Single().Value;
        var launcher = final.Instructions.Where(i => i.Keyword == "RUN" && i.Arguments.Contains("/usr/local/bin/vitmix")).ToList();
        Assert.True(launcher.Count == 1, "the runtime stage must create /usr/local/bin/vitmix (a wrapper or a link)");
        Assert.Contains($"/app/{assembly}.dll", launcher[0].Arguments);
        Assert.Contains(final.Instructions, i => i.Keyword == "COPY" && Regex.IsMatch(i.Arguments, @"--from=\S+\s+/app\s+/app\b"));
    }

    [Fact]
    public void The_hub_cache_and_the_results_are_volumes()
    {
        var final = Dockerfile.Read(Repo(DockerfilePath)).Stages[^1];
        var env = final.Instructions.Where(i => i.Keyword == "ENV").SelectMany(i => Dockerfile.EnvPairs(i.Arguments)).ToDictionary();
        Assert.True(env.TryGetValue("HF_HOME", out string? hfHome), "ENV HF_HOME missing from the runtime stage");
        var volumes = final.Instructions.Where(i => i.Keyword == "VOLUME").SelectMany(ExecForm).ToList();
        Assert.Contains(hfHome, volumes);
        Assert.Contains("/results", volumes);
        Assert.Contains("/data", volumes);
        Assert.Equal("/results", final.Instructions.Last(i => i.Keyword == "WORKDIR").Arguments.Trim());
    }

    [Fact]
    public void The_runtime_stage_installs_the_packages_ci_installs_for_SkiaSharp()
    {
        var final = Dockerfile.Read(Repo(DockerfilePath)).Stages[^1];
        var install = final.Instructions.Where(i => i.Keyword == "RUN" && i.Arguments.Contains("apt-get install")).ToList();
        Assert.True(install.Count == 1, "expected one apt-get install in the runtime stage");
        string run = install[0].Arguments;
        Assert.Contains("libfontconfig1", run);
        Assert.Matches(@"\bfonts-[a-z0-9-]+", run);
        Assert.Contains("rm -rf /var/lib/apt/lists", run);
        // What .ci/run installs for the tests, except the browser only the report test needs.
        var ci = Regex.Match(File.ReadAllText(Repo(".ci/run")), @"packages=\((?<list>[^)]*)\)");
        Assert.True(ci.Success, ".ci/run no longer lists its packages as packages=(...)");
        foreach (var package in ci.Groups["list"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "chromium"))
            Assert.Matches($@"\b{Regex.Escape(package)}\b", run);
    }

    [Fact]
    public void The_build_stage_publishes_the_cli_from_a_context_that_holds_what_it_needs()
    {
        var file = Dockerfile.Read(Repo(DockerfilePath));
        var build = file.Stages[0];
        var publish = build.Instructions.Where(i => i.Keyword == "RUN").Select(i => Regex.Match(i.Arguments, @"dotnet publish\s+(?<project>\S+)"))
            .Where(m => m.Success).Select(m => m.Groups["project"].Value).ToList();
        Assert.Equal([CliProjectPath], publish);
        Assert.True(File.Exists(Repo(CliProjectPath)), $"{CliProjectPath} does not exist");

        var sources = build.Instructions.Where(i => i.Keyword == "COPY" && !i.Arguments.Contains("--from"))
            .SelectMany(i => CopySources(i.Arguments)).ToList();
        var ignore = Dockerignore.Read(Repo(DockerignorePath));
        foreach (string source in sources)
        {
            Assert.True(File.Exists(Repo(source)) || Directory.Exists(Repo(source)), $"COPY {source}: not in the repository");
            Assert.False(ignore.Excludes(source.TrimEnd('/')), $"COPY {source}: left out of the context by {DockerignorePath}");
        }

        // Everything the CLI project builds from: the shared props, the projects, the embedded default model.
        var needed = new List<string> { "Directory.Build.props", CliProjectPath, "src/Vitmix.Cli/Program.cs", "src/Vitmix/Vitmix.csproj" };
        var project = XDocument.Load(Repo(CliProjectPath));
        string projectDir = Path.GetDirectoryName(CliProjectPath)!;
        foreach (var item in project.Descendants().Where(e => e.Name.LocalName is "EmbeddedResource" or "ProjectReference"))
            needed.Add(Normalise(Path.Combine(projectDir, item.Attribute("Include")!.Value)));
        Assert.Contains("models/default/model.safetensors", needed);
        foreach (string path in needed)
        {
            Assert.True(File.Exists(Repo(path)), $"{path}: the CLI project needs it but it does not exist");
            Assert.True(sources.Any(s => path == s.TrimEnd('/') || path.StartsWith(s.TrimEnd('/') + "/", StringComparison.Ordinal)),
                $"{path}: no COPY of the build stage brings it into the image");
            Assert.False(ignore.Excludes(path), $"{path}: left out of the context by {DockerignorePath}");
        }
    }

    [Theory]
    [InlineData(".git")]
    [InlineData("src/Vitmix/bin/Release/net10.0/Vitmix.Core.dll")]
    [InlineData("src/Vitmix.Cli/obj/project.assets.json")]
    [InlineData("tests/golden/vit32_p8_d48_l3_h3_c10/weights.safetensors")]
    [InlineData("tests/Vitmix.Tests/Deploy/DeployFilesTests.cs")]
    [InlineData("models/default-training/model.safetensors")]
    [InlineData("bench/Vitmix.Bench/Program.cs")]
    public void The_context_leaves_out_build_output_history_and_tests(string path) =>
        Assert.True(Dockerignore.Read(Repo(DockerignorePath)).Excludes(path), $"{path} would be sent to the builder");

    static List<string> ExecForm(Dockerfile.Instruction instruction)
    {
        string text = instruction.Arguments.Trim();
        Assert.True(text.StartsWith('['), $"{instruction.Keyword} {text}: use the exec (JSON) form, so no shell sits between the signal and vitmix");
        return JsonSerializer.Deserialize<List<string>>(text)!;
    }

    /// <summary>The source paths of a COPY (all words but the last and the --flags).</summary>
    static IEnumerable<string> CopySources(string arguments)
    {
        var words = arguments.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
        return words.Take(words.Count - 1);
    }

    static string Normalise(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Replace('\\', '/').Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == ".." && parts.Count > 0) parts.RemoveAt(parts.Count - 1);
            else parts.Add(part);
        }
        return string.Join('/', parts);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Kubernetes

    [Fact]
    public void The_evaluation_is_an_indexed_job_with_one_index_per_shard()
    {
        var job = Yaml.Single(EvaluateJobPath);
        Assert.Equal("batch/v1", Yaml.Text(job, "apiVersion"));
        Assert.Equal("Job", Yaml.Text(job, "kind"));
        Assert.Equal("Indexed", Yaml.Text(job, "spec", "completionMode"));
        int completions = Yaml.Int(job, "spec", "completions"), parallelism = Yaml.Int(job, "spec", "parallelism");
        var args = Yaml.ContainerArgs(job).Single();
        Assert.Equal("evaluate", args[0]);
        Assert.Equal("auto", OptionValue(args, "--shard"));
        int shards = int.Parse(OptionValue(args, "--shards") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(completions == shards && parallelism == shards,
            $"completions {completions}, parallelism {parallelism} and --shards {shards} must be one number");
        // A failed index retries on its own; that needs restartPolicy Never.
        Assert.True(Yaml.Int(job, "spec", "backoffLimitPerIndex") >= 1, "backoffLimitPerIndex must allow at least one retry");
        Assert.Equal("Never", Yaml.Text(job, "spec", "template", "spec", "restartPolicy"));
        Assert.Equal("Failed", Yaml.Text(job, "spec", "podReplacementPolicy"));
        // The ViTmiX protocol on VOC.
        Assert.StartsWith("voc:", OptionValue(args, "--dataset"));
        Assert.Equal("100", OptionValue(args, "--deletion-steps"));
        Assert.Equal("0.85", OptionValue(args, "--min-confidence"));
        Assert.Contains(Yaml.Env(job), e => e is ("HF_HUB_OFFLINE", "1"));
    }

    [Fact]
    public void The_evaluation_pods_mount_data_cache_and_results_from_the_shared_volume()
    {
        var job = Yaml.Single(EvaluateJobPath);
        var mounts = Yaml.Mounts(job);
        string hfHome = Dockerfile.Read(Repo(DockerfilePath)).Stages[^1].Instructions.Where(i => i.Keyword == "ENV")
            .SelectMany(i => Dockerfile.EnvPairs(i.Arguments)).Single(p => p.Key == "HF_HOME").Value;
        foreach (string path in new[] { "/data", hfHome, "/results" })
            Assert.True(mounts.Any(m => m.MountPath == path), $"{EvaluateJobPath}: nothing mounted at {path}");
        Assert.True(mounts.Single(m => m.MountPath == "/data").ReadOnly, "the dataset should be mounted read-only");
        Assert.False(mounts.Single(m => m.MountPath == "/results").ReadOnly, "the results folder must be writable");

        var args = Yaml.ContainerArgs(job).Single();
        Assert.StartsWith("voc:/data/", OptionValue(args, "--dataset"));
        Assert.StartsWith("/results/", OptionValue(args, "--out"));
    }

    [Fact]
    public void Every_mount_is_backed_by_a_declared_volume_of_the_shared_claim()
    {
        var claim = Yaml.Single(VolumePath);
        Assert.Equal("PersistentVolumeClaim", Yaml.Text(claim, "kind"));
        Assert.Contains("ReadWriteMany", Yaml.Sequence(claim, "spec", "accessModes").Select(n => ((YamlScalarNode)n).Value));
        string claimName = Yaml.Text(claim, "metadata", "name");
        foreach (string path in JobPaths)
        {
            var job = Yaml.Single(path);
            Assert.Equal("Job", Yaml.Text(job, "kind"));
            var volumes = Yaml.Sequence(job, "spec", "template", "spec", "volumes").Cast<YamlMappingNode>()
                .ToDictionary(v => Yaml.Text(v, "name"), v => Yaml.Text(v, "persistentVolumeClaim", "claimName"));
            var mounts = Yaml.Mounts(job);
            Assert.NotEmpty(mounts);
            foreach (var mount in mounts)
            {
                Assert.True(volumes.TryGetValue(mount.Volume, out string? claimed), $"{path}: mount {mount.MountPath} names volume '{mount.Volume}', which the pod does not declare");
                Assert.Equal(claimName, claimed);
            }
        }
    }

    [Fact]
    public void The_manifests_run_one_image()
    {
        var images = JobPaths.SelectMany(p => Yaml.Containers(Yaml.Single(p))).Select(c => Yaml.Text(c, "image")).Distinct().ToList();
        Assert.True(images.Count == 1, "the Jobs run different images: " + string.Join(", ", images));
        Assert.Matches(@"/vitmix:[^:/]+$", images[0]);
    }

    [Fact]
    public void The_merge_job_reads_the_folder_the_evaluation_writes()
    {
        var evaluate = Yaml.ContainerArgs(Yaml.Single(EvaluateJobPath)).Single();
        var merge = Yaml.ContainerArgs(Yaml.Single(MergeJobPath)).Single();
        Assert.Equal("merge", merge[0]);
        string runFolder = OptionValue(evaluate, "--out")!;
        Assert.Equal(runFolder, merge[1]);
        Assert.NotEqual(runFolder, OptionValue(merge, "--out"));
        // The fetch job fills the cache with the model the evaluation asks for (offline).
        var fetch = Yaml.ContainerArgs(Yaml.Single(FetchJobPath)).Single();
        Assert.Equal(["fetch", OptionValue(evaluate, "--model")!], fetch);
    }

    [Fact]
    public void Container_args_are_strings_to_Kubernetes()
    {
        // An unquoted 10 or 0.85 is a number in YAML, and the API server refuses a number where args wants a string.
        foreach (string path in JobPaths)
            foreach (var container in Yaml.Containers(Yaml.Single(path)))
                foreach (string key in new[] { "command", "args" })
                    if (container.Children.TryGetValue(new YamlScalarNode(key), out var list))
                        foreach (var item in ((YamlSequenceNode)list).Cast<YamlScalarNode>())
                            Assert.False(item.Style == ScalarStyle.Plain && Regex.IsMatch(item.Value!, @"^([-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?|true|false|yes|no|on|off|null|~|)$", RegexOptions.IgnoreCase),
                                $"{path}: {key} item {item.Value} at {item.Start} is not a string in YAML; quote it");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Slurm

    [SkippableFact]
    public void The_slurm_scripts_parse_with_bash()
    {
        Skip.If(OperatingSystem.IsWindows(), "bash -n needs bash");
        foreach (string path in SlurmPaths)
        {
            var start = new ProcessStartInfo("bash", ["-n", Repo(path)]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var bash = Process.Start(start)!;
            string errors = bash.StandardError.ReadToEnd();
            bash.WaitForExit();
            Assert.True(bash.ExitCode == 0, $"bash -n {path}: {errors}");
            Assert.Contains("set -euo pipefail", File.ReadAllText(Repo(path)));
        }
    }

    [Fact]
    public void The_array_has_one_task_per_shard_and_one_log_per_task()
    {
        string script = File.ReadAllText(Repo(SlurmArrayPath));
        var array = Regex.Match(script, @"^#SBATCH --array=(?<first>\d+)-(?<last>\d+)\s*$", RegexOptions.Multiline);
        Assert.True(array.Success, $"{SlurmArrayPath}: no #SBATCH --array=0-(N-1)");
        Assert.Equal("0", array.Groups["first"].Value);
        var evaluate = ShellCommands.VitmixLines(script).Select(c => c.Args).Single(a => a[0] == "evaluate");
        Assert.Equal("auto", OptionValue(evaluate, "--shard"));
        Assert.Equal((int.Parse(array.Groups["last"].Value) + 1).ToString(), OptionValue(evaluate, "--shards"));
        Assert.Matches(@"(?m)^#SBATCH --output=\S*%A\S*%a\S*$", script);
        Assert.Matches(@"(?m)^#SBATCH --cpus-per-task=\d+$", script);
        Assert.Matches(@"(?m)^#SBATCH --mem=\d+[KMGT]?$", script);
        Assert.Matches(@"(?m)^#SBATCH --time=\S+$", script);
    }

    [Fact]
    public void Submit_queues_the_merge_after_the_whole_array_and_merge_reads_its_folder()
    {
        string submit = File.ReadAllText(Repo(SlurmSubmitPath));
        var evaluate = Regex.Match(submit, @"(?m)^(?<var>\w+)=\$\(sbatch --parsable [^)]*evaluate-array\.sh""?\)");
        Assert.True(evaluate.Success, $"{SlurmSubmitPath}: no jid=$(sbatch --parsable ... evaluate-array.sh)");
        string jid = evaluate.Groups["var"].Value;
        Assert.Matches($@"(?m)^[^#\n]*sbatch [^\n]*--dependency=afterok:""?\${jid}\b[^\n]*merge\.sh", submit);

        // Both jobs agree on the run folder: the same default, and merge names the folder evaluate writes into.
        string array = File.ReadAllText(Repo(SlurmArrayPath)), merge = File.ReadAllText(Repo(SlurmMergePath));
        string Default(string script) => Regex.Match(script, @"(?m)^VITMIX_OUT=(.+)$").Groups[1].Value;
        Assert.NotEqual("", Default(array));
        Assert.Equal(Default(array), Default(merge));
        string outDir = OptionValue(ShellCommands.VitmixLines(array).Single().Args, "--out")!;
        var mergeArgs = ShellCommands.VitmixLines(merge).Single().Args;
        Assert.Equal("merge", mergeArgs[0]);
        Assert.Equal(outDir, mergeArgs[1]);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Every vitmix command line, parsed by the CLI

    /// <summary>Every <c>vitmix …</c> command in the manifests, the scripts and the code blocks of docs/scale-out.md.</summary>
    public static TheoryData<string, string[]> CommandLines()
    {
        var data = new TheoryData<string, string[]>();
        foreach (var (where, args) in AllCommandLines()) data.Add(where, args);
        return data;
    }

    static IEnumerable<(string Where, string[] Args)> AllCommandLines()
    {
        foreach (string path in JobPaths)
            foreach (var args in Yaml.ContainerArgs(Yaml.Single(path)))
                yield return (path, args);
        foreach (string path in SlurmPaths)
            foreach (var (line, args) in ShellCommands.VitmixLines(File.ReadAllText(Repo(path))))
                yield return ($"{path}:{line}", args);
        foreach (var (line, block) in MarkdownShellBlocks(File.ReadAllText(Repo(DocsPath))))
            foreach (var (offset, args) in ShellCommands.VitmixLines(block))
                yield return ($"{DocsPath}:{line + offset}", args);
    }

    [Theory]
    [MemberData(nameof(CommandLines))]
    public void Every_vitmix_command_line_parses(string where, string[] args)
    {
        var problems = ParseProblems(args);
        Assert.True(problems.Count == 0, $"{where}: vitmix {string.Join(' ', args)}\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void The_command_lines_found_include_each_step_of_both_paths()
    {
        var lines = AllCommandLines().ToList();
        bool Has(string source, Func<string[], bool> match) => lines.Any(l => l.Where.StartsWith(source, StringComparison.Ordinal) && match(l.Args));
        bool ShardedEvaluate(string[] a) => a[0] == "evaluate" && OptionValue(a, "--shard") == "auto" && OptionValue(a, "--shards") is not null;
        Assert.True(Has(EvaluateJobPath, ShardedEvaluate), $"{EvaluateJobPath}: no sharded evaluate");
        Assert.True(Has(SlurmArrayPath, ShardedEvaluate), $"{SlurmArrayPath}: no sharded evaluate");
        Assert.True(Has(DocsPath, ShardedEvaluate), $"{DocsPath}: no sharded evaluate");
        foreach (string source in new[] { MergeJobPath, SlurmMergePath, DocsPath })
            Assert.True(Has(source, a => a[0] == "merge"), $"{source}: no merge");
        foreach (string source in new[] { FetchJobPath, DocsPath })
            Assert.True(Has(source, a => a[0] == "fetch"), $"{source}: no fetch");
        Assert.True(Has(DocsPath, a => a[0] == "merge" && a.Contains("--allow-partial")), $"{DocsPath}: no merge --allow-partial");
    }

    [Theory]
    [InlineData("evaluate --dataset voc:/data/VOCdevkit --shard auto --shardz 10")]          // misspelt option
    [InlineData("evaluate --dataset voc:/data/VOCdevkit --deletion-steps many")]             // not a number
    [InlineData("evaluate --shard auto --shards 10")]                                         // --dataset is required
    [InlineData("merge /results/voc-run --out /results/merged --allow-partal")]              // taken as a folder by the parser
    [InlineData("evalute --dataset voc:/data/VOCdevkit")]                                     // no such command
    [InlineData("merge /results/voc-run")]                                                    // --out is required
    public void The_parse_check_catches_a_wrong_command_line(string commandLine) =>
        Assert.NotEmpty(ParseProblems(ShellCommands.Words(commandLine).ToArray()));

    [Fact]
    public void Command_lines_are_found_through_wrappers_and_continuations()
    {
        string script = """
            # vitmix evaluate --commented-out
            docker build -f deploy/Dockerfile -t vitmix .
            docker run --rm -v "$PWD/out:/results" -e X=1 vitmix demo --count 4
            HF_HOME=/x vitmix fetch org/name && echo done
            kubectl exec pod -- env A=1 vitmix info \
                --model org/name   # trailing comment
            apptainer exec --bind "$HF_HOME:/cache/huggingface" vitmix.sif vitmix merge "$OUT" --out "$OUT/merged"
            cat <<'EOF'
            vitmix inside a here-document
            EOF
            """;
        var found = ShellCommands.VitmixLines(script).ToList();
        Assert.Equal([3, 4, 5, 7], found.Select(f => f.Line));
        Assert.Equal(["demo", "--count", "4"], found[0].Args);
        Assert.Equal(["fetch", "org/name"], found[1].Args);
        Assert.Equal(["info", "--model", "org/name"], found[2].Args);
        Assert.Equal(["merge", "$OUT", "--out", "$OUT/merged"], found[3].Args);
    }

    /// <summary>
    /// What is wrong with a vitmix command line, as <c>vitmix</c> itself would find it before running anything: the
    /// parser's errors, and option-like words the parser took as arguments (VitmixApp reports those as unknown options).
    /// </summary>
    static List<string> ParseProblems(string[] args)
    {
        var parse = VitmixApp.CreateRoot().Parse(args);
        var problems = parse.Errors.Select(e => e.Message).ToList();
        var optionValues = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        for (var r = parse.CommandResult; r != null; r = r.Parent as CommandResult)
            foreach (var o in r.Children.OfType<OptionResult>())
                foreach (var t in o.Tokens) optionValues.Add(t);
        foreach (var t in parse.Tokens)
        {
            if (t.Type == TokenType.DoubleDash) break;
            if (t.Type == TokenType.Argument && t.Value.Length > 1 && t.Value[0] == '-' && !optionValues.Contains(t))
                problems.Add($"unknown option '{t.Value}'");
        }
        if (parse.CommandResult.Command.Name == "vitmix" && !args.Any(a => a is "--help" or "-h" or "--version"))
            problems.Add("no subcommand");
        return problems;
    }

    /// <summary>The value after <paramref name="option"/> in <paramref name="args"/>, or null.</summary>
    static string? OptionValue(IReadOnlyList<string> args, string option)
    {
        for (int i = 0; i < args.Count - 1; i++)
            if (args[i] == option) return args[i + 1];
        return null;
    }

    /// <summary>The shell code blocks of a Markdown file (```sh, ```bash, ```shell, ```console or unlabelled), with the line each starts on.</summary>
    static IEnumerable<(int Line, string Text)> MarkdownShellBlocks(string markdown)
    {
        var lines = markdown.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var fence = Regex.Match(lines[i], @"^\s*```(?<lang>\w*)\s*$");
            if (!fence.Success) continue;
            int start = i + 1;
            int end = start;
            while (end < lines.Length && !Regex.IsMatch(lines[end], @"^\s*```\s*$")) end++;
            if (fence.Groups["lang"].Value is "" or "sh" or "bash" or "shell" or "console")
                yield return (start + 1, string.Join('\n', lines[start..Math.Min(end, lines.Length)]));
            i = end;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Readers

    /// <summary>A Dockerfile as stages of instructions (continuations joined, comments dropped).</summary>
    sealed record Dockerfile(List<Dockerfile.Stage> Stages)
    {
        public sealed record Instruction(string Keyword, string Arguments);

        public sealed record Stage(string Image, List<Instruction> Instructions)
        {
            public int LastIndexOf(string keyword) => Instructions.FindLastIndex(i => i.Keyword == keyword);
        }

        public static Dockerfile Read(string path)
        {
            var stages = new List<Stage>();
            var logical = new StringBuilder();
            foreach (string raw in File.ReadAllLines(path))
            {
                string line = raw.Trim();
                if (line.StartsWith('#')) continue; // comments, also between continued lines
                if (line.EndsWith('\\')) { logical.Append(line[..^1]).Append(' '); continue; }
                logical.Append(line);
                string text = logical.ToString().Trim();
                logical.Clear();
                if (text.Length == 0) continue;
                var m = Regex.Match(text, @"^(?<kw>[A-Za-z]+)\s+(?<args>.*)$");
                Assert.True(m.Success, $"{path}: cannot read '{text}'");
                var instruction = new Instruction(m.Groups["kw"].Value.ToUpperInvariant(), m.Groups["args"].Value);
                if (instruction.Keyword == "FROM")
                {
                    var from = Regex.Match(instruction.Arguments, @"^(--\S+\s+)*(?<image>\S+)(\s+AS\s+\S+)?$", RegexOptions.IgnoreCase);
                    Assert.True(from.Success, $"{path}: cannot read FROM {instruction.Arguments}");
                    stages.Add(new Stage(from.Groups["image"].Value, []));
                }
                else
                {
                    Assert.True(stages.Count > 0, $"{path}: {instruction.Keyword} before the first FROM");
                    stages[^1].Instructions.Add(instruction);
                }
            }
            return new Dockerfile(stages);
        }

        /// <summary>The KEY=value pairs of an ENV instruction (or its legacy "KEY value" form).</summary>
        public static IEnumerable<KeyValuePair<string, string>> EnvPairs(string arguments)
        {
            if (!arguments.Contains('='))
            {
                var parts = arguments.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
                yield return new(parts[0], parts.Length > 1 ? parts[1] : "");
                yield break;
            }
            foreach (string word in ShellCommands.Words(arguments))
            {
                int eq = word.IndexOf('=');
                if (eq > 0) yield return new(word[..eq], word[(eq + 1)..]);
            }
        }
    }

    /// <summary>
    /// A .dockerignore as BuildKit reads it: patterns relative to the context, * and ? within a path segment, ** across
    /// segments, a pattern also covering everything below what it matches, ! re-including, the last match deciding.
    /// </summary>
    sealed class Dockerignore
    {
        readonly List<(Regex Pattern, bool Exclude)> _rules = [];

        public static Dockerignore Read(string path)
        {
            var ignore = new Dockerignore();
            foreach (string raw in File.ReadAllLines(path))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                bool exclude = !line.StartsWith('!');
                string pattern = line.TrimStart('!').Trim().Trim('/');
                var regex = new StringBuilder("^");
                for (int i = 0; i < pattern.Length; i++)
                {
                    if (pattern[i] == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
                    {
                        bool slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                        regex.Append(slash ? "(.*/)?" : ".*");
                        i += slash ? 2 : 1;
                    }
                    else if (pattern[i] == '*') regex.Append("[^/]*");
                    else if (pattern[i] == '?') regex.Append("[^/]");
                    else regex.Append(Regex.Escape(pattern[i].ToString()));
                }
                ignore._rules.Add((new Regex(regex.Append('$').ToString()), exclude));
            }
            return ignore;
        }

        /// <summary>True when <paramref name="path"/> (relative to the context, with /) is left out.</summary>
        public bool Excludes(string path)
        {
            var prefixes = new List<string>();
            var parts = path.Split('/');
            for (int n = 1; n <= parts.Length; n++) prefixes.Add(string.Join('/', parts[..n]));
            bool excluded = false;
            foreach (var (pattern, exclude) in _rules)
                if (prefixes.Any(pattern.IsMatch)) excluded = exclude;
            return excluded;
        }
    }

    /// <summary>The Kubernetes manifests as YamlDotNet's representation model.</summary>
    static class Yaml
    {
        public sealed record Mount(string Volume, string MountPath, bool ReadOnly);

        /// <summary>The one document of a manifest file.</summary>
        public static YamlMappingNode Single(string relative)
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(Repo(relative))) stream.Load(reader);
            Assert.True(stream.Documents.Count == 1, $"{relative}: expected one YAML document, found {stream.Documents.Count}");
            return (YamlMappingNode)stream.Documents[0].RootNode;
        }

        public static YamlNode Node(YamlNode node, params string[] path)
        {
            foreach (string key in path)
            {
                Assert.True(node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out _),
                    $"no '{key}' in the path {string.Join('.', path)} (at {node.Start})");
                node = ((YamlMappingNode)node).Children[new YamlScalarNode(key)];
            }
            return node;
        }

        public static string Text(YamlNode node, params string[] path) => ((YamlScalarNode)Node(node, path)).Value!;

        public static int Int(YamlNode node, params string[] path) =>
            int.Parse(Text(node, path), System.Globalization.CultureInfo.InvariantCulture);

        public static YamlSequenceNode Sequence(YamlNode node, params string[] path) => (YamlSequenceNode)Node(node, path);

        public static IEnumerable<YamlMappingNode> Containers(YamlMappingNode job) =>
            Sequence(job, "spec", "template", "spec", "containers").Cast<YamlMappingNode>();

        /// <summary>The vitmix arguments of each container: its args after the image's ENTRYPOINT vitmix, or its command after vitmix.</summary>
        public static IEnumerable<string[]> ContainerArgs(YamlMappingNode job)
        {
            foreach (var container in Containers(job))
            {
                var command = container.Children.TryGetValue(new YamlScalarNode("command"), out var c)
                    ? ((YamlSequenceNode)c).Select(n => ((YamlScalarNode)n).Value!).ToList() : null;
                var args = container.Children.TryGetValue(new YamlScalarNode("args"), out var a)
                    ? ((YamlSequenceNode)a).Select(n => ((YamlScalarNode)n).Value!).ToList() : [];
                if (command is null) yield return args.ToArray();
                else if (command.Count > 0 && (command[0] == "vitmix" || command[0].EndsWith("/vitmix", StringComparison.Ordinal)))
                    yield return command.Skip(1).Concat(args).ToArray();
            }
        }

        public static List<Mount> Mounts(YamlMappingNode job) =>
            Containers(job).SelectMany(c => c.Children.TryGetValue(new YamlScalarNode("volumeMounts"), out var m) ? ((YamlSequenceNode)m).Cast<YamlMappingNode>() : [])
                .Select(m => new Mount(Text(m, "name"), Text(m, "mountPath"),
                    m.Children.TryGetValue(new YamlScalarNode("readOnly"), out var ro) && ((YamlScalarNode)ro).Value == "true"))
                .ToList();

        public static IEnumerable<(string Name, string Value)> Env(YamlMappingNode job) =>
            Containers(job).SelectMany(c => c.Children.TryGetValue(new YamlScalarNode("env"), out var e) ? ((YamlSequenceNode)e).Cast<YamlMappingNode>() : [])
                .Select(e => (Text(e, "name"), Text(e, "value")));
    }

    /// <summary>
    /// Finds <c>vitmix</c> commands in shell text, as far as the deploy scripts and the docs use the shell: continued
    /// lines, quotes, comments, here-documents, lists (; &amp;&amp; || |), leading VAR=value assignments, and vitmix
    /// behind <c>env</c>, <c>exec</c>, <c>srun</c>, <c>kubectl exec … --</c>, <c>apptainer exec IMAGE</c> or as the
    /// image of <c>docker run</c>, whose entrypoint it is.
    /// </summary>
    internal static class ShellCommands
    {
        static readonly HashSet<string> DockerRunValueOptions =
            ["-v", "--volume", "-e", "--env", "--env-file", "-u", "--user", "-w", "--workdir", "--name", "--mount", "--entrypoint",
             "--network", "--cpus", "-m", "--memory", "--platform", "-p", "--publish"];
        static readonly HashSet<string> ApptainerValueOptions =
            ["-B", "--bind", "--env", "--env-file", "-H", "--home", "--pwd", "-W", "--workdir", "-o", "--overlay"];

        /// <summary>Each vitmix command: the 1-based line it starts on and its arguments.</summary>
        public static IEnumerable<(int Line, string[] Args)> VitmixLines(string text)
        {
            var lines = text.Replace("\r\n", "\n").Split('\n');
            string? heredoc = null;
            for (int i = 0; i < lines.Length; i++)
            {
                if (heredoc is not null)
                {
                    if (lines[i].Trim() == heredoc) heredoc = null;
                    continue;
                }
                int first = i;
                var logical = new StringBuilder(lines[i]);
                while (logical.Length > 0 && logical[^1] == '\\' && i + 1 < lines.Length)
                {
                    logical.Length--;
                    logical.Append(' ').Append(lines[++i]);
                }
                string line = logical.ToString();
                var here = Regex.Match(line, @"<<-?\s*['""]?(?<end>\w+)['""]?");
                if (here.Success) heredoc = here.Groups["end"].Value;
                foreach (var command in SimpleCommands(line))
                    if (VitmixArgs(command) is { } args)
                        yield return (first + 1, args);
            }
        }

        /// <summary>The words of <paramref name="text"/>, quotes removed (a shell's word splitting, without expansion).</summary>
        public static IEnumerable<string> Words(string text) => SimpleCommands(text).SelectMany(c => c);

        /// <summary>The simple commands of one logical line, each as its words; a comment or a redirection ends the words.</summary>
        static List<List<string>> SimpleCommands(string line)
        {
            var commands = new List<List<string>> { new() };
            var word = new StringBuilder();
            bool inWord = false, redirected = false;
            void EndWord()
            {
                if (inWord && !redirected) commands[^1].Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            for (int i = 0; i < line.Length; i++)
            {
                char ch = line[i];
                if (ch == '\'')
                {
                    int end = line.IndexOf('\'', i + 1);
                    if (end < 0) end = line.Length;
                    word.Append(line, i + 1, end - i - 1);
                    inWord = true;
                    i = end;
                }
                else if (ch == '"')
                {
                    int j = i + 1;
                    for (; j < line.Length && line[j] != '"'; j++)
                    {
                        if (line[j] == '\\' && j + 1 < line.Length && line[j + 1] is '"' or '\\' or '$') j++;
                        word.Append(line[j]);
                    }
                    inWord = true;
                    i = j;
                }
                else if (ch == '$' && i + 1 < line.Length && line[i + 1] == '(')
                {
                    int depth = 0, j = i;
                    for (; j < line.Length; j++)
                    {
                        if (line[j] == '(') depth++;
                        else if (line[j] == ')' && --depth == 0) break;
                    }
                    word.Append(line, i, Math.Min(j + 1, line.Length) - i);
                    inWord = true;
                    i = j;
                }
                else if (ch == '\\' && i + 1 < line.Length) { word.Append(line[++i]); inWord = true; }
                else if (char.IsWhiteSpace(ch)) EndWord();
                else if (ch == '#' && !inWord) break;
                else if (ch is ';' or '|' or '&')
                {
                    EndWord();
                    while (i + 1 < line.Length && line[i + 1] is '|' or '&') i++;
                    commands.Add([]);
                    redirected = false;
                }
                else if (ch is '<' or '>' && (!inWord || word.ToString() is "2" or "1"))
                {
                    word.Clear();
                    inWord = false;
                    redirected = true; // the rest of this simple command is redirections: not vitmix's words
                }
                else { word.Append(ch); inWord = true; }
            }
            EndWord();
            return commands.Where(c => c.Count > 0).ToList();
        }

        static bool IsVitmix(string word) => word == "vitmix" || word.EndsWith("/vitmix", StringComparison.Ordinal);

        /// <summary>The arguments of vitmix when <paramref name="words"/> runs it, else null.</summary>
        static string[]? VitmixArgs(List<string> words)
        {
            int i = 0;
            while (i < words.Count)
            {
                string w = words[i];
                if (Regex.IsMatch(w, @"^[A-Za-z_][A-Za-z0-9_]*=")) { i++; continue; }
                if (w is "exec" or "time" or "nohup" or "srun" or "env")
                {
                    i++;
                    while (i < words.Count && words[i].StartsWith('-')) i++;
                    continue;
                }
                if (w == "kubectl" && i + 1 < words.Count && words[i + 1] == "exec")
                {
                    int dashes = words.IndexOf("--", i);
                    if (dashes < 0) return null;
                    i = dashes + 1;
                    continue;
                }
                if (w is "apptainer" or "singularity" && i + 1 < words.Count && words[i + 1] is "exec" or "run")
                {
                    bool run = words[i + 1] == "run";
                    int j = SkipOptions(words, i + 2, ApptainerValueOptions);
                    if (j >= words.Count) return null;
                    if (run) return words.Skip(j + 1).ToArray();
                    i = j + 1;
                    continue;
                }
                if (w == "docker" && i + 1 < words.Count && words[i + 1] == "run")
                {
                    int j = SkipOptions(words, i + 2, DockerRunValueOptions);
                    if (j >= words.Count) return null;
                    string image = words[j];
                    string repository = image.Split('@')[0];
                    int colon = repository.LastIndexOf(':');
                    if (colon > repository.LastIndexOf('/')) repository = repository[..colon];
                    return repository == "vitmix" || repository.EndsWith("/vitmix", StringComparison.Ordinal) ? words.Skip(j + 1).ToArray() : null;
                }
                return IsVitmix(w) ? words.Skip(i + 1).ToArray() : null;
            }
            return null;
        }

        static int SkipOptions(List<string> words, int j, HashSet<string> valueOptions)
        {
            while (j < words.Count && words[j].StartsWith('-'))
                j += valueOptions.Contains(words[j]) ? 2 : 1;
            return j;
        }
    }
}
