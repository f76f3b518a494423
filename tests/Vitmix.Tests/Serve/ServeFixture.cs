using System.Net.Http.Json;
using System.Text.Json;
using Vitmix.Cli;
using Vitmix.Cli.Commands;
using Vitmix.Data;
using Vitmix.Data.Synthetic;
using Vitmix.Server;

namespace Vitmix.Tests.Serve;

/// <summary>
/// One explorer server on a loopback port (port 0: any free one) with the embedded model, shared by the serve tests:
/// an --images folder holding two images, a non-image, a link to an image inside and links to a secret image outside.
/// The upload limit is lowered to 1 MiB so "too large" can be tested without sending predict's limit.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    public const long UploadLimit = 1 << 20;

    public VitmixServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public string Root { get; } = Directory.CreateTempSubdirectory("vitmix-serve-").FullName;
    public string ImagesDir => Path.Combine(Root, "images");
    public string SecretPath => Path.Combine(Root, "secret.png");

    /// <summary>A PNG of held-out synthetic image <paramref name="index"/> at the model's size.</summary>
    public static byte[] SyntheticPng(int index)
    {
        var sample = new SyntheticBenchmark(64, DemoCommand.HeldOutSeed).Generate(index);
        return PngBytes.Rgb(sample.Image.Pixels, sample.Image.Width, sample.Image.Height);
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ImagesDir);
        File.WriteAllBytes(Path.Combine(ImagesDir, "a.png"), SyntheticPng(1));
        File.WriteAllBytes(Path.Combine(ImagesDir, "b.png"), SyntheticPng(2));
        File.WriteAllText(Path.Combine(ImagesDir, "notes.txt"), "not an image");
        File.WriteAllBytes(SecretPath, SyntheticPng(3));
        File.CreateSymbolicLink(Path.Combine(ImagesDir, "inside.png"), Path.Combine(ImagesDir, "a.png"));
        File.CreateSymbolicLink(Path.Combine(ImagesDir, "outside.png"), SecretPath);
        Directory.CreateSymbolicLink(Path.Combine(ImagesDir, "up"), Root);
        Server = await VitmixServer.StartAsync(new ServerOptions
        {
            Model = DefaultModel.Load(), Port = 0, ImagesFolder = ImagesDir, DemoSeed = DemoCommand.HeldOutSeed, MaxUploadBytes = UploadLimit,
        });
        Client = new HttpClient { BaseAddress = new Uri(Server.Url), Timeout = TimeSpan.FromMinutes(3) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }

    /// <summary>POSTs and parses a JSON answer, asserting success.</summary>
    public async Task<JsonElement> PostJson(string url, object? body = null)
    {
        using var response = await Client.PostAsync(url, body == null ? null : JsonContent.Create(body));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    public async Task<JsonElement> GetJson(string url)
    {
        using var response = await Client.GetAsync(url);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>The status and error line of a refused request: the body must be {"error": "..."}.</summary>
    public static async Task<(int Status, string Error)> Refusal(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.False(response.IsSuccessStatusCode, $"expected a refusal, got {(int)response.StatusCode} {text}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.DoesNotContain('\n', error);
        return ((int)response.StatusCode, error);
    }

    /// <summary>Loads demo image <paramref name="index"/> and explains it; returns (image, view).</summary>
    public async Task<(JsonElement Image, JsonElement View)> Explained(int index, object? options = null, int? target = null)
    {
        var image = await PostJson($"api/images/demo/{index}");
        var view = await PostJson("api/explain", new { image = image.GetProperty("id").GetString(), target, options });
        return (image, view);
    }
}

[CollectionDefinition("serve")]
public sealed class ServeCollection : ICollectionFixture<ServeFixture> { }
