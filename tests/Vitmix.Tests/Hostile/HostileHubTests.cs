using System.Security.Cryptography;
using Vitmix.Hub;
using Vitmix.Tests.Cli;
using Vitmix.Tests.Hub;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// A hostile hub server, a hostile revision and a tampered cache, through the real client and through `vitmix fetch`
/// against the local fake hub. Each is refused with one error naming the repository, the header or file and the
/// problem; nothing is written outside the cache, no file is written inside it, and a model cached before stays intact.
/// </summary>
public sealed class HostileHubTests : IDisposable
{
    readonly string parent = Directory.CreateTempSubdirectory("vitmix-hostile-hub-").FullName;
    readonly FakeHubRepo hub = new();
    IReadOnlyDictionary<string, string>? before;

    string CacheRoot => Path.Combine(parent, "cache");
    string Outside => Path.Combine(parent, "outside");
    string RepoFolder => Path.Combine(CacheRoot, "models--acme--tiny-vit");
    string KeptModel => Path.Combine(CacheRoot, "models--acme--kept", "snapshots", FakeHubRepo.Commit, "model.safetensors");

    public HostileHubTests()
    {
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "keep.txt"), "untouched");
        // A model fetched earlier (same layout as the client writes), which no failure may damage.
        string kept = Path.Combine(CacheRoot, "models--acme--kept");
        string blob = Path.Combine(kept, "blobs", hub.WeightsSha);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        File.WriteAllBytes(blob, hub.Weights);
        Directory.CreateDirectory(Path.GetDirectoryName(KeptModel)!);
        File.CreateSymbolicLink(KeptModel, $"../../blobs/{hub.WeightsSha}");
        Directory.CreateDirectory(Path.Combine(kept, "refs"));
        File.WriteAllText(Path.Combine(kept, "refs", "main"), FakeHubRepo.Commit);
    }

    public void Dispose()
    {
        hub.Dispose();
        try { Directory.Delete(parent, recursive: true); } catch (IOException) { }
    }

    HubOptions Options() => new()
    {
        CacheRoot = CacheRoot,
        Endpoint = hub.Endpoint,
        RequestTimeout = TimeSpan.FromSeconds(10),
        ReadTimeout = TimeSpan.FromSeconds(10),
        MaxResumes = 2,
    };

    CliRunner.Result Fetch(params string[] extra) =>
        CliRunner.Run(["fetch", FakeHubRepo.RepoId, "--cache-dir", CacheRoot, "--endpoint", hub.Endpoint.ToString(), .. extra]);

    // ---- hostile server answers --------------------------------------------------------------------------------

    public static TheoryData<string> ServerCases =>
    [
        "commit-absolute", "commit-up-three", "commit-up-one", "commit-39-digits", "commit-not-hex", "commit-backslash",
        "commit-uppercase", "linked-etag-traversal", "etag-slash", "linked-size-negative", "linked-size-huge",
        "content-length-huge", "content-length-negative", "redirect-file-url", "range-total-mismatch", "more-bytes-than-announced",
    ];

    /// <summary>Makes the fake hub hostile in the named way; returns what the error line must contain.</summary>
    string[] MakeHostile(string name)
    {
        void Commit(string value) => hub.TamperHub = (_, r) => { if (r.Headers.ContainsKey("X-Repo-Commit")) r.Headers["X-Repo-Commit"] = value; };
        void OnFile(string file, Action<TinyHttpServer.Response> edit) =>
            hub.TamperHub = (q, r) => { if (q.Path.EndsWith("/" + file, StringComparison.Ordinal)) edit(r); };
        const string NotACommit = "is not a 40-hex-digit commit";
        const string NotABlob = "is not a 40- or 64-hex-digit blob id";
        const string NotACount = "is not a byte count";
        switch (name)
        {
            case "commit-absolute":
                string abs = Path.Combine(Outside, "abs");
                Commit(abs);
                return ["X-Repo-Commit", $"'{abs}'", NotACommit];
            case "commit-up-three": Commit("../../.."); return ["X-Repo-Commit", "'../../..'", NotACommit];
            case "commit-up-one": Commit(".."); return ["X-Repo-Commit", "'..'", NotACommit];
            case "commit-39-digits": Commit(FakeHubRepo.Commit[..39]); return ["X-Repo-Commit", FakeHubRepo.Commit[..39] + "'", NotACommit];
            case "commit-not-hex": Commit("g" + FakeHubRepo.Commit[1..]); return ["X-Repo-Commit", NotACommit];
            case "commit-backslash": Commit(@"..\..\outside"); return ["X-Repo-Commit", @"'..\..\outside'", NotACommit];
            case "commit-uppercase": Commit(FakeHubRepo.Commit.ToUpperInvariant()); return ["X-Repo-Commit", NotACommit];
            case "linked-etag-traversal":
                OnFile("model.safetensors", r => r.Headers["X-Linked-Etag"] = "\"../../../outside/evil\"");
                return ["X-Linked-Etag", "model.safetensors", "'../../../outside/evil'", NotABlob];
            case "etag-slash":
                OnFile("config.json", r => r.Headers["ETag"] = "W/\"0123/../../../outside\"");
                return ["ETag", "config.json", "'0123/../../../outside'", NotABlob];
            case "linked-size-negative":
                OnFile("model.safetensors", r => r.Headers["X-Linked-Size"] = "-5");
                return ["X-Linked-Size", "'-5'", NotACount];
            case "linked-size-huge":
                OnFile("model.safetensors", r => r.Headers["X-Linked-Size"] = "99999999999999999999999");
                return ["X-Linked-Size", "'99999999999999999999999'", NotACount];
            case "content-length-huge":
                OnFile("config.json", r => { if (r.Status == 200) r.Headers["Content-Length"] = "1000000000000000"; });
                return ["Content-Length", "config.json", "'1000000000000000'", NotACount];
            case "content-length-negative":
                OnFile("config.json", r => { if (r.Status == 200) r.Headers["Content-Length"] = "-1"; });
                return ["Content-Length", "config.json", "'-1'", NotACount];
            case "redirect-file-url":
                string target = "file://" + Path.Combine(Outside, "evil");
                OnFile("model.safetensors", r => { if (r.Status == 302) r.Headers["Location"] = target; });
                return ["model.safetensors", "redirect", target, "not an http(s) URL"];
            case "range-total-mismatch":
                // The first download breaks off; the resumed answer claims a file a thousand times the announced size.
                hub.DropFirstDownloadAfter = 5000;
                int length = hub.Weights.Length;
                hub.TamperLfs = (_, r) => { if (r.Status == 206) r.Headers["Content-Range"] = $"bytes 5000-{length - 1}/{length * 1000L}"; };
                return ["model.safetensors", "Content-Range", $"{length * 1000L}", $"announced {length}"];
            case "more-bytes-than-announced":
                hub.ServedWeights = [.. hub.Weights, .. new byte[200_000]];
                return ["model.safetensors", $"sent more than the {hub.Weights.Length} bytes it announced"];
            default: throw new ArgumentException(name);
        }
    }

    [Theory, MemberData(nameof(ServerCases))]
    public void ClientRefusesHostileServerValues(string name)
    {
        string[] expected = MakeHostile(name);
        TakeSnapshot();
        var e = Assert.Throws<HubException>(() => HubModelResolver.Resolve(FakeHubRepo.RepoId, Options()));
        Assert.Contains(FakeHubRepo.RepoId, e.Message);
        foreach (string part in expected) Assert.Contains(part, e.Message);
        AssertNothingWritten();
    }

    [Theory, MemberData(nameof(ServerCases))]
    public void FetchRefusesHostileServerValuesWithOneLine(string name)
    {
        string[] expected = MakeHostile(name);
        TakeSnapshot();
        AssertOneErrorLine(Fetch(), expected);
        AssertNothingWritten();
    }

    [Fact]
    public void RedirectToAPathOutsideTheHubIsOnlyAUrl()
    {
        // A Location with ".." names a URL on the server, never a local path: the client asks for it, gets 404, and
        // writes nothing.
        hub.TamperHub = (_, r) => { if (r.Status == 302) r.Headers["Location"] = "/../../../../" + Outside.TrimStart('/') + "/evil"; };
        TakeSnapshot();
        AssertOneErrorLine(Fetch(), "model.safetensors", "not found");
        AssertNothingWritten();
        Assert.Contains(hub.Hub.Requests, r => r.Path.EndsWith("/outside/evil", StringComparison.Ordinal));
    }

    // ---- hostile revisions and ids from the user ---------------------------------------------------------------

    [Theory]
    [InlineData("acme/tiny-vit@../../outside", null, "'../../outside'", "holds '..'")]
    [InlineData("acme/tiny-vit", "../../outside", "'../../outside'", "holds '..'")]
    [InlineData("acme/tiny-vit", "/abs/outside", "'/abs/outside'", "is an absolute path")]
    [InlineData("acme/tiny-vit", @"refs\pr\1", @"'refs\pr\1'", "holds a backslash")]
    [InlineData("acme/tiny-vit", "refs//pr", "'refs//pr'", "empty segment")]
    public void FetchRefusesARevisionThatIsNotARelativePath(string model, string? revision, string shown, string problem)
    {
        TakeSnapshot();
        string[] args = ["fetch", model, "--cache-dir", CacheRoot, "--endpoint", hub.Endpoint.ToString()];
        var r = CliRunner.Run(revision == null ? args : [.. args, "--revision", revision]);
        AssertOneErrorLine(r, shown, problem);
        AssertNothingWritten();
        Assert.Empty(hub.Hub.Requests);
    }

    [Theory]
    [InlineData("../../outside", "main", "repository id")]
    [InlineData("acme/tiny-vit", "../../outside", "the revision '../../outside' holds '..'")]
    [InlineData("acme/tiny-vit", "/abs/outside", "the revision '/abs/outside' is an absolute path")]
    public void ClientRefusesAnIdBuiltWithoutParsing(string repo, string revision, string problem)
    {
        // HubModelId is a public record: its constructor does not run TryParse, so the resolver checks it again.
        TakeSnapshot();
        var e = Assert.Throws<HubException>(() =>
            HubModelResolver.ResolveAsync(new HubModelId(repo, revision), Options()).GetAwaiter().GetResult());
        Assert.Contains(problem, e.Message);
        AssertNothingWritten();
        Assert.Empty(hub.Hub.Requests);
    }

    [Theory]
    [InlineData("../model.safetensors", "holds '..'")]
    [InlineData("a/../../b", "holds '..'")]
    [InlineData("/etc/passwd", "absolute path")]
    [InlineData(@"sub\model.safetensors", "backslash")]
    [InlineData("sub//model.safetensors", "empty segment")]
    [InlineData("sub/", "empty segment")]
    [InlineData("model\u0007.json", "control character")]
    [InlineData("", "is empty")]
    public void FileNamesThatAreNotPlainRelativePathsAreRefused(string file, string problem)
    {
        // The client reads no file list from the server today (it asks for fixed names), so the rule is checked on the
        // guard every cache path goes through.
        Assert.Contains(problem, HubPathGuard.FileNameProblem(file));
        var e = Assert.Throws<HubException>(() => HubPathGuard.FileName(new HubModelId(FakeHubRepo.RepoId, "main"), file));
        Assert.Contains(FakeHubRepo.RepoId, e.Message);
        Assert.Null(HubPathGuard.FileNameProblem("model.safetensors"));
        Assert.Null(HubPathGuard.FileNameProblem("sub/dir/config.json"));
    }

    // ---- a tampered cache ----------------------------------------------------------------------------------------

    [Fact]
    public void SnapshotLinkPlantedToPointOutsideIsRefused()
    {
        string secret = Path.Combine(Outside, "secret.safetensors");
        File.WriteAllBytes(secret, hub.Weights);
        string snapshot = Path.Combine(RepoFolder, "snapshots", FakeHubRepo.Commit);
        Directory.CreateDirectory(snapshot);
        File.CreateSymbolicLink(Path.Combine(snapshot, "model.safetensors"), "../../../../outside/secret.safetensors");
        Directory.CreateDirectory(Path.Combine(RepoFolder, ".no_exist", FakeHubRepo.Commit));
        File.WriteAllBytes(Path.Combine(RepoFolder, ".no_exist", FakeHubRepo.Commit, "config.json"), []);
        Directory.CreateDirectory(Path.Combine(RepoFolder, "refs"));
        File.WriteAllText(Path.Combine(RepoFolder, "refs", "main"), FakeHubRepo.Commit);
        TakeSnapshot();

        AssertOneErrorLine(Fetch("--offline"), "model.safetensors", secret, "outside the cache");
        AssertOneErrorLine(Fetch(), "model.safetensors", secret, "outside the cache");
        AssertNothingWritten();
        Assert.Empty(hub.Hub.Requests);
    }

    [Theory]
    [InlineData("blobs")]
    [InlineData("refs")]
    [InlineData("snapshots")]
    public void CacheFolderLinkedOutsideIsNeitherReadNorWritten(string folder)
    {
        string elsewhere = Path.Combine(Outside, folder);
        Directory.CreateDirectory(elsewhere);
        Directory.CreateDirectory(RepoFolder);
        Directory.CreateSymbolicLink(Path.Combine(RepoFolder, folder), elsewhere);
        TakeSnapshot();

        AssertOneErrorLine(Fetch(), Path.Combine(RepoFolder, folder), "outside the cache");
        AssertNothingWritten();
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    [Fact]
    public void PartialDownloadLinkedOutsideIsNotAppendedTo()
    {
        string victim = Path.Combine(Outside, "victim.bin");
        File.WriteAllText(victim, "precious");
        string blobs = Path.Combine(RepoFolder, "blobs");
        Directory.CreateDirectory(blobs);
        File.CreateSymbolicLink(Path.Combine(blobs, hub.WeightsSha + ".incomplete"), victim);
        TakeSnapshot();

        AssertOneErrorLine(Fetch(), ".incomplete", victim, "outside the cache");
        AssertNothingWritten();
        Assert.Equal("precious", File.ReadAllText(victim));
    }

    [Fact]
    public void CacheRootThatIsItselfALinkStillWorks()
    {
        // Moving the whole cache to another disk and linking it is common and must keep working.
        string real = Path.Combine(parent, "real-cache");
        Directory.CreateDirectory(real);
        Directory.CreateSymbolicLink(Path.Combine(parent, "linked-cache"), real);
        string folder = HubModelResolver.Resolve(FakeHubRepo.RepoId, Options() with { CacheRoot = Path.Combine(parent, "linked-cache") });
        Assert.Equal(hub.Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(real, "models--acme--tiny-vit", "blobs", hub.WeightsSha)));
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    static void AssertOneErrorLine(CliRunner.Result r, params string[] parts)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Out);
        string line = Assert.Single(r.ErrLines);
        Assert.StartsWith("vitmix: error: ", line);
        Assert.Contains(FakeHubRepo.RepoId, line);
        foreach (string part in parts) Assert.Contains(part, line);
        Assert.DoesNotContain("Exception", line);
        Assert.DoesNotContain("internal error", line);
    }

    void TakeSnapshot() => before = Snapshot();

    /// <summary>
    /// Nothing outside the cache changed or appeared, nothing inside it was lost or changed, and the only new entries
    /// inside are folders and lock files (no file of a refused download, complete or partial, is left).
    /// </summary>
    void AssertNothingWritten()
    {
        var after = Snapshot();
        foreach (var (path, state) in before!)
            Assert.True(after.TryGetValue(path, out string? now) && now == state, $"{path} changed: {state} -> {now ?? "gone"}");
        string locks = Path.Combine("cache", ".locks") + Path.DirectorySeparatorChar;
        foreach (var (path, state) in after.Where(a => !before!.ContainsKey(a.Key)))
        {
            Assert.True(path.StartsWith("cache" + Path.DirectorySeparatorChar, StringComparison.Ordinal), $"{path} written outside the cache");
            Assert.True(state == "dir" || path.StartsWith(locks, StringComparison.Ordinal), $"{path} written in the cache: {state}");
        }
        Assert.Equal(hub.Weights, File.ReadAllBytes(KeptModel));
    }

    /// <summary>Every entry under the test's folder (links as links, not followed) with its kind, size and hash.</summary>
    Dictionary<string, string> Snapshot()
    {
        var entries = new Dictionary<string, string>();
        void Walk(string dir)
        {
            foreach (string path in Directory.EnumerateFileSystemEntries(dir))
            {
                string rel = Path.GetRelativePath(parent, path);
                var info = new FileInfo(path);
                if (info.LinkTarget is { } target) entries[rel] = "link:" + target;
                else if (Directory.Exists(path)) { entries[rel] = "dir"; Walk(path); }
                else entries[rel] = $"file:{info.Length}:{Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))}";
            }
        }
        Walk(parent);
        return entries;
    }
}

/// <summary>
/// `--model org/name` reads the hub settings from the environment (HF_ENDPOINT, HF_HUB_CACHE), so this runs in the
/// collection that has the process to itself.
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class HostileHubModelOptionTests
{
    [Fact]
    public void PredictWithAHubIdRefusesAHostileCommitAndWritesNothing()
    {
        using var hub = new FakeHubRepo();
        using var tmp = new Vitmix.Tests.Data.Datasets.TempDir();
        string cache = tmp.Combine("cache");
        hub.TamperHub = (_, r) => { if (r.Headers.ContainsKey("X-Repo-Commit")) r.Headers["X-Repo-Commit"] = "../../.."; };
        string[] names = ["HF_ENDPOINT", "HF_HUB_CACHE", "HF_HUB_OFFLINE"];
        var saved = names.ToDictionary(n => n, Environment.GetEnvironmentVariable);
        Environment.SetEnvironmentVariable("HF_ENDPOINT", hub.Endpoint.ToString());
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", cache);
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", null);
        try
        {
            string input = GoldenData.Path(GoldenData.Sets[0], "disk", "input.npy");
            var r = CliRunner.Run("predict", input, "--model", FakeHubRepo.RepoId);

            Assert.Equal(1, r.ExitCode);
            string line = Assert.Single(r.ErrLines);
            Assert.Equal($"vitmix: error: {FakeHubRepo.RepoId}: the server's X-Repo-Commit for model.safetensors '../../..' is not a 40-hex-digit commit (lowercase 0-9a-f)", line);
            // "../../.." below snapshots/ is the temp folder itself: nothing may appear beside the cache, nor in it.
            Assert.All(Directory.GetFileSystemEntries(tmp.Path), e => Assert.Equal(cache, e));
            Assert.False(Directory.Exists(cache) && Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Any());
            Assert.NotEmpty(hub.Hub.Requests);
        }
        finally
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }
}
