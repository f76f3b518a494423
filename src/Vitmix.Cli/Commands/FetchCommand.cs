using System.CommandLine;
using Spectre.Console;
using Vitmix.Hub;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix fetch org/name[@revision]</c>: downloads a model's model.safetensors and config.json (or open_clip's
/// open_clip_model.safetensors and open_clip_config.json) into the Hugging Face
/// cache (shared with Python tools) without running anything, and prints the snapshot folder, which
/// <c>--model</c> accepts like the hub id itself.
/// </summary>
public static class FetchCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model")
        {
            Description = "Hugging Face Hub model id, org/name or org/name@revision (e.g. timm/vit_base_patch16_224.augreg2_in21k_ft_in1k)",
        };
        var revision = new Option<string?>("--revision")
        {
            Description = "Branch, tag or commit to fetch (default main; same as org/name@revision)",
        };
        var cacheDir = new Option<string?>("--cache-dir")
        {
            Description = "Hub cache folder (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)",
        };
        var endpoint = new Option<string?>("--endpoint")
        {
            Description = "Hub URL (default $HF_ENDPOINT, else https://huggingface.co)",
        };
        var offline = new Option<bool>("--offline")
        {
            Description = "Only look in the cache, never download (same as HF_HUB_OFFLINE=1)",
        };
        var command = new Command("fetch", "Download a model from the Hugging Face Hub into the local cache and print its folder")
        {
            model, revision, cacheDir, endpoint, offline,
        };
        command.SetAction(async (parse, ct) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            HubModelId id = ParseId(parse.GetValue(model)!, parse.GetValue(revision));
            HubOptions options = Options(parse.GetValue(cacheDir), parse.GetValue(endpoint), parse.GetValue(offline), null);
            // A live bar only on a terminal; redirected or captured runs print just the folder.
            bool bar = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
            string folder = bar
                ? await WithProgressBar(id, options, error, ct)
                : await HubModelResolver.ResolveAsync(id, options, null, ct);
            await output.WriteLineAsync(folder);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The model id with <paramref name="revision"/> applied; <see cref="ArgumentException"/> when the text is not
    /// <c>org/name[@revision]</c> or names a different revision than the option.
    /// </summary>
    public static HubModelId ParseId(string model, string? revision)
    {
        if (!HubModelId.TryParse(model, out HubModelId id))
            throw new ArgumentException(HubModelId.Invalid(model));
        if (revision == null) return id;
        if (model.Contains('@') && id.Revision != revision)
            throw new ArgumentException($"revision given twice: '{model}' and --revision {revision}");
        string withRevision = $"{id.RepoId}@{revision}";
        return HubModelId.TryParse(withRevision, out HubModelId revised) ? revised
            : throw new ArgumentException($"--revision: {HubModelId.Invalid(withRevision)}");
    }

    /// <summary>Options from the environment (or <paramref name="getVariable"/>) with the command-line overrides.</summary>
    public static HubOptions Options(string? cacheDir, string? endpoint, bool offline, Func<string, string?>? getVariable)
    {
        HubOptions options = HubOptions.FromEnvironment(getVariable);
        if (cacheDir != null) options = options with { CacheRoot = Path.GetFullPath(cacheDir) };
        if (endpoint != null)
        {
            if (!Uri.TryCreate(endpoint.TrimEnd('/'), UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new ArgumentException($"--endpoint '{endpoint}' is not an absolute http(s) URL");
            options = options with { Endpoint = uri };
        }
        if (offline) options = options with { Offline = true };
        return options;
    }

    static async Task<string> WithProgressBar(HubModelId id, HubOptions options, TextWriter error, CancellationToken ct)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });
        string folder = "";
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                ProgressTask task = ctx.AddTask(Markup.Escape(id.ToString()), autoStart: true, maxValue: 1);
                folder = await HubModelResolver.ResolveAsync(id, options, new BarProgress(task), ct);
                task.Value = task.MaxValue;
                task.StopTask();
            });
        return folder;
    }

    /// <summary>Feeds resolver progress straight into the bar (synchronously, so values arrive in order).</summary>
    sealed class BarProgress(ProgressTask task) : IProgress<(long done, long total)>
    {
        public void Report((long done, long total) value)
        {
            if (value.total > 0) task.MaxValue = value.total;
            task.Value = value.done;
        }
    }
}
