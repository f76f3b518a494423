using System.CommandLine;
using Vitmix.Cli.Commands;
using Vitmix.Hub;
using Vitmix.Tests.Hub;

namespace Vitmix.Tests.Cli;

public sealed class FetchCommandTests : IDisposable
{
    readonly string cacheRoot = Path.Combine(Path.GetTempPath(), "vitmix-fetch-test-" + Guid.NewGuid().ToString("N"));
    readonly FakeHubRepo hub = new();

    public void Dispose()
    {
        hub.Dispose();
        if (Directory.Exists(cacheRoot)) Directory.Delete(cacheRoot, recursive: true);
    }

    /// <summary>Runs `fetch ARGS` through System.CommandLine with captured output.</summary>
    static async Task<(int Code, string Out, string Err)> Invoke(params string[] args)
    {
        var root = new RootCommand { FetchCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        int code = await root.Parse(["fetch", .. args]).InvokeAsync(config);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task PrintsTheSnapshotFolderOnly()
    {
        // Offline-free run against the local fake hub; HF_TOKEN is whatever the environment has, sent only to 127.0.0.1.
        var (code, output, err) = await Invoke(FakeHubRepo.RepoId, "--cache-dir", cacheRoot, "--endpoint", hub.Endpoint.ToString());
        Assert.Equal(0, code);
        Assert.Equal("", err);
        string folder = output.TrimEnd('\n', '\r');
        Assert.Equal(Path.Combine(cacheRoot, "models--acme--tiny-vit", "snapshots", FakeHubRepo.Commit), folder);
        Assert.Equal(hub.Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));

        hub.Dispose();
        var (again, againOut, _) = await Invoke($"{FakeHubRepo.RepoId}@main", "--cache-dir", cacheRoot, "--offline");
        Assert.Equal(0, again);
        Assert.Equal(output, againOut);
    }

    [Fact]
    public async Task OfflineMissReportsTheCache()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => Invoke(FakeHubRepo.RepoId, "--cache-dir", cacheRoot, "--offline"));
        Assert.Contains("not in the cache", e.Message);
        Assert.Empty(hub.Hub.Requests);
    }

    [Fact]
    public void RevisionOptionCombinesWithTheId()
    {
        Assert.Equal(new HubModelId("a/b", "v1"), FetchCommand.ParseId("a/b", "v1"));
        Assert.Equal(new HubModelId("a/b", "v1"), FetchCommand.ParseId("a/b@v1", "v1"));
        Assert.Equal(new HubModelId("a/b", "main"), FetchCommand.ParseId("a/b", null));
        Assert.Contains("revision given twice", Assert.Throws<ArgumentException>(() => FetchCommand.ParseId("a/b@main", "v2")).Message);
        Assert.Contains("org/name", Assert.Throws<ArgumentException>(() => FetchCommand.ParseId("not-a-hub-id", null)).Message);
    }

    [Fact]
    public void CommandLineOverridesTheEnvironment()
    {
        Func<string, string?> env = name => name switch
        {
            "HF_HUB_CACHE" => "/env/cache",
            "HF_ENDPOINT" => "https://env.example",
            "HF_TOKEN_PATH" => "/nonexistent/vitmix-test/token",
            _ => null,
        };
        HubOptions fromEnv = FetchCommand.Options(null, null, false, env);
        Assert.Equal("/env/cache", fromEnv.CacheRoot);
        Assert.Equal(new Uri("https://env.example"), fromEnv.Endpoint);
        Assert.False(fromEnv.Offline);

        HubOptions overridden = FetchCommand.Options("/cli/cache", "http://127.0.0.1:9/", true, env);
        Assert.Equal("/cli/cache", overridden.CacheRoot);
        Assert.Equal(new Uri("http://127.0.0.1:9"), overridden.Endpoint);
        Assert.True(overridden.Offline);
        Assert.Throws<ArgumentException>(() => FetchCommand.Options(null, "not a url", false, env));
    }

    [Fact]
    public void CommandParsesItsArguments()
    {
        var root = new RootCommand { FetchCommand.Create() };
        ParseResult parse = root.Parse(["fetch", "timm/vit_tiny_patch16_224.augreg_in21k_ft_in1k", "--revision", "main", "--cache-dir", "/tmp/x", "--offline"]);
        Assert.Empty(parse.Errors);
        Assert.Equal("fetch", parse.CommandResult.Command.Name);
        Assert.NotEmpty(root.Parse(["fetch"]).Errors); // the model is required
    }
}
