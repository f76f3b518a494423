using System.Security.Cryptography;
using System.Text;

namespace Vitmix.Tests.Hub;

/// <summary>
/// One model repository served the way huggingface.co serves it: <c>/{repo}/resolve/{rev}/{file}</c> answers with
/// X-Repo-Commit, small files inline with a git-blob ETag, LFS files as a 302 to the blob storage carrying
/// X-Linked-Etag (sha256) and X-Linked-Size; errors carry X-Error-Code. Knobs inject the faults the tests need.
/// </summary>
public sealed class FakeHubRepo : IDisposable
{
    public const string RepoId = "acme/tiny-vit";
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";
    public const string ConfigEtag = "9f1c2a7e4b5d6c8f0a1b2c3d4e5f60718293a4b5";

    public enum Redirect { Relative, AbsoluteSameHost, CrossHost }

    public byte[] Weights { get; set; } = TinySafetensors.Create(4096);
    public string WeightsSha => Convert.ToHexStringLower(SHA256.HashData(Weights));
    public byte[] Config { get; set; } = Encoding.UTF8.GetBytes("""{"architecture": "vit_tiny_test", "num_classes": 10}""");
    /// <summary>The name the weights are served under (open_clip's repositories: open_clip_model.safetensors).</summary>
    public string WeightsName { get; set; } = "model.safetensors";
    /// <summary>The name the config is served under (open_clip's: open_clip_config.json).</summary>
    public string ConfigName { get; set; } = "config.json";

    public bool HasWeights { get; set; } = true;
    public bool HasConfig { get; set; } = true;
    public bool HasPickle { get; set; }
    public int MissingRepoStatus { get; set; } = 404;
    public string? RequiredToken { get; set; }
    public Redirect LfsRedirect { get; set; } = Redirect.Relative;
    /// <summary>The first GET of the LFS bytes breaks off after this many bytes.</summary>
    public int? DropFirstDownloadAfter { get; set; }
    /// <summary>Storage answers 200 with the whole file to Range requests.</summary>
    public bool IgnoreRange { get; set; }
    /// <summary>Bytes the storage serves instead of the real weights (a corrupted transfer).</summary>
    public byte[]? ServedWeights { get; set; }
    /// <summary>Overrides X-Linked-Size.</summary>
    public long? AnnouncedSize { get; set; }
    /// <summary>Edits each answer of the hub's resolve endpoint before it is sent (hostile headers).</summary>
    internal Action<TinyHttpServer.Request, TinyHttpServer.Response>? TamperHub { get; set; }
    /// <summary>Edits each answer of the LFS storage (same host or CDN) before it is sent.</summary>
    internal Action<TinyHttpServer.Request, TinyHttpServer.Response>? TamperLfs { get; set; }

    internal TinyHttpServer Hub { get; }
    /// <summary>A second server (another origin) standing in for the LFS CDN, used by <see cref="Redirect.CrossHost"/>.</summary>
    internal TinyHttpServer Cdn { get; }
    public Uri Endpoint => Hub.BaseUri;
    int downloads;

    public FakeHubRepo()
    {
        Hub = new TinyHttpServer(request =>
        {
            TinyHttpServer.Response response = HandleHub(request);
            (request.Path.StartsWith("/lfs/", StringComparison.Ordinal) ? TamperLfs : TamperHub)?.Invoke(request, response);
            return response;
        });
        Cdn = new TinyHttpServer(request =>
        {
            TinyHttpServer.Response response = ServeLfs(request);
            TamperLfs?.Invoke(request, response);
            return response;
        });
    }

    TinyHttpServer.Response HandleHub(TinyHttpServer.Request request)
    {
        if (request.Path.StartsWith("/lfs/", StringComparison.Ordinal)) return ServeLfs(request);
        string[] parts = request.Path.TrimStart('/').Split('/');
        if (parts.Length < 5 || parts[2] != "resolve") return Status(404, "EntryNotFound");
        if (RequiredToken != null && request.Header("Authorization") != $"Bearer {RequiredToken}")
            return Status(401, null);
        if ($"{parts[0]}/{parts[1]}" != RepoId) return Status(MissingRepoStatus, "RepoNotFound");
        string revision = Uri.UnescapeDataString(parts[3]);
        if (revision != "main" && revision != Commit) return Status(404, "RevisionNotFound");
        string file = string.Join('/', parts.Skip(4));

        if (file == WeightsName && HasWeights || file == "pytorch_model.bin" && HasPickle)
        {
            string location = LfsRedirect switch
            {
                Redirect.Relative => $"/lfs/{WeightsSha}",
                Redirect.AbsoluteSameHost => new Uri(Hub.BaseUri, $"/lfs/{WeightsSha}").ToString(),
                _ => new Uri(Cdn.BaseUri, $"/lfs/{WeightsSha}").ToString(),
            };
            return new TinyHttpServer.Response
            {
                Status = 302,
                Headers = new()
                {
                    ["Location"] = location,
                    ["X-Repo-Commit"] = Commit,
                    ["X-Linked-Etag"] = $"\"{WeightsSha}\"",
                    ["X-Linked-Size"] = (AnnouncedSize ?? Weights.Length).ToString(),
                    ["ETag"] = "\"0000000000000000000000000000000000000001\"",
                },
            };
        }
        if (file == ConfigName && HasConfig)
            return new TinyHttpServer.Response
            {
                Headers = new() { ["X-Repo-Commit"] = Commit, ["ETag"] = $"\"{ConfigEtag}\"", ["Content-Type"] = "application/json" },
                Body = Config,
            };
        var missing = Status(404, "EntryNotFound");
        missing.Headers["X-Repo-Commit"] = Commit;
        return missing;
    }

    TinyHttpServer.Response ServeLfs(TinyHttpServer.Request request)
    {
        if (request.Path != $"/lfs/{WeightsSha}") return Status(404, null);
        byte[] data = ServedWeights ?? Weights;
        // The CDN's own ETag is not the sha256; only the hub's X-Linked-Etag is.
        var headers = new Dictionary<string, string> { ["ETag"] = "\"cdn-etag-1\"", ["Accept-Ranges"] = "bytes" };
        int? drop = null;
        if (request.Method == "GET" && downloads++ == 0) drop = DropFirstDownloadAfter;
        if (request.Header("Range") is { } range && !IgnoreRange && range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            int from = int.Parse(range["bytes=".Length..].TrimEnd('-'));
            if (from >= data.Length)
                return new TinyHttpServer.Response { Status = 416, Headers = new() { ["Content-Range"] = $"bytes */{data.Length}" } };
            headers["Content-Range"] = $"bytes {from}-{data.Length - 1}/{data.Length}";
            return new TinyHttpServer.Response { Status = 206, Headers = headers, Body = data[from..], DropAfter = drop };
        }
        return new TinyHttpServer.Response { Headers = headers, Body = data, DropAfter = drop };
    }

    static TinyHttpServer.Response Status(int status, string? errorCode)
    {
        var r = new TinyHttpServer.Response { Status = status };
        if (errorCode != null)
        {
            r.Headers["X-Error-Code"] = errorCode;
            r.Headers["X-Error-Message"] = errorCode switch
            {
                "RepoNotFound" => "Repository not found",
                "RevisionNotFound" => "Invalid rev id",
                _ => "Entry not found",
            };
        }
        return r;
    }

    public void Dispose()
    {
        Hub.Dispose();
        Cdn.Dispose();
    }
}
