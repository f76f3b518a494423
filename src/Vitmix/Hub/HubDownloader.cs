using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Vitmix.Hub;

/// <summary>
/// The HTTP side of hub access: HEAD for metadata, GET with resume for the bytes. Redirects are followed by hand so
/// that the hub's own headers (commit, LFS etag and size, which the CDN response lacks) are kept, and so that the
/// token is only ever sent to the endpoint's own origin.
/// </summary>
internal sealed class HubDownloader : IDisposable
{
    const int MaxRedirects = 10;
    readonly HubOptions options;
    readonly HttpClient client;

    public HubDownloader(HubOptions options)
    {
        this.options = options;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.RequestTimeout,
        };
        // Timeouts are applied per step below (headers, each read), since a whole-request timeout would cut off
        // large downloads on slow links.
        client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("vitmix/0.1");
    }

    public void Dispose() => client.Dispose();

    /// <summary><c>{endpoint}/{repo}/resolve/{revision}/{file}</c>, revision escaped whole (refs/pr/1 → refs%2Fpr%2F1).</summary>
    public Uri FileUrl(HubModelId id, string revision, string file)
    {
        string endpoint = options.Endpoint.ToString().TrimEnd('/');
        string path = string.Join('/', file.Split('/').Select(Uri.EscapeDataString));
        return new Uri($"{endpoint}/{id.RepoId}/resolve/{Uri.EscapeDataString(revision)}/{path}");
    }

    /// <summary>
    /// HEAD a file, following redirects within the same origin and stopping at a cross-origin one (the CDN). Every
    /// value the server states (commit, blob id, size, redirect target) is checked here, before it can name a cache
    /// path or size a download; a hostile value is a <see cref="HubException"/> naming the repository, file and header.
    /// </summary>
    public async Task<HubHeadResult> HeadAsync(HubModelId id, string revision, string file, CancellationToken ct)
    {
        Uri url = FileUrl(id, revision, file);
        Uri start = url;
        string what = $"{id.RepoId}: {file}";
        string? commit = null, etag = null, etagHeader = null;
        long? size = null;
        for (int hop = 0; hop <= MaxRedirects; hop++)
        {
            using HttpResponseMessage response = await SendAsync(HttpMethod.Head, url, null, ct);
            int status = (int)response.StatusCode;
            if (commit == null && Header(response, "X-Repo-Commit") is { } c)
            {
                commit = HubPathGuard.Commit(id, c, $"the server's X-Repo-Commit for {file}");
                (etag, etagHeader) = Etag(response);
                size = HubByteCount.Parse(id, Header(response, "X-Linked-Size"), $"the server's X-Linked-Size for {file}")
                    ?? (status is >= 200 and < 300 ? ContentLength(id, file, response) : null);
            }
            if (status is >= 300 and < 400)
            {
                Uri next = RedirectTarget(url, response, what);
                if (commit != null && !SameOrigin(next, url))
                    return new HubHeadResult(start, status, Metadata(id, file, start, commit, etag, etagHeader, size, next), null, null);
                url = next;
                continue;
            }
            if (status is >= 200 and < 300)
            {
                if (commit == null)
                    throw new HubException($"{start} answered without an X-Repo-Commit header; is HF_ENDPOINT ({options.Endpoint}) a Hugging Face hub?", status);
                if (etag == null) (etag, etagHeader) = (NormalizeEtag(response.Headers.ETag?.Tag ?? Header(response, "ETag")), "ETag");
                size ??= ContentLength(id, file, response);
                return new HubHeadResult(start, status, Metadata(id, file, start, commit, etag, etagHeader, size, url), null, null);
            }
            return new HubHeadResult(start, status, null, Header(response, "X-Error-Code"), Header(response, "X-Error-Message"));
        }
        throw new HubException($"more than {MaxRedirects} redirects for {start}");
    }

    static HubFileMetadata Metadata(HubModelId id, string file, Uri url, string commit, string? etag, string? etagHeader, long? size, Uri downloadUrl) =>
        etag == null
            ? throw new HubException($"{url} answered without an ETag or X-Linked-Etag header, so the file cannot be cached")
            : new HubFileMetadata(commit, HubPathGuard.BlobName(id, etag, $"the server's {etagHeader} for {file}"), size, downloadUrl);

    /// <summary>The blob id the hub gives a file: X-Linked-Etag (LFS sha256) when present, else the ETag (git blob id).</summary>
    static (string? Etag, string Header) Etag(HttpResponseMessage response) =>
        Header(response, "X-Linked-Etag") is { } linked
            ? (NormalizeEtag(linked), "X-Linked-Etag")
            : (NormalizeEtag(response.Headers.ETag?.Tag ?? Header(response, "ETag")), "ETag");

    static long? ContentLength(HubModelId id, string file, HttpResponseMessage response) =>
        HubByteCount.Parse(id, Header(response, "Content-Length"), $"the server's Content-Length for {file}");

    /// <summary>
    /// Downloads into <paramref name="partialPath"/>, resuming what is already there with a Range request and again
    /// after a connection breaks off (up to <see cref="HubOptions.MaxResumes"/> times). Returns the byte count.
    /// <paramref name="onBytes"/> gets the file's running total. <paramref name="what"/> (repository and file) starts
    /// every error message.
    /// </summary>
    public async Task<long> DownloadAsync(HubFileMetadata meta, string partialPath, string what, Action<long> onBytes, CancellationToken ct)
    {
        int resumes = 0;
        while (true)
        {
            long have = File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
            if (meta.Size is long expected)
            {
                if (have == expected) return have;
                if (have > expected) { File.Delete(partialPath); have = 0; }
            }
            try
            {
                return await DownloadOnceAsync(meta, partialPath, have, what, onBytes, ct);
            }
            catch (Exception e) when (IsTransient(e, ct) && resumes < options.MaxResumes)
            {
                resumes++;
                await Task.Delay(TimeSpan.FromMilliseconds(100 * resumes), ct);
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                long now = File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
                throw new HubException(
                    $"{what}: download of {meta.DownloadUrl} broke off {resumes + 1} times ({e.Message}); {now} bytes are kept in {partialPath} and the next run resumes from there", null, e);
            }
        }
    }

    async Task<long> DownloadOnceAsync(HubFileMetadata meta, string partialPath, long have, string what, Action<long> onBytes, CancellationToken ct)
    {
        using HttpResponseMessage response = await SendFollowingAsync(HttpMethod.Get, meta.DownloadUrl, have > 0 ? have : null, what, ct);
        int status = (int)response.StatusCode;
        FileMode mode;
        if (status == 206 && have > 0)
        {
            // Append only when the server resumed exactly where the partial file ends, of the file it announced.
            ContentRangeHeaderValue? range = response.Content.Headers.ContentRange;
            if (range?.From != have)
                throw new TransientDownloadException($"server resumed at byte {range?.From} instead of {have}");
            if (range.Length is long total && (total < 0 || total > HubByteCount.Max || meta.Size is long announced && total != announced))
            {
                // The server contradicts itself, so the bytes it sent before are suspect too.
                File.Delete(partialPath);
                throw new HubException($"{what}: the server's Content-Range '{range}' gives a total of {total} bytes, but it announced {meta.Size?.ToString() ?? "no size"} (at most {HubByteCount.Max})");
            }
            mode = FileMode.Append;
        }
        else if (status == 200)
        {
            have = 0; // the server ignored the Range header: start over
            mode = FileMode.Create;
        }
        else if (status == 416 && have > 0)
        {
            // The partial file is not a prefix the server can continue; discard it and start over.
            File.Delete(partialPath);
            throw new TransientDownloadException($"server refused to resume at byte {have} (HTTP 416)");
        }
        else
            throw StatusError(meta.DownloadUrl, status, Header(response, "X-Error-Code"), Header(response, "X-Error-Message"), "download");

        await using var file = new FileStream(partialPath, mode, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using Stream body = await response.Content.ReadAsStreamAsync(ct);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long done = have;
            // The announced size bounds what is written: a server that keeps sending cannot fill the disk.
            long limit = meta.Size ?? HubByteCount.Max;
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
            while (true)
            {
                stall.CancelAfter(options.ReadTimeout);
                int n = await body.ReadAsync(buffer, stall.Token);
                if (n == 0) break;
                if (done + n > limit)
                {
                    file.Close();
                    File.Delete(partialPath);
                    throw new HubException($"{what}: the server sent more than the {limit} bytes {(meta.Size == null ? "accepted" : "it announced")}; the download was discarded");
                }
                await file.WriteAsync(buffer.AsMemory(0, n), ct);
                done += n;
                onBytes(done);
            }
            await file.FlushAsync(ct);
            if (meta.Size is long expected && done < expected)
                throw new TransientDownloadException($"connection closed after {done} of {expected} bytes");
            return done;
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>Checks size and, for LFS files, sha256; throws (after deleting the file) on a mismatch.</summary>
    public static void Verify(HubFileMetadata meta, string partialPath, string what)
    {
        long actual = new FileInfo(partialPath).Length;
        if (meta.Size is long expected && actual != expected)
        {
            File.Delete(partialPath);
            throw new HubException($"{what}: downloaded {actual} bytes but the hub announced {expected}; the download was discarded, run again");
        }
        if (meta.EtagIsSha256)
        {
            string sha;
            using (var stream = File.OpenRead(partialPath))
                sha = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (sha != meta.Etag)
            {
                File.Delete(partialPath);
                throw new HubException($"{what}: downloaded file has sha256 {sha} but the hub announced {meta.Etag}; the download was discarded, run again");
            }
        }
    }

    public HubException StatusError(Uri url, int status, string? errorCode, string? errorMessage, string what)
    {
        string detail = errorMessage != null ? $" ({errorMessage})" : "";
        string tokenHint = options.Token == null
            ? "set HF_TOKEN to a Hugging Face access token with read access (gated or private repositories need one)"
            : "the token in HF_TOKEN was refused: check that it is valid and has read access, and that you accepted the model's terms on its page";
        return status switch
        {
            401 or 403 when errorCode == "RepoNotFound" =>
                new HubException($"{what}: repository not found at {url} (HTTP {status}){detail}; if it is private or gated, {tokenHint}", status),
            401 or 403 => new HubException($"{what}: access denied for {url} (HTTP {status}){detail}; {tokenHint}", status),
            404 when errorCode == "RepoNotFound" => new HubException($"{what}: repository not found at {url} (HTTP 404){detail}", status),
            404 when errorCode == "RevisionNotFound" => new HubException($"{what}: revision not found: {url} (HTTP 404){detail}", status),
            404 => new HubException($"{what}: not found: {url} (HTTP 404){detail}", status),
            _ => new HubException($"{what}: HTTP {status} for {url}{detail}", status),
        };
    }

    async Task<HttpResponseMessage> SendFollowingAsync(HttpMethod method, Uri url, long? rangeFrom, string what, CancellationToken ct)
    {
        for (int hop = 0; hop <= MaxRedirects; hop++)
        {
            HttpResponseMessage response = await SendAsync(method, url, rangeFrom, ct);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location != null)
            {
                using (response) url = RedirectTarget(url, response, what);
                continue;
            }
            return response;
        }
        throw new HubException($"more than {MaxRedirects} redirects for {url}");
    }

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, long? rangeFrom, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        if (options.Token != null && SameOrigin(url, options.Endpoint))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        if (rangeFrom is long from)
            request.Headers.Range = new RangeHeaderValue(from, null);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TransientDownloadException($"no response from {url} within {options.RequestTimeout.TotalSeconds:0.#} s");
        }
    }

    static Uri RedirectTarget(Uri from, HttpResponseMessage response, string what)
    {
        Uri location = response.Headers.Location
            ?? throw new HubException($"{what}: {from} answered HTTP {(int)response.StatusCode} without a Location header");
        Uri target = location.IsAbsoluteUri ? location : new Uri(from, location);
        // A redirect names a URL to fetch, never a local file: file:, ftp: or any other scheme is refused outright.
        if (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps)
            throw new HubException($"{what}: the server's redirect (Location '{location.OriginalString}') is not an http(s) URL");
        return target;
    }

    static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault()
        : null;

    /// <summary>
    /// huggingface_hub's etag normalisation: drop a weak prefix and the quotes. What is left is not trusted here:
    /// <see cref="HubPathGuard.BlobName"/> decides whether it can name a blob.
    /// </summary>
    static string? NormalizeEtag(string? etag)
    {
        if (etag == null) return null;
        etag = etag.Trim();
        if (etag.StartsWith("W/", StringComparison.Ordinal)) etag = etag[2..];
        etag = etag.Trim('"');
        return etag.Length == 0 ? null : etag;
    }

    static bool IsTransient(Exception e, CancellationToken ct) => e switch
    {
        HubException => false,
        TransientDownloadException => true,
        OperationCanceledException => !ct.IsCancellationRequested,
        HttpRequestException or IOException => true,
        _ => false,
    };

    /// <summary>A break in a transfer (no answer, connection closed early) that a retry with Range may fix.</summary>
    internal sealed class TransientDownloadException(string message) : Exception(message);
}
