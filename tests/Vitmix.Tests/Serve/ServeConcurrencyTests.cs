using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Vitmix.Tests.Serve;

/// <summary>Several clients at once: every one answered correctly, waiting ones told their place, cancelled ones leave the line.</summary>
[Collection("serve")]
public class ServeConcurrencyTests(ServeFixture f)
{
    // Every grid and pixel map of the methods of "all".
    static readonly int MapsOfAll = Vitmix.Explain.ExplainerRegistry.AllMethods.Select(Vitmix.Explain.ExplainerRegistry.Find).Sum(d =>
        (d!.Info.Outputs.HasFlag(Vitmix.Explain.ExplainerOutputs.Grid) ? 1 : 0) + (d.Info.Outputs.HasFlag(Vitmix.Explain.ExplainerOutputs.Pixels) ? 1 : 0));

    [Fact]
    public async Task ParallelClientsAreAllAnsweredCorrectly()
    {
        const int clients = 8;
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(async i =>
        {
            using var client = new HttpClient { BaseAddress = new Uri(f.Server.Url), Timeout = TimeSpan.FromMinutes(3) };
            int index = 4 + i; // images no other test explains, so every client needs a pass
            var image = JsonDocument.Parse(await (await client.PostAsync($"api/images/demo/{index}", null)).Content.ReadAsStringAsync()).RootElement;
            var request = new HttpRequestMessage(HttpMethod.Post, "api/explain") { Content = JsonContent.Create(new { image = image.GetProperty("id").GetString() }) };
            request.Headers.Accept.ParseAdd("application/x-ndjson");
            using var response = await client.SendAsync(request);
            var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            var view = lines[^1].GetProperty("result");
            var fused = JsonDocument.Parse(await client.GetStringAsync($"api/fuse?view={view.GetProperty("view").GetString()}&spec=lrp%2Brollout&threshold=top:20")).RootElement;
            return (Image: image, View: view, Queued: lines.Where(l => l.TryGetProperty("queued", out _)).Select(l => l.GetProperty("queued").GetInt32()).ToList(), Fused: fused);
        }).ToList();
        var results = await Task.WhenAll(tasks);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"{clients} clients took {clock.Elapsed}");
        foreach (var (image, view, queued, fused) in results)
        {
            Assert.Equal(image.GetProperty("predicted").GetProperty("index").GetInt32(), view.GetProperty("target").GetInt32());
            Assert.Equal(image.GetProperty("id").GetString(), view.GetProperty("image").GetString());
            Assert.Equal(MapsOfAll, view.GetProperty("maps").GetArrayLength());
            Assert.Equal(64 * 64 / 5, fused.GetProperty("maskPixels").GetInt32(), 1.0 * 64 * 64 / 10);
            Assert.All(queued, q => Assert.InRange(q, 1, clients - 1));
        }
        // One lane: with eight passes at once, somebody waited and was told where in line.
        Assert.Contains(results, r => r.Queued.Count > 0);
        Assert.Equal(0, f.Server.State.Explorer.Queue.Waiting);
    }

    [Fact]
    public async Task ACancelledRequestLeavesTheQueue()
    {
        var queue = f.Server.State.Explorer.Queue;
        var image = await f.PostJson("api/images/demo/3");
        using (await queue.EnterAsync(null, CancellationToken.None)) // hold the lane: the next explain must wait
        {
            using var cancel = new CancellationTokenSource();
            var request = new HttpRequestMessage(HttpMethod.Post, "api/explain") { Content = JsonContent.Create(new { image = image.GetProperty("id").GetString(), target = 9 }) };
            var pending = f.Client.SendAsync(request, cancel.Token);
            var clock = Stopwatch.StartNew();
            while (queue.Waiting == 0 && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
            Assert.Equal(1, queue.Waiting);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
            while (queue.Waiting > 0 && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
            Assert.Equal(0, queue.Waiting);
        }
        await f.GetJson("api/model");
    }
}
