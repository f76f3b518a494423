using Vitmix.IO;
using Vitmix.Data;

namespace Vitmix.Hub;

/// <summary>
/// One repository's folder in the huggingface_hub cache, laid out exactly as the Python library lays it out so that
/// both share downloads:
/// <code>
/// {root}/models--{org}--{name}/refs/{revision}            text file holding the commit hash
///                             /snapshots/{commit}/{file}  relative symlink → ../../blobs/{etag}
///                             /blobs/{etag}               the bytes (etag = sha256 for LFS files, else the git blob id)
///                             /.no_exist/{commit}/{file}  empty marker: the file does not exist at that commit
/// {root}/.locks/models--{org}--{name}/{etag}.lock         held while a blob is being downloaded
/// </code>
/// </summary>
/// <remarks>
/// Every path is built here from parts <see cref="HubPathGuard"/> accepted (a commit is 40 hex digits, a blob name 40
/// or 64, a revision or file name a plain relative path) and is then resolved, symbolic links followed, and must still
/// lie inside the cache root. The root itself may be a link (a cache moved to another disk); links inside it may not
/// lead out, except that nothing stops a local user who can write the cache from racing these checks.
/// </remarks>
internal sealed class HubCache
{
    readonly string resolvedRoot;

    public HubCache(string root, HubModelId id)
    {
        Root = root;
        Id = HubPathGuard.Id(id);
        resolvedRoot = ResolvedPath.Resolve(root);
    }

    public string Root { get; }
    public HubModelId Id { get; }
    /// <summary>The repository's folder as written (for messages); the paths below are the checked ones.</summary>
    public string RepoFolder => Path.Combine(Root, Id.CacheFolderName);

    public string RefPath(string revision) =>
        Inside(Path.Combine(RepoFolder, "refs", HubPathGuard.Revision(Id, revision)));
    public string SnapshotFolder(string commit) =>
        Inside(Path.Combine(RepoFolder, "snapshots", HubPathGuard.Commit(Id, commit, "the commit")));
    public string SnapshotFile(string commit, string file) =>
        Inside(Path.Combine(SnapshotFolder(commit), HubPathGuard.FileName(Id, file)));
    public string BlobPath(string etag) =>
        Inside(Path.Combine(RepoFolder, "blobs", HubPathGuard.BlobName(Id, etag, "the blob name")));
    public string IncompletePath(string etag) => Inside(BlobPath(etag) + ".incomplete");
    public string NoExistPath(string commit, string file) =>
        Inside(Path.Combine(RepoFolder, ".no_exist", HubPathGuard.Commit(Id, commit, "the commit"), HubPathGuard.FileName(Id, file)));
    public string LockPath(string etag) =>
        Inside(Path.Combine(Root, ".locks", Id.CacheFolderName, HubPathGuard.BlobName(Id, etag, "the blob name") + ".lock"));

    /// <summary>
    /// <paramref name="path"/> when it resolves inside the cache root, else a <see cref="HubException"/>: a link
    /// planted in the cache (a snapshot entry, a blobs/ or refs/ folder, an .incomplete file) must not make the cache
    /// read or write elsewhere.
    /// </summary>
    string Inside(string path)
    {
        string resolved = ResolvedPath.Resolve(path);
        if (!ResolvedPath.IsUnder(resolvedRoot, resolved))
            throw new HubException(
                $"{Id.RepoId}: the cache path {path} leads to {resolved}, outside the cache {Root}; a symbolic link in the cache points out of it, remove it (nothing was read or written through it)");
        return path;
    }

    /// <summary>The commit a revision points to in the cache: the revision itself when it is a commit, else refs/.</summary>
    public string? CommitFor(string revision)
    {
        if (HubModelId.IsCommitHash(revision)) return revision;
        string path = RefPath(revision);
        // A ref holds 40 hex digits and maybe a newline; anything far longer is not read into memory at all.
        if (!File.Exists(path) || new FileInfo(path).Length > 256) return null;
        string commit = File.ReadAllText(path).Trim();
        return HubModelId.IsCommitHash(commit) ? commit : null;
    }

    /// <summary>True when the snapshot entry exists and (if a symlink) its blob is there too.</summary>
    public bool HasFile(string commit, string file)
    {
        var info = new FileInfo(SnapshotFile(commit, file));
        if (info.LinkTarget == null) return info.Exists;
        return info.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true };
    }

    public bool IsKnownMissing(string commit, string file) => File.Exists(NoExistPath(commit, file));

    public void MarkMissing(string commit, string file)
    {
        string path = NoExistPath(commit, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
    }

    /// <summary>Points refs/{revision} at the commit (nothing to do when the revision is the commit).</summary>
    public void WriteRef(string revision, string commit)
    {
        if (revision == commit) return;
        string path = RefPath(revision);
        if (File.Exists(path) && File.ReadAllText(path).Trim() == commit) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, commit);
    }

    /// <summary>
    /// Makes snapshots/{commit}/{file} a relative symlink to blobs/{etag}, as huggingface_hub does; where symlinks
    /// cannot be made (some Windows setups) the blob is copied, which the Python library also accepts.
    /// </summary>
    public void LinkSnapshot(string commit, string file, string etag)
    {
        string link = SnapshotFile(commit, file);
        string blob = BlobPath(etag);
        string folder = Path.GetDirectoryName(link)!;
        Directory.CreateDirectory(folder);
        var existing = new FileInfo(link);
        if (existing.Exists || existing.LinkTarget != null) existing.Delete();
        try
        {
            File.CreateSymbolicLink(link, Path.GetRelativePath(folder, blob));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            AtomicFile.Write(link, tmp => File.Copy(blob, tmp));
        }
    }
}
