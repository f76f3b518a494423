namespace Vitmix.Hub;

/// <summary>
/// Where and how to reach the Hugging Face Hub and its local cache. <see cref="FromEnvironment"/> reads the same
/// variables as huggingface_hub, so models already downloaded by Python tools are found and reused.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The hub cache folder (holds <c>models--org--name</c> folders).</summary>
    public required string CacheRoot { get; init; }

    /// <summary>The hub base URL, e.g. https://huggingface.co (no trailing slash needed).</summary>
    public Uri Endpoint { get; init; } = new(DefaultEndpoint);

    /// <summary>Bearer token sent to the endpoint's host (never to other hosts a download is redirected to).</summary>
    public string? Token { get; init; }

    /// <summary>Never touch the network; fail when a file is not in the cache.</summary>
    public bool Offline { get; init; }

    /// <summary>How long to wait for a connection or response headers.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a download may stall (no bytes arriving) before the read is abandoned and resumed.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times a download that broke off is resumed (with a Range request) before giving up.</summary>
    public int MaxResumes { get; init; } = 5;

    /// <summary>The public hub.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>
    /// Options from environment variables, as huggingface_hub reads them: cache root <c>HF_HUB_CACHE</c>, else
    /// <c>HF_HOME</c>/hub, else <c>XDG_CACHE_HOME</c>/huggingface/hub, else ~/.cache/huggingface/hub; endpoint
    /// <c>HF_ENDPOINT</c>; token <c>HF_TOKEN</c>, else the file <c>HF_TOKEN_PATH</c> or <c>HF_HOME</c>/token written by
    /// <c>huggingface-cli login</c>; offline when <c>HF_HUB_OFFLINE</c> is 1/ON/YES/TRUE.
    /// </summary>
    /// <param name="getVariable">Reads one variable; defaults to the process environment (tests pass their own).</param>
    public static HubOptions FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => getVariable(name) is { Length: > 0 } v ? v : null;

        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string hfHome = Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(home, ".cache"), "huggingface");
        string cacheRoot = Get("HF_HUB_CACHE") ?? Path.Combine(hfHome, "hub");

        string? token = Get("HF_TOKEN")?.Trim();
        if (token == null)
        {
            string tokenFile = Get("HF_TOKEN_PATH") ?? Path.Combine(hfHome, "token");
            if (File.Exists(tokenFile) && File.ReadAllText(tokenFile).Trim() is { Length: > 0 } stored)
                token = stored;
        }

        string endpoint = (Get("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/');
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? endpointUri) || (endpointUri.Scheme != "http" && endpointUri.Scheme != "https"))
            throw new ArgumentException($"HF_ENDPOINT '{endpoint}' is not an absolute http(s) URL");

        return new HubOptions
        {
            CacheRoot = Vitmix.IO.UserPath.ExpandHome(cacheRoot, home),
            Endpoint = endpointUri,
            Token = token,
            Offline = IsTrue(Get("HF_HUB_OFFLINE")),
        };
    }

    static bool IsTrue(string? value) =>
        value != null && value.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";
}
