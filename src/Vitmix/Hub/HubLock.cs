namespace Vitmix.Hub;

/// <summary>
/// An exclusive lock file, so two processes never download the same blob at once. .NET takes FileShare.None as an
/// advisory flock on Unix, the same lock Python's filelock (used by huggingface_hub) takes on .locks/…/{etag}.lock.
/// </summary>
internal static class HubLock
{
    public static async Task<FileStream> AcquireAsync(string path, CancellationToken ct, TimeSpan? wait = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromMinutes(30));
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, ct);
            }
            catch (IOException e)
            {
                throw new HubException($"another process holds the download lock {path}; if no download is running, delete that file", null, e);
            }
        }
    }
}
