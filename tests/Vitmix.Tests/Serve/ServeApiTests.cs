using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SkiaSharp;
using Vitmix.Data;
using Vitmix.Explain;
using Vitmix.Tests.Cli;

namespace Vitmix.Tests.Serve;

/// <summary>Every endpoint of the explorer's API, on a live server with the embedded model.</summary>
[Collection("serve")]
public class ServeApiTests(ServeFixture f)
{
    static float[] Floats(JsonElement base64)
    {
        var bytes = Convert.FromBase64String(base64.GetString()!);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    static string Map(JsonElement view, string key) =>
        view.GetProperty("maps").EnumerateArray().First(m => m.GetProperty("key").GetString() == key).GetProperty("normalized").GetString()!;

    [Fact]
    public async Task ModelDescribesClassesMethodsOptionsAndColormaps()
    {
        var m = await f.GetJson("api/model");
        Assert.Equal(10, m.GetProperty("classes").GetArrayLength());
        var methods = m.GetProperty("methods").EnumerateArray().Select(x => x.GetProperty("name").GetString()!).ToList();
        Assert.Equal(ExplainerRegistry.AllMethods, methods);
        var options = m.GetProperty("options").EnumerateArray().Select(x => x.GetProperty("name").GetString()).ToList();
        foreach (var o in new[] { "rollout-start-layer", "rollout-head-fusion", "rollout-discard-ratio", "lrp-start-layer" }) Assert.Contains(o, options);
        Assert.Equal(768, Convert.FromBase64String(m.GetProperty("colormaps").GetProperty("oklab").GetString()!).Length);
    }

    [Fact]
    public async Task PageAndItsFilesAreServedWithoutAnyOutsideReference()
    {
        foreach (var file in new[] { "", "app.js", "app.css" })
        {
            string text = await f.Client.GetStringAsync(file);
            Assert.DoesNotContain("http://", text.Replace("http://www.w3.org/2000/svg", ""));
            Assert.DoesNotContain("https://", text);
        }
        Assert.Contains("<script src=\"app.js\">", await f.Client.GetStringAsync(""));
    }

    [Fact]
    public async Task ExplainGivesEveryMethodOfAllAMapAndTheTop5()
    {
        var (image, view) = await f.Explained(0);
        Assert.Equal(5, image.GetProperty("top5").GetArrayLength());
        Assert.True(image.GetProperty("hasMask").GetBoolean());
        Assert.Equal(image.GetProperty("predicted").GetProperty("index").GetInt32(), view.GetProperty("target").GetInt32());
        var keys = view.GetProperty("maps").EnumerateArray().Select(m => m.GetProperty("key").GetString()!).ToList();
        foreach (var method in ExplainerRegistry.AllMethods)
            Assert.Contains(keys, k => k == method || k.StartsWith(method + ".", StringComparison.Ordinal));
        foreach (var m in view.GetProperty("maps").EnumerateArray())
            Assert.Equal(64 * 64, Convert.FromBase64String(m.GetProperty("normalized").GetString()!).Length);
        var png = await f.Client.GetByteArrayAsync(image.GetProperty("imageUrl").GetString()!.TrimStart('/'));
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal(64, bitmap.Width);
    }

    [Fact]
    public async Task AnotherTargetIsExplainedAndNamedClassesResolve()
    {
        var (image, _) = await f.Explained(1);
        string id = image.GetProperty("id").GetString()!;
        var byIndex = await f.PostJson("api/explain", new { image = id, target = 7 });
        Assert.Equal(7, byIndex.GetProperty("target").GetInt32());
        var byName = await f.PostJson("api/explain", new { image = id, target = "heart" });
        Assert.Equal(byIndex.GetProperty("view").GetString(), byName.GetProperty("view").GetString());
        var (status, error) = await ServeFixture.Refusal(await f.Client.PostAsync("api/explain", JsonContent.Create(new { image = id, target = 10 })));
        Assert.Equal(400, status);
        Assert.Contains("target", error);
    }

    [Fact]
    public async Task RolloutOptionsChangeOnlyRolloutAndReuseThePass()
    {
        var (image, plain) = await f.Explained(2);
        int passes = f.Server.State.Explorer.CachedPasses;
        var changed = await f.PostJson("api/explain", new
        {
            image = image.GetProperty("id").GetString(),
            options = new Dictionary<string, object> { ["rollout-start-layer"] = 2, ["rollout-head-fusion"] = "max", ["rollout-discard-ratio"] = 0.5, ["lrp-start-layer"] = 1 },
        });
        Assert.NotEqual(plain.GetProperty("view").GetString(), changed.GetProperty("view").GetString());
        Assert.NotEqual(Map(plain, "rollout"), Map(changed, "rollout"));
        Assert.NotEqual(Map(plain, "lrp"), Map(changed, "lrp"));
        Assert.Equal(Map(plain, "gradcam"), Map(changed, "gradcam"));
        Assert.Equal(Map(plain, "saliency"), Map(changed, "saliency"));
        Assert.Equal(passes, f.Server.State.Explorer.CachedPasses); // options of the maps, not of the pass: no new pass
        Assert.Equal("2", changed.GetProperty("options").GetProperty("rollout-start-layer").GetString());
    }

    [Theory]
    [InlineData("{\"image\":\"ID\",\"options\":{\"rollout-start-layer\":-1}}", "rollout-start-layer")]
    [InlineData("{\"image\":\"ID\",\"options\":{\"rollout-start-layer\":\"three\"}}", "rollout-start-layer")]
    [InlineData("{\"image\":\"ID\",\"options\":{\"rollout-discard-ratio\":1.5}}", "rollout-discard-ratio")]
    [InlineData("{\"image\":\"ID\",\"options\":{\"rollout-head-fusion\":\"median\"}}", "rollout-head-fusion")]
    [InlineData("{\"image\":\"ID\",\"options\":{\"tam-steps\":100000000}}", "tam-steps")]
    [InlineData("{\"image\":\"ID\",\"options\":{\"no-such-option\":1}}", "no-such-option")]
    [InlineData("{\"image\":\"ID\",\"options\":[1]}", "options")]
    [InlineData("{\"image\":\"nope\"}", "image")]
    [InlineData("{\"target\":1}", "image")]
    [InlineData("[1,2]", "object")]
    [InlineData("{not json", "JSON")]
    [InlineData("", "empty")]
    public async Task BadExplainRequestsAreRefusedWithAClearError(string body, string named)
    {
        var image = await f.PostJson("api/images/demo/0");
        var content = new StringContent(body.Replace("ID", image.GetProperty("id").GetString()), System.Text.Encoding.UTF8, "application/json");
        var (status, error) = await ServeFixture.Refusal(await f.Client.PostAsync("api/explain", content));
        Assert.InRange(status, 400, 499);
        Assert.Contains(named, error);
    }

    [Fact]
    public async Task FuseThresholdsAndScoresAgainstTheSyntheticMask()
    {
        var (_, view) = await f.Explained(0);
        string id = view.GetProperty("view").GetString()!;
        async Task<JsonElement> Fuse(string threshold, string spec = "lrp+rollout", string fusion = "gmean") =>
            await f.GetJson($"api/fuse?view={id}&spec={Uri.EscapeDataString(spec)}&fusion={fusion}&threshold={Uri.EscapeDataString(threshold)}");
        var otsu = await Fuse("otsu");
        Assert.Equal("lrp+rollout.gmean", otsu.GetProperty("map").GetString());
        Assert.True(otsu.GetProperty("scores").GetProperty("iou").GetDouble() is >= 0 and <= 1);
        int top10 = (await Fuse("top:10")).GetProperty("maskPixels").GetInt32();
        int top50 = (await Fuse("top:50")).GetProperty("maskPixels").GetInt32();
        Assert.InRange(top10, 1, top50 - 1);
        var mask = Convert.FromBase64String((await Fuse("fixed:0.5")).GetProperty("mask").GetString()!);
        Assert.All(mask, b => Assert.True(b is 0 or 1));
        Assert.Equal("lrp+rollout.product[mean]", (await Fuse("mean", fusion: "product")).GetProperty("map").GetString());
        Assert.Equal("wgmean", (await Fuse("otsu", "wgmean(lrp:2,rollout:1)")).GetProperty("fusion").GetString());
        Assert.Equal("saliency.pixels[mean]", (await Fuse("mean", "saliency.pixels")).GetProperty("map").GetString());

        foreach (var bad in new[] { "&spec=lrp&threshold=top:200", "&spec=lrp&threshold=banana", "&spec=nosuch", "&spec=lrp%2Brollout&fusion=blend", "&threshold=otsu" })
        {
            var (status, _) = await ServeFixture.Refusal(await f.Client.GetAsync($"api/fuse?view={id}{bad}"));
            Assert.Equal(400, status);
        }
        var (gone, message) = await ServeFixture.Refusal(await f.Client.GetAsync("api/fuse?view=0123456789abcdef&spec=lrp"));
        Assert.Equal(404, gone);
        Assert.Contains("explain the image again", message);
    }

    [Fact]
    public async Task ScoresGiveEveryMapItsIouAndF1()
    {
        var (_, view) = await f.Explained(0);
        var scores = await f.GetJson($"api/scores?view={view.GetProperty("view").GetString()}&threshold=top:20");
        Assert.True(scores.GetProperty("hasMask").GetBoolean());
        Assert.Equal(view.GetProperty("maps").GetArrayLength(), scores.GetProperty("maps").GetArrayLength());
        foreach (var m in scores.GetProperty("maps").EnumerateArray())
            Assert.InRange(m.GetProperty("scores").GetProperty("f1").GetDouble(), 0, 1);
    }

    [Fact]
    public async Task AttentionOfAPatchIsItsRowPerBlockAndHead()
    {
        var (_, view) = await f.Explained(0);
        string id = view.GetProperty("view").GetString()!;
        var a = await f.GetJson($"api/attention?view={id}&patch=9");
        Assert.Equal((1, 1), (a.GetProperty("row").GetInt32(), a.GetProperty("col").GetInt32()));
        var rows = Floats(a.GetProperty("float32"));
        Assert.Equal(4 * 3 * 64, rows.Length);
        for (int r = 0; r < 12; r++)
        {
            float sum = rows.AsSpan(r * 64, 64).ToArray().Sum();
            Assert.InRange(sum, 0f, 1.0001f); // softmax rows without the class token's column
        }
        foreach (var bad in new[] { "64", "-1", "x", "1e3" })
            Assert.Equal(400, (await ServeFixture.Refusal(await f.Client.GetAsync($"api/attention?view={id}&patch={bad}"))).Status);
    }

    [Fact]
    public async Task CurvesStreamProgressThenTheResult()
    {
        var (_, view) = await f.Explained(0);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/curves")
        {
            Content = JsonContent.Create(new { view = view.GetProperty("view").GetString(), maps = new[] { "lrp", "rollout", "lrp+rollout" }, steps = 8 }),
        };
        request.Headers.Accept.ParseAdd("application/x-ndjson");
        using var response = await f.Client.SendAsync(request);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, lines.Count(l => l.TryGetProperty("progress", out _)));
        var result = lines[^1].GetProperty("result");
        var curves = result.GetProperty("curves").EnumerateArray().ToList();
        Assert.Equal(["lrp", "rollout", "lrp+rollout.gmean"], curves.Select(c => c.GetProperty("map").GetString()));
        Assert.All(curves, c => Assert.Equal(9, c.GetProperty("deletion").GetArrayLength()));

        var bad = await f.Client.PostAsync("api/curves", JsonContent.Create(new { view = view.GetProperty("view").GetString(), maps = new[] { "lrp" }, steps = 100000 }));
        Assert.Equal(400, (await ServeFixture.Refusal(bad)).Status);
    }

    [Fact]
    public async Task DownloadsReproduceWithVitmixExplain()
    {
        var (image, view) = await f.Explained(0, new Dictionary<string, object> { ["rollout-start-layer"] = 1 });
        string q = $"view={view.GetProperty("view").GetString()}&spec={Uri.EscapeDataString("lrp+rollout")}&fusion=gmean&threshold=top:20";
        var npy = Npy.Parse(await f.Client.GetByteArrayAsync($"api/download/map.npy?{q}"), "download");
        Assert.Equal([8, 8], npy.Shape);
        var norm = Npy.Parse(await f.Client.GetByteArrayAsync($"api/download/normalized.npy?{q}"), "download");
        Assert.Equal([64, 64], norm.Shape);
        using (var mask = SKBitmap.Decode(await f.Client.GetByteArrayAsync($"api/download/mask.png?{q}"))) Assert.Equal(64, mask.Width);
        using (var heat = SKBitmap.Decode(await f.Client.GetByteArrayAsync($"api/download/heatmap.png?{q}&colormap=jet"))) Assert.Equal(64, heat.Height);
        var settings = await f.GetJson($"api/download/settings.json?{q}");
        var args = settings.GetProperty("arguments").EnumerateArray().Select(a => a.GetString()!).ToArray();
        Assert.StartsWith("vitmix explain synth_000000.png", settings.GetProperty("command").GetString());

        // The command line, run on the synthetic image the page offers, writes the same map.
        string dir = Directory.CreateTempSubdirectory("vitmix-serve-explain-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "synth_000000.png"), await f.Client.GetByteArrayAsync(image.GetProperty("originalUrl").GetString()!.TrimStart('/')));
            for (int i = 0; i < args.Length; i++)
                if (args[i] == "synth_000000.png") args[i] = Path.Combine(dir, args[i]);
                else if (args[i] == "vitmix-explain") args[i] = Path.Combine(dir, "out");
            var run = CliRunner.Run(args);
            Assert.True(run.ExitCode == 0, run.Err);
            var files = settings.GetProperty("files");
            string folder = Path.Combine(dir, "out", "synth_000000");
            var written = Npy.Read(Path.Combine(folder, files.GetProperty("map").GetString()!));
            Assert.Equal(npy.Values, written.Values);
            var writtenNorm = Npy.Read(Path.Combine(folder, files.GetProperty("normalized").GetString()!));
            Assert.Equal(norm.Values, writtenNorm.Values);
            Assert.True(File.Exists(Path.Combine(folder, files.GetProperty("mask").GetString()!)));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task UnknownEndpointsAnswerJson404()
    {
        Assert.Equal(404, (await ServeFixture.Refusal(await f.Client.GetAsync("api/nothing/here"))).Status);
        Assert.Equal(404, (await ServeFixture.Refusal(await f.Client.GetAsync("api/images/0000000000000000/image.png"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await f.Client.GetAsync("index.htm")).StatusCode);
    }

    [Fact]
    public async Task AnUploadedImageAndMaskGiveScores()
    {
        using var upload = await f.Client.PostAsync("api/images?name=..%2F..%2Fshape.png", new ByteArrayContent(ServeFixture.SyntheticPng(5)));
        var image = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement;
        Assert.True(upload.IsSuccessStatusCode, image.ToString());
        Assert.Equal("shape.png", image.GetProperty("name").GetString());
        Assert.False(image.GetProperty("hasMask").GetBoolean());
        string id = image.GetProperty("id").GetString()!;
        var view = await f.PostJson("api/explain", new { image = id });
        string q = $"view={view.GetProperty("view").GetString()}&spec=lrp";
        Assert.Equal(JsonValueKind.Null, (await f.GetJson($"api/fuse?{q}")).GetProperty("scores").ValueKind);

        var sample = new Vitmix.Data.Synthetic.SyntheticBenchmark(64, Vitmix.Cli.Commands.DemoCommand.HeldOutSeed).Generate(5);
        var maskPng = Vitmix.Server.PngBytes.Mask(sample.Mask, 64, 64);
        using var maskUpload = await f.Client.PostAsync($"api/images/{id}/mask?name=mask.png", new ByteArrayContent(maskPng));
        Assert.True(maskUpload.IsSuccessStatusCode, await maskUpload.Content.ReadAsStringAsync());
        Assert.InRange((await f.GetJson($"api/fuse?{q}")).GetProperty("scores").GetProperty("iou").GetDouble(), 0, 1);

        var wrongSize = Vitmix.Server.PngBytes.Mask(new byte[32 * 32], 32, 32);
        var (status, error) = await ServeFixture.Refusal(await f.Client.PostAsync($"api/images/{id}/mask", new ByteArrayContent(wrongSize)));
        Assert.Equal(400, status);
        Assert.Contains("32x32", error);
    }
}
