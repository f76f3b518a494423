using Vitmix.Hub;

namespace Vitmix.Tests.Hub;

/// <summary>
/// Fetches from a local fake hub (127.0.0.1, ephemeral port) into a temp cache folder; the real home cache and the
/// network are never touched (options are built here, not read from the environment).
/// </summary>
public sealed class HubModelResolverTests : IDisposable
{
    readonly string cacheRoot = Path.Combine(Path.GetTempPath(), "vitmix-hub-test-" + Guid.NewGuid().ToString("N"));
    readonly FakeHubRepo hub = new();

    public void Dispose()
    {
        hub.Dispose();
        if (Directory.Exists(cacheRoot)) Directory.Delete(cacheRoot, recursive: true);
    }

    HubOptions Options(bool offline = false, string? token = null) => new()
    {
        CacheRoot = cacheRoot,
        Endpoint = hub.Endpoint,
        Offline = offline,
        Token = token,
        RequestTimeout = TimeSpan.FromSeconds(10),
        ReadTimeout = TimeSpan.FromSeconds(10),
        MaxResumes = 2,
    };

    string RepoFolder => Path.Combine(cacheRoot, "models--acme--tiny-vit");

    [Fact]
    public void FetchWritesTheHuggingfaceHubCacheLayout()
    {
        string folder = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options());

        Assert.Equal(Path.Combine(RepoFolder, "snapshots", FakeHubRepo.Commit), folder);
        Assert.Equal(FakeHubRepo.Commit, File.ReadAllText(Path.Combine(RepoFolder, "refs", "main")));

        var weights = new FileInfo(Path.Combine(folder, "model.safetensors"));
        Assert.Equal($"../../blobs/{hub.WeightsSha}", weights.LinkTarget);
        Assert.Equal(hub.Weights, File.ReadAllBytes(Path.Combine(RepoFolder, "blobs", hub.WeightsSha)));
        Assert.Equal(hub.Weights, File.ReadAllBytes(weights.FullName));

        var config = new FileInfo(Path.Combine(folder, "config.json"));
        Assert.Equal($"../../blobs/{FakeHubRepo.ConfigEtag}", config.LinkTarget);
        Assert.Equal(hub.Config, File.ReadAllBytes(config.FullName));

        Assert.Empty(Directory.GetFiles(Path.Combine(RepoFolder, "blobs"), "*.incomplete"));
        // HEAD weights, HEAD config, HEAD vocab.json and merges.txt (absent here), GET weights (redirected: 2 requests), GET config.
        Assert.InRange(hub.Hub.Requests.Count, 6, 8);
        Assert.Contains(hub.Hub.Requests, r => r.Method == "HEAD" && r.Path.EndsWith("/vocab.json"));
        Assert.False(File.Exists(Path.Combine(folder, "vocab.json")));
    }

    [Fact]
    public void SecondResolveUsesTheCacheWithoutTheServer()
    {
        string first = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options());
        int requests = hub.Hub.Requests.Count;
        hub.Dispose(); // server gone: any request would fail

        Assert.Equal(first, HubModelResolver.Resolve(FakeHubRepo.RepoId, Options(offline: true)));
        Assert.Equal(first, HubModelResolver.Resolve(FakeHubRepo.RepoId, Options()));
        Assert.Equal(first, HubModelResolver.Resolve($"{FakeHubRepo.RepoId}@{FakeHubRepo.Commit}", Options(offline: true)));
        Assert.Equal(requests, hub.Hub.Requests.Count);
    }

    [Fact]
    public void OfflineWithoutCacheNamesRepoFileAndCachePath()
    {
        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve(FakeHubRepo.RepoId, Options(offline: true)));
        Assert.Contains(FakeHubRepo.RepoId, e.Message);
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains(RepoFolder, e.Message);
        Assert.Contains("not in the cache", e.Message);
        Assert.Empty(hub.Hub.Requests);
    }

    [Theory]
    [InlineData(FakeHubRepo.Redirect.Relative)]
    [InlineData(FakeHubRepo.Redirect.AbsoluteSameHost)]
    [InlineData(FakeHubRepo.Redirect.CrossHost)]
    public void FollowsTheLfsRedirect(FakeHubRepo.Redirect redirect)
    {
        hub.LfsRedirect = redirect;
        string folder = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options(token: "hf_secret"));
        Assert.Equal(hub.Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        // The storage's own ETag ("cdn-etag-1") must not replace the hub's sha256 X-Linked-Etag.
        Assert.True(File.Exists(Path.Combine(RepoFolder, "blobs", hub.WeightsSha)));
        Assert.All(hub.Hub.Requests, r => Assert.Equal("Bearer hf_secret", r.Header("Authorization")));
        if (redirect == FakeHubRepo.Redirect.CrossHost)
        {
            Assert.NotEmpty(hub.Cdn.Requests);
            Assert.All(hub.Cdn.Requests, r => Assert.Null(r.Header("Authorization")));
        }
    }

    [Fact]
    public void DroppedConnectionIsResumedWithRange()
    {
        hub.DropFirstDownloadAfter = 5000;
        var reports = new List<(long done, long total)>();
        string folder = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options(), new SyncProgress(reports));

        Assert.Equal(hub.Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        var lfsGets = hub.Hub.Requests.Where(r => r.Method == "GET" && r.Path.StartsWith("/lfs/")).ToList();
        Assert.Equal(2, lfsGets.Count);
        Assert.Null(lfsGets[0].Header("Range"));
        Assert.Equal("bytes=5000-", lfsGets[1].Header("Range"));
        long total = hub.Weights.Length + hub.Config.Length;
        Assert.Equal((total, total), reports[^1]);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.Second.done >= p.First.done || p.Second.done == 0));
    }

    [Fact]
    public void PartialFileFromAnEarlierRunIsResumed()
    {
        string blobs = Path.Combine(RepoFolder, "blobs");
        Directory.CreateDirectory(blobs);
        File.WriteAllBytes(Path.Combine(blobs, hub.WeightsSha + ".incomplete"), hub.Weights[..3000]);

        string folder = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options());

        Assert.Equal(hub.Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        var lfsGet = Assert.Single(hub.Hub.Requests, r => r.Method == "GET" && r.Path.StartsWith("/lfs/"));
        Assert.Equal("bytes=3000-", lfsGet.Header("Range"));
    }

    [Fact]
    public void ServerIgnoringRangeRestartsFromZero()
    {
        hub.IgnoreRange = true;
        hub.DropFirstDownloadAfter = 5000;
        string folder = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options());
        Assert.Equal(hub.Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
    }

    [Fact]
    public void CorruptDownloadIsDetectedAndNotCached()
    {
        byte[] corrupt = (byte[])hub.Weights.Clone();
        corrupt[^1] ^= 0xFF;
        hub.ServedWeights = corrupt;

        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve(FakeHubRepo.RepoId, Options()));
        Assert.Contains("sha256", e.Message);
        Assert.Contains(hub.WeightsSha, e.Message);
        AssertNothingCachedForWeights();
    }

    [Fact]
    public void SizeMismatchIsDetectedAndNotCached()
    {
        hub.AnnouncedSize = hub.Weights.Length - 8;
        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve(FakeHubRepo.RepoId, Options()));
        // Caught while the bytes arrive: writing stops at the announced size instead of trusting the server's end.
        Assert.Contains($"sent more than the {hub.Weights.Length - 8} bytes it announced", e.Message);
        AssertNothingCachedForWeights();
    }

    void AssertNothingCachedForWeights()
    {
        Assert.False(File.Exists(Path.Combine(RepoFolder, "blobs", hub.WeightsSha)));
        Assert.False(File.Exists(Path.Combine(RepoFolder, "blobs", hub.WeightsSha + ".incomplete")));
        Assert.False(File.Exists(Path.Combine(RepoFolder, "snapshots", FakeHubRepo.Commit, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(RepoFolder, "refs", "main")));
    }

    [Fact]
    public void MissingRepositoryIsAClearError()
    {
        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve("acme/no-such-model", Options()));
        Assert.Equal(404, e.StatusCode);
        Assert.Contains("acme/no-such-model", e.Message);
        Assert.Contains("repository not found", e.Message);
    }

    [Fact]
    public void MissingRevisionIsAClearError()
    {
        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve($"{FakeHubRepo.RepoId}@v9", Options()));
        Assert.Contains("revision not found", e.Message);
    }

    [Fact]
    public void UnauthorizedMentionsHfToken()
    {
        hub.RequiredToken = "hf_right";
        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve(FakeHubRepo.RepoId, Options()));
        Assert.Equal(401, e.StatusCode);
        Assert.Contains("HF_TOKEN", e.Message);

        var wrong = Assert.Throws<HubException>(() => HubModelResolver.Resolve(FakeHubRepo.RepoId, Options(token: "hf_wrong")));
        Assert.Contains("HF_TOKEN", wrong.Message);
        Assert.Contains("refused", wrong.Message);

        string folder = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options(token: "hf_right"));
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
    }

    [Fact]
    public void UnauthenticatedMissingRepoHintsAtToken()
    {
        hub.MissingRepoStatus = 401; // what huggingface.co answers anonymous requests for private or missing repos
        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve("acme/private-model", Options()));
        Assert.Contains("repository not found", e.Message);
        Assert.Contains("HF_TOKEN", e.Message);
    }

    [Fact]
    public void PickleOnlyRepositoryExplainsSafetensorsOnly()
    {
        hub.HasWeights = false;
        hub.HasPickle = true;
        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve(FakeHubRepo.RepoId, Options()));
        Assert.Contains("pytorch_model.bin", e.Message);
        Assert.Contains("safetensors", e.Message);
        Assert.Contains("pickle", e.Message);
        Assert.Contains(hub.Hub.Requests, r => r.Method == "HEAD" && r.Path.EndsWith("/pytorch_model.bin"));
        Assert.DoesNotContain(hub.Hub.Requests, r => r.Method == "GET");
    }

    [Fact]
    public void RepositoryWithoutWeightsAtAllSaysSo()
    {
        hub.HasWeights = false;
        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve(FakeHubRepo.RepoId, Options()));
        Assert.Contains("model.safetensors not found", e.Message);
    }

    [Fact]
    public void AnOpenClipOnlyRepositoryIsFetchedByItsOwnNames_AndLoads()
    {
        // open_clip's hub files (constants.py HF_SAFE_WEIGHTS_NAME, HF_CONFIG_NAME), here a tiny open_clip CLIP
        hub.WeightsName = "open_clip_model.safetensors";
        hub.ConfigName = "open_clip_config.json";
        hub.Weights = File.ReadAllBytes(Vitmix.Tests.Model.ImageText.ClipTests.Folder("openclip", "open_clip_model.safetensors"));
        hub.Config = File.ReadAllBytes(Vitmix.Tests.Model.ImageText.ClipTests.Folder("openclip", "open_clip_config.json"));
        string folder = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options());
        Assert.Equal(hub.Weights, File.ReadAllBytes(Path.Combine(folder, "open_clip_model.safetensors")));
        Assert.Equal(hub.Config, File.ReadAllBytes(Path.Combine(folder, "open_clip_config.json")));
        Assert.False(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(RepoFolder, ".no_exist", FakeHubRepo.Commit, "vocab.json")));
        // the folder is the open_clip layout the loader reads, with the config's architecture
        var loaded = Vitmix.Model.ModelLoader.Load(folder);
        var local = Vitmix.Model.ModelLoader.Load(Vitmix.Tests.Model.ImageText.ClipTests.Folder("openclip"));
        Assert.Equal((local.Config.EmbedDim, local.Config.Depth, local.Config.NumHeads), (loaded.Config.EmbedDim, loaded.Config.Depth, loaded.Config.NumHeads));
        var x = new Vitmix.Engine.Tensor(1, 3, local.Config.ImageHeight, local.Config.ImageWidth);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)Math.Sin(i * 0.37);
        Assert.Equal(local.Network.Forward(x).Data, loaded.Network.Forward(x).Data);
        // and a second resolve, online or offline, is the cache's without a request
        int requests = hub.Hub.Requests.Count;
        Assert.Equal(folder, HubModelResolver.Resolve(FakeHubRepo.RepoId, Options()));
        Assert.Equal(folder, HubModelResolver.Resolve(FakeHubRepo.RepoId, Options(offline: true)));
        Assert.Equal(requests, hub.Hub.Requests.Count);
    }

    [Fact]
    public void MissingConfigIsRememberedSoOfflineStillWorks()
    {
        hub.HasConfig = false;
        string folder = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options());
        Assert.False(File.Exists(Path.Combine(folder, "config.json")));
        Assert.True(File.Exists(Path.Combine(RepoFolder, ".no_exist", FakeHubRepo.Commit, "config.json")));
        Assert.Equal(folder, HubModelResolver.Resolve(FakeHubRepo.RepoId, Options(offline: true)));
    }

    [Fact]
    public void CommitRevisionWritesNoRef()
    {
        string folder = HubModelResolver.Resolve($"{FakeHubRepo.RepoId}@{FakeHubRepo.Commit}", Options());
        Assert.EndsWith(FakeHubRepo.Commit, folder);
        Assert.False(Directory.Exists(Path.Combine(RepoFolder, "refs")));
        Assert.Contains(hub.Hub.Requests, r => r.Path == $"/{FakeHubRepo.RepoId}/resolve/{FakeHubRepo.Commit}/model.safetensors");
    }

    [Fact]
    public void BlobAlreadyCachedUnderAnotherRevisionIsNotDownloadedAgain()
    {
        string blobs = Path.Combine(RepoFolder, "blobs");
        Directory.CreateDirectory(blobs);
        File.WriteAllBytes(Path.Combine(blobs, hub.WeightsSha), hub.Weights);

        string folder = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options());

        Assert.Equal(hub.Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.DoesNotContain(hub.Hub.Requests, r => r.Method == "GET" && r.Path.StartsWith("/lfs/"));
    }

    [Fact]
    public void UnreachableEndpointIsAClearError()
    {
        Uri endpoint = hub.Endpoint;
        hub.Dispose();
        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve(FakeHubRepo.RepoId, Options() with { Endpoint = endpoint }));
        Assert.Contains("could not reach", e.Message);
        Assert.Contains("HF_HUB_OFFLINE", e.Message);
    }

    [Fact]
    public void ResolveIfHubIdLeavesLocalPathsAlone()
    {
        string local = Path.Combine(cacheRoot, "acme", "tiny-vit");
        Directory.CreateDirectory(local);
        Assert.Equal(local, HubModelResolver.ResolveIfHubId(local, Options(offline: true)));
        Assert.Equal("weights/vit.safetensors", HubModelResolver.ResolveIfHubId("weights/vit.safetensors", Options(offline: true)));
        Assert.Empty(hub.Hub.Requests);
    }

    /// <summary>Records reports on the calling thread (Progress&lt;T&gt; would post them asynchronously).</summary>
    sealed class SyncProgress(List<(long, long)> into) : IProgress<(long done, long total)>
    {
        public void Report((long done, long total) value) { lock (into) into.Add(value); }
    }
}
