namespace Vitmix.Hub;

/// <summary>
/// Turns a <c>--model</c> argument that names a Hugging Face Hub repository (<c>org/name[@revision]</c>) into a local
/// snapshot folder holding <c>model.safetensors</c> (and <c>config.json</c>, and CLIP's <c>vocab.json</c> and
/// <c>merges.txt</c>, when the repository has them), or, for a repository that holds only an open_clip checkpoint,
/// <c>open_clip_model.safetensors</c> and <c>open_clip_config.json</c>, using and
/// filling the same cache as huggingface_hub, so models people already downloaded with timm or transformers load
/// without a second download, and models fetched here are found by Python tools.
/// </summary>
/// <remarks>
/// The cache is consulted first: when refs/{revision} (or the commit given as revision) has the files, no request is
/// made at all. This means a branch such as <c>main</c> is not re-checked for new commits once cached; pass a
/// different revision or delete the ref to update.
/// </remarks>
public static class HubModelResolver
{
    /// <summary>The weights file fetched. Only safetensors is read: pickle checkpoints can run code when loaded.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>The config fetched beside the weights when the repository has one.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>
    /// Files fetched beside the weights when the repository has them: the config, then CLIP's BPE tokenizer files, which
    /// <c>--prompts</c> reads to run a CLIP checkpoint's own text tower. A repository without one is remembered as such.
    /// </summary>
    public static IReadOnlyList<string> SideFiles { get; } = [ConfigFile, "vocab.json", "merges.txt"];

    /// <summary>
    /// open_clip's weights on the hub (open_clip constants.py HF_SAFE_WEIGHTS_NAME), fetched when a repository has no
    /// <see cref="WeightsFile"/>: many CLIP repositories (laion's, timm's open_clip ones) hold only open_clip's files.
    /// </summary>
    public const string OpenClipWeightsFile = "open_clip_model.safetensors";

    /// <summary>open_clip's config beside its weights (HF_CONFIG_NAME): model_cfg and preprocess_cfg.</summary>
    public const string OpenClipConfigFile = "open_clip_config.json";

    /// <summary>The files fetched beside <see cref="OpenClipWeightsFile"/> when the repository has them.</summary>
    public static IReadOnlyList<string> OpenClipSideFiles { get; } = [OpenClipConfigFile, "vocab.json", "merges.txt"];

    const string PickleWeightsFile = "pytorch_model.bin";
    const string OpenClipPickleWeightsFile = "open_clip_pytorch_model.bin";

    static readonly string[] KnownFileExtensions = [".safetensors", ".json", ".bin", ".pth", ".pt", ".npz", ".ckpt", ".onnx"];

    /// <summary>
    /// True when <paramref name="modelArg"/> is not an existing file or folder and reads as <c>org/name[@revision]</c>.
    /// Arguments ending in a checkpoint extension (.safetensors, .bin, .pth, …) stay local paths, so a mistyped file
    /// name reports "file not found" rather than a hub error.
    /// </summary>
    public static bool IsHubId(string modelArg)
    {
        if (string.IsNullOrWhiteSpace(modelArg) || File.Exists(modelArg) || Directory.Exists(modelArg)) return false;
        string repoPart = modelArg.Split('@')[0];
        if (KnownFileExtensions.Any(ext => repoPart.EndsWith(ext, StringComparison.OrdinalIgnoreCase))) return false;
        return HubModelId.TryParse(modelArg, out _);
    }

    /// <summary>
    /// <paramref name="modelArg"/> unchanged when it is not a hub id (see <see cref="IsHubId"/>), else the snapshot
    /// folder from <see cref="Resolve"/>. Meant for <c>ModelLoader.Load(HubModelResolver.ResolveIfHubId(arg))</c>.
    /// </summary>
    public static string ResolveIfHubId(string modelArg, HubOptions? options = null,
        IProgress<(long done, long total)>? progress = null, CancellationToken cancellationToken = default) =>
        IsHubId(modelArg) ? Resolve(modelArg, options, progress, cancellationToken) : modelArg;

    /// <summary>
    /// The local snapshot folder for a hub id <c>org/name[@revision]</c>: from the cache when it is there, else
    /// downloaded into the cache. <paramref name="options"/> defaults to <see cref="HubOptions.FromEnvironment"/>.
    /// <paramref name="progress"/> gets (bytes done, bytes total) over all files being downloaded.
    /// Throws <see cref="HubException"/> with the repository, file, URL or cache path and a remedy, also when the server
    /// sends a value that cannot name a cache path (see <see cref="HubPathGuard"/>) or a link in the cache leads out of
    /// it: nothing is then read or written.
    /// </summary>
    public static string Resolve(string modelArg, HubOptions? options = null,
        IProgress<(long done, long total)>? progress = null, CancellationToken cancellationToken = default) =>
        ResolveAsync(HubModelId.Parse(modelArg), options, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Async form of <see cref="Resolve"/>.</summary>
    public static async Task<string> ResolveAsync(HubModelId id, HubOptions? options = null,
        IProgress<(long done, long total)>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= HubOptions.FromEnvironment();
        var cache = new HubCache(options.CacheRoot, id);

        if (FromCache(cache, id.Revision, options.Offline) is { } cached) return cached;
        if (options.Offline)
            throw new HubException(
                $"{id}: {MissingFile(cache, id.Revision)} is not in the cache ({cache.RepoFolder}) and HF_HUB_OFFLINE is set, so nothing is downloaded; " +
                "unset HF_HUB_OFFLINE to download it, or point HF_HUB_CACHE/HF_HOME at the cache that has it");

        using var downloader = new HubDownloader(options);
        try
        {
            return await DownloadAsync(downloader, cache, id, progress, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or HubDownloader.TransientDownloadException)
        {
            throw new HubException(
                $"{id}: could not reach {options.Endpoint} ({e.Message}); check the network or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the cache ({options.CacheRoot})", null, e);
        }
    }

    /// <summary>The cached snapshot of <paramref name="revision"/> when it has weights and their side files (offline: only the config counts).</summary>
    static string? FromCache(HubCache cache, string revision, bool offline)
    {
        string? commit = cache.CommitFor(revision);
        if (commit == null) return null;
        foreach (var (weights, sides) in new[] { (WeightsFile, SideFiles), (OpenClipWeightsFile, OpenClipSideFiles) })
        {
            if (!cache.HasFile(commit, weights)) continue;
            // Offline, a snapshot cached before the tokenizer files were fetched is still used: they are optional.
            var needed = offline ? sides.Take(1) : sides;
            return needed.All(f => cache.HasFile(commit, f) || cache.IsKnownMissing(commit, f)) ? cache.SnapshotFolder(commit) : null;
        }
        return null;
    }

    static string MissingFile(HubCache cache, string revision) =>
        cache.CommitFor(revision) is not { } commit ? WeightsFile
        : cache.HasFile(commit, WeightsFile) ? ConfigFile
        : cache.HasFile(commit, OpenClipWeightsFile) ? OpenClipConfigFile
        : WeightsFile;

    static async Task<string> DownloadAsync(HubDownloader downloader, HubCache cache, HubModelId id,
        IProgress<(long done, long total)>? progress, CancellationToken ct)
    {
        // The weights' HEAD fixes the commit; everything else is then asked for at that commit, so the files of
        // one snapshot always belong together even if the branch moves meanwhile.
        HubHeadResult weights = await downloader.HeadAsync(id, id.Revision, WeightsFile, ct);
        string weightsFile = WeightsFile;
        var sideFiles = SideFiles;
        if (!weights.Found && IsMissingEntry(weights))
        {
            // a repository of open_clip's files only
            HubHeadResult openClip = await downloader.HeadAsync(id, id.Revision, OpenClipWeightsFile, ct);
            if (openClip.Found) (weights, weightsFile, sideFiles) = (openClip, OpenClipWeightsFile, OpenClipSideFiles);
        }
        if (!weights.Found)
            throw await WeightsErrorAsync(downloader, id, weights, ct);
        string commit = weights.Metadata!.Commit;

        var wanted = new List<(string File, HubFileMetadata Meta)> { (weightsFile, weights.Metadata) };
        // Files the repository lacks are remembered only once the snapshot is complete: a refused download leaves nothing.
        var absent = new List<string>();
        foreach (string sideFile in sideFiles)
        {
            if (cache.HasFile(commit, sideFile) || cache.IsKnownMissing(commit, sideFile)) continue;
            HubHeadResult side = await downloader.HeadAsync(id, commit, sideFile, ct);
            if (side.Found) wanted.Add((sideFile, side.Metadata!));
            else if (IsMissingEntry(side)) absent.Add(sideFile);
            else throw downloader.StatusError(side.Url, side.Status, side.ErrorCode, side.ErrorMessage, $"{id}: {sideFile}");
        }

        var toFetch = wanted.Where(w => !cache.HasFile(commit, w.File) && !File.Exists(cache.BlobPath(w.Meta.Etag))).ToList();
        long total = toFetch.Sum(w => w.Meta.Size ?? 0);
        long finished = 0;
        foreach (var (file, meta) in wanted)
        {
            if (cache.HasFile(commit, file)) continue;
            if (!File.Exists(cache.BlobPath(meta.Etag)))
            {
                long before = finished;
                await FetchBlobAsync(downloader, cache, id, file, meta,
                    done => progress?.Report((before + done, Math.Max(total, before + done))), ct);
                finished += meta.Size ?? new FileInfo(cache.BlobPath(meta.Etag)).Length;
            }
            cache.LinkSnapshot(commit, file, meta.Etag);
        }
        foreach (string file in absent) cache.MarkMissing(commit, file);
        cache.WriteRef(id.Revision, commit);
        progress?.Report((Math.Max(finished, total), Math.Max(finished, total)));
        return cache.SnapshotFolder(commit);
    }

    static async Task FetchBlobAsync(HubDownloader downloader, HubCache cache, HubModelId id, string file,
        HubFileMetadata meta, Action<long> onBytes, CancellationToken ct)
    {
        string blob = cache.BlobPath(meta.Etag);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        using FileStream _ = await HubLock.AcquireAsync(cache.LockPath(meta.Etag), ct);
        if (File.Exists(blob)) return; // another process finished it while we waited for the lock

        string partial = cache.IncompletePath(meta.Etag);
        await downloader.DownloadAsync(meta, partial, $"{id.RepoId}: {file}", onBytes, ct);
        HubDownloader.Verify(meta, partial, $"{id}: {file} ({meta.DownloadUrl})");
        File.Move(partial, blob);
    }

    /// <summary>A 404 for a file the repository does not have (not for a missing repository or revision).</summary>
    static bool IsMissingEntry(HubHeadResult head) => head.Status == 404 && head.ErrorCode is null or "EntryNotFound";

    static async Task<HubException> WeightsErrorAsync(HubDownloader downloader, HubModelId id, HubHeadResult weights, CancellationToken ct)
    {
        if (IsMissingEntry(weights))
        {
            foreach (string pickleFile in new[] { PickleWeightsFile, OpenClipPickleWeightsFile })
            {
                HubHeadResult pickle = await downloader.HeadAsync(id, id.Revision, pickleFile, ct);
                if (pickle.Found)
                    return new HubException(
                        $"{id} has no {WeightsFile}, only {pickleFile} (a PyTorch pickle). Vitmix loads safetensors only: pickle " +
                        "files can run arbitrary code when loaded, so they are not parsed. Convert it once in Python, e.g. " +
                        $"`from safetensors.torch import save_file; import torch; save_file(torch.load('{pickleFile}', weights_only=True), '{(pickleFile == PickleWeightsFile ? WeightsFile : OpenClipWeightsFile)}')`, " +
                        "or pick a revision/repository that has model.safetensors (many hub repos have a 'refs/pr/N' conversion branch).", 404);
            }
            return new HubException($"{id}: {WeightsFile} not found ({weights.Url}, HTTP 404); the repository has none of {WeightsFile}, {OpenClipWeightsFile}, {PickleWeightsFile} at this revision", 404);
        }
        return downloader.StatusError(weights.Url, weights.Status, weights.ErrorCode, weights.ErrorMessage, $"{id}: {WeightsFile}");
    }
}
