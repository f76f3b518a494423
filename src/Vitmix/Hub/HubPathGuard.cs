namespace Vitmix.Hub;

/// <summary>
/// The rules for every value from the hub server or the user that becomes part of a cache path: the commit (from
/// <c>X-Repo-Commit</c> or a refs/ file), the revision, the repository id, a file name and the blob name (from the
/// ETag). A value that breaks them never reaches <see cref="Path.Combine(string, string)"/>: a server answering
/// <c>X-Repo-Commit: ../../..</c> or <c>/home/me</c> would otherwise choose where the cache writes. <see cref="HubCache"/>
/// builds every path from values checked here, then checks the resolved path is still inside the cache root.
/// </summary>
internal static class HubPathGuard
{
    /// <summary>
    /// Why <paramref name="commit"/> is not a commit hash, or null when it is: exactly 40 lowercase hex digits, as the
    /// hub sends them and huggingface_hub accepts them (uppercase is refused, not folded, so one commit has one folder).
    /// </summary>
    public static string? CommitProblem(string commit) =>
        HubModelId.IsCommitHash(commit) ? null : "is not a 40-hex-digit commit (lowercase 0-9a-f)";

    /// <summary>
    /// Why <paramref name="etag"/> (already stripped of <c>W/</c> and quotes) cannot name a blob, or null when it can:
    /// 40 (git blob sha1) or 64 (LFS sha256) lowercase hex digits.
    /// </summary>
    public static string? BlobNameProblem(string etag) =>
        etag.Length is 40 or 64 && etag.All(IsLowerHex) ? null : "is not a 40- or 64-hex-digit blob id";

    /// <summary>
    /// Why <paramref name="revision"/> cannot be a cache path below refs/, or null when it can. A revision may hold '/'
    /// (refs/pr/1) but, as git refs, no '..', no leading '/', no backslash or ':', no empty segment, no whitespace and
    /// no control characters.
    /// </summary>
    public static string? RevisionProblem(string revision) => RelativePathProblem(revision);

    /// <summary>Why <paramref name="file"/> cannot be a file path inside a snapshot, or null when it can (same rules as a revision).</summary>
    public static string? FileNameProblem(string file) => RelativePathProblem(file);

    /// <summary>The commit, or a <see cref="HubException"/> naming the repository, where the value came from and the problem.</summary>
    public static string Commit(HubModelId id, string commit, string source) =>
        Checked(id, commit, source, CommitProblem(commit));

    /// <summary>The blob name, or a <see cref="HubException"/> naming the repository, the header and the problem.</summary>
    public static string BlobName(HubModelId id, string etag, string source) =>
        Checked(id, etag, source, BlobNameProblem(etag));

    /// <summary>The revision, or a <see cref="HubException"/> naming the repository and the problem.</summary>
    public static string Revision(HubModelId id, string revision) =>
        Checked(id, revision, "the revision", RevisionProblem(revision));

    /// <summary>The file name, or a <see cref="HubException"/> naming the repository and the problem.</summary>
    public static string FileName(HubModelId id, string file) =>
        Checked(id, file, "the file name", FileNameProblem(file));

    /// <summary>
    /// The id itself, or a <see cref="HubException"/>: <see cref="HubModelId"/> is a public record anyone can construct
    /// without <see cref="HubModelId.TryParse"/>, so the resolver checks its parts again before they name folders.
    /// </summary>
    public static HubModelId Id(HubModelId id)
    {
        if (!HubModelId.TryParse(id.RepoId, out HubModelId parsed) || parsed.RepoId != id.RepoId)
            throw new HubException($"'{id.RepoId}' is not a Hugging Face Hub repository id; expected org/name");
        Revision(id, id.Revision);
        return id;
    }

    static string Checked(HubModelId id, string value, string source, string? problem) =>
        problem == null ? value : throw new HubException($"{id.RepoId}: {source} '{Printable(value)}' {problem}");

    static string? RelativePathProblem(string path)
    {
        if (path.Length == 0) return "is empty";
        if (path.Any(char.IsControl)) return "holds a control character";
        if (path.Any(char.IsWhiteSpace)) return "holds whitespace";
        if (path.Contains('\\')) return "holds a backslash";
        if (path.Contains(':')) return "holds a ':'";
        if (path.StartsWith('/') || Path.IsPathRooted(path)) return "is an absolute path";
        // Any "..", not only a whole segment: git refs may not hold one either, and it keeps the rule obvious.
        if (path.Contains("..")) return "holds '..'";
        string[] segments = path.Split('/');
        if (segments.Any(s => s.Length == 0)) return "has an empty segment ('//' or a trailing '/')";
        if (segments.Any(s => s == ".")) return "has a '.' segment";
        return null;
    }

    static bool IsLowerHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f';

    // A hostile value may hold newlines or escape codes; the message is one line on a terminal.
    static string Printable(string value)
    {
        string shown = value.Length > 100 ? value[..100] + "…" : value;
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}
