using Vitmix.Hub;

namespace Vitmix.Tests.Hub;

public class HubOptionsTests
{
    static HubOptions From(params (string Key, string Value)[] vars)
    {
        var map = vars.ToDictionary(v => v.Key, v => v.Value);
        // HF_TOKEN_PATH always points somewhere harmless so no real token file is read.
        map.TryAdd("HF_TOKEN_PATH", "/nonexistent/vitmix-test/token");
        return HubOptions.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void CacheRootFollowsHuggingfaceHubPrecedence()
    {
        Assert.Equal("/c/hub-cache", From(("HF_HUB_CACHE", "/c/hub-cache"), ("HF_HOME", "/h"), ("XDG_CACHE_HOME", "/x")).CacheRoot);
        Assert.Equal(Path.Combine("/h", "hub"), From(("HF_HOME", "/h"), ("XDG_CACHE_HOME", "/x")).CacheRoot);
        Assert.Equal(Path.Combine("/x", "huggingface", "hub"), From(("XDG_CACHE_HOME", "/x")).CacheRoot);
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, ".cache", "huggingface", "hub"), From().CacheRoot);
        Assert.Equal(Path.Combine(home, "my-cache"), From(("HF_HUB_CACHE", "~/my-cache")).CacheRoot);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("ON", true)]
    [InlineData("yes", true)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("", false)]
    public void OfflineFlagReadsLikeHuggingfaceHub(string value, bool offline) =>
        Assert.Equal(offline, From(("HF_HUB_OFFLINE", value)).Offline);

    [Fact]
    public void EndpointAndToken()
    {
        var o = From(("HF_ENDPOINT", "https://hf-mirror.example/"), ("HF_TOKEN", " hf_abc "));
        Assert.Equal("https://hf-mirror.example/", o.Endpoint.ToString());
        Assert.Equal("hf_abc", o.Token);
        Assert.Equal(new Uri("https://huggingface.co"), From().Endpoint);
        Assert.Null(From().Token);
        Assert.Throws<ArgumentException>(() => From(("HF_ENDPOINT", "ftp://x")));
    }

    [Fact]
    public void TokenFileIsUsedWhenHfTokenIsUnset()
    {
        string file = Path.Combine(Path.GetTempPath(), "vitmix-token-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, "hf_from_file\n");
        try
        {
            Assert.Equal("hf_from_file", From(("HF_TOKEN_PATH", file)).Token);
            Assert.Equal("hf_env", From(("HF_TOKEN_PATH", file), ("HF_TOKEN", "hf_env")).Token);
        }
        finally { File.Delete(file); }
    }
}
