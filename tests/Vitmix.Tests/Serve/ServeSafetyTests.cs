using System.Buffers.Binary;
using System.Net.Http.Json;

namespace Vitmix.Tests.Serve;

/// <summary>
/// What a hostile or careless client can send: files that are no images, too large or too many pixels, truncated;
/// names that try to leave the --images folder. Each gets a JSON error, and the server keeps answering.
/// </summary>
[Collection("serve")]
public class ServeSafetyTests(ServeFixture f)
{
    /// <summary>A PNG whose header declares <paramref name="width"/> × <paramref name="height"/> and holds no pixel data.</summary>
    static byte[] PngHeaderOnly(int width, int height)
    {
        var png = new List<byte>([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2;
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, 13);
        png.AddRange(length);
        var chunk = "IHDR"u8.ToArray().Concat(ihdr).ToArray();
        png.AddRange(chunk);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, PngCrc.Compute(chunk));
        png.AddRange(crc);
        return [.. png];
    }

    /// <summary>A PNG declaring <paramref name="width"/> × <paramref name="height"/> with one tiny compressed row: a decompression bomb's shape.</summary>
    static byte[] PngBomb(int width, int height)
    {
        var png = PngHeaderOnly(width, height).ToList();
        void Chunk(string type, byte[] data)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
            png.AddRange(length);
            var chunk = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
            png.AddRange(chunk);
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, PngCrc.Compute(chunk));
            png.AddRange(crc);
        }
        using var compressed = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
            z.Write(new byte[1 + 3 * 1000]);
        Chunk("IDAT", compressed.ToArray());
        Chunk("IEND", []);
        return [.. png];
    }

    async Task StillServes() => await f.GetJson("api/model");

    [Fact]
    public async Task BadUploadsAreRefusedAndTheServerLives()
    {
        var good = ServeFixture.SyntheticPng(0);
        var cases = new (string Name, byte[] Body, int Status, string Says)[]
        {
            ("text", "this is not an image"u8.ToArray(), 422, "not a decodable image"),
            ("empty", [], 400, "empty"),
            ("truncated", good[..(good.Length / 2)], 422, "truncated"),
            ("bomb", PngBomb(20_000, 20_000), 413, "pixels"),
            ("huge", new byte[ServeFixture.UploadLimit + 1], 413, "limit"),
            ("html", "<html><script>alert(1)</script></html>"u8.ToArray(), 422, "not a decodable image"),
        };
        foreach (var (name, body, status, says) in cases)
        {
            var (got, error) = await ServeFixture.Refusal(await f.Client.PostAsync($"api/images?name={name}", new ByteArrayContent(body)));
            Assert.True(status == got, $"{name}: {got} {error}");
            Assert.Contains(says, error, StringComparison.OrdinalIgnoreCase);
            await StillServes();
        }
    }

    [Fact]
    public async Task TheFolderListsOnlyImagesInsideIt()
    {
        var list = (await f.GetJson("api/images/folder")).GetProperty("images").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(["a.png", "b.png", "inside.png"], list);
        var a = await f.PostJson("api/images/folder?name=a.png");
        Assert.Equal("a.png", a.GetProperty("name").GetString());
        var inside = await f.PostJson("api/images/folder?name=inside.png");
        Assert.Equal(a.GetProperty("top5").ToString(), inside.GetProperty("top5").ToString()); // the link's target, a.png
    }

    [Theory]
    [InlineData("../secret.png")]
    [InlineData("..%2Fsecret.png")]
    [InlineData("..%252Fsecret.png")]
    [InlineData("%2E%2E%2Fsecret.png")]
    [InlineData("..\\secret.png")]
    [InlineData("outside.png")]
    [InlineData("up/secret.png")]
    [InlineData("up%2Fsecret.png")]
    [InlineData("./a.png")]
    [InlineData("images/../a.png")]
    [InlineData("notes.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("%2Fetc%2Fpasswd")]
    [InlineData("file:///etc/passwd")]
    [InlineData("a.png%00.txt")]
    [InlineData("A.PNG")]
    public async Task NamesOutsideTheListingAreNotFound(string name)
    {
        var (status, error) = await ServeFixture.Refusal(await f.Client.PostAsync($"api/images/folder?name={name}", null));
        Assert.Equal(404, status);
        Assert.Contains("not an image of the --images folder", error);
        Assert.DoesNotContain(f.Root, error);
    }

    [Fact]
    public async Task AbsolutePathsToTheSecretAreNotFound()
    {
        foreach (var name in new[] { f.SecretPath, Uri.EscapeDataString(f.SecretPath), Path.Combine(f.ImagesDir, "a.png") })
            Assert.Equal(404, (await ServeFixture.Refusal(await f.Client.PostAsync($"api/images/folder?name={name}", null))).Status);
    }

    [Theory]
    [InlineData("/..%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/api/images/..%2F..%2Fetc%2Fpasswd/image.png")]
    [InlineData("/api/images/%2E%2E/original.png")]
    [InlineData("/app.js/..%2F..%2Fsecret.png")]
    public async Task RequestPathsNeverReachTheFileSystem(string path)
    {
        using var response = await f.Client.GetAsync(new Uri(new Uri(f.Server.Url), path));
        Assert.False(response.IsSuccessStatusCode, path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("root:", body);
    }

    [Fact]
    public async Task MissingParametersAndDuplicatesAreNamed()
    {
        Assert.Contains("name", (await ServeFixture.Refusal(await f.Client.PostAsync("api/images/folder", null))).Error);
        Assert.Contains("view", (await ServeFixture.Refusal(await f.Client.GetAsync("api/fuse?spec=lrp"))).Error);
        Assert.Contains("more than once", (await ServeFixture.Refusal(await f.Client.GetAsync("api/fuse?view=a&view=b&spec=lrp"))).Error);
        Assert.Contains("demo image 99", (await ServeFixture.Refusal(await f.Client.PostAsync("api/images/demo/99", null))).Error);
        Assert.Contains("index", (await ServeFixture.Refusal(await f.Client.PostAsync("api/images/demo/x", null))).Error);
        var big = new string('x', 70_000);
        Assert.Equal(413, (await ServeFixture.Refusal(await f.Client.PostAsync("api/explain", JsonContent.Create(new { image = big })))).Status);
        await StillServes();
    }
}
