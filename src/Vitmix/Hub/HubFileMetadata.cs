namespace Vitmix.Hub;

/// <summary>
/// What a HEAD on <c>{endpoint}/{repo}/resolve/{revision}/{file}</c> tells: the commit the revision resolves to
/// (<c>X-Repo-Commit</c>), the blob id (<c>X-Linked-Etag</c> for LFS files = their sha256, else <c>ETag</c>), the size
/// (<c>X-Linked-Size</c>, else <c>Content-Length</c>), and where the bytes are (the redirect target for LFS files).
/// </summary>
internal sealed record HubFileMetadata(string Commit, string Etag, long? Size, Uri DownloadUrl)
{
    /// <summary>LFS etags are the file's sha256, which lets the download be verified.</summary>
    public bool EtagIsSha256 => Etag.Length == 64 && Etag.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}

/// <summary>The outcome of a HEAD: metadata on success, else the status and the hub's error code/message.</summary>
internal sealed record HubHeadResult(Uri Url, int Status, HubFileMetadata? Metadata, string? ErrorCode, string? ErrorMessage)
{
    public bool Found => Metadata != null;
}
