using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Vitmix.Data.Synthetic;
using Vitmix.Model;
using Vitmix.Server;

namespace Vitmix.Bench;

/// <summary>
/// `quick serve [--model DIR] [--seconds S] [--clients C]`: a short load test of `vitmix serve`, in-process on a
/// loopback port: requests per second and p50/p95/p99 latency of re-thresholding a cached view, of changing its fusion
/// (a spec not seen before: fuse, upsample, normalise, threshold), and of a new image (upload, predict, the one pass,
/// every method of "all").
/// </summary>
public static class ServeLoadBench
{
    public static int Run(string[] args)
    {
        string model = Arg(args, "--model", "models/default");
        double seconds = double.Parse(Arg(args, "--seconds", "10"), System.Globalization.CultureInfo.InvariantCulture);
        int clients = int.Parse(Arg(args, "--clients", "4"), System.Globalization.CultureInfo.InvariantCulture);
        return RunAsync(model, seconds, clients).GetAwaiter().GetResult();
    }

    static string Arg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    static async Task<int> RunAsync(string modelPath, double seconds, int clients)
    {
        var loaded = ModelLoader.Load(modelPath);
        await using var server = await VitmixServer.StartAsync(new ServerOptions { Model = loaded, Port = 0, DemoSeed = 20261128 });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromMinutes(5) };
        Console.WriteLine($"vitmix serve load test: {loaded.Config}, {Environment.ProcessorCount} cores, {clients} clients, {seconds} s per scenario");

        var image = await Json(http.PostAsync("api/images/demo/0", null));
        var view = await Json(http.PostAsJsonAsync("api/explain", new { image = image.GetProperty("id").GetString() }));
        string id = view.GetProperty("view").GetString()!;
        var grid = view.GetProperty("gridMaps").EnumerateArray().Select(e => e.GetString()!).ToArray();
        string[] rules = ["gmean", "product", "sqrt", "mean", "hmean", "min", "rankmean"];

        // Re-thresholding: the page's slider, on the cached fused map.
        await Measure("re-threshold (cached fusion)", seconds, clients, i =>
            http.GetAsync($"api/fuse?view={id}&spec=lrp%2Brollout&fusion=gmean&threshold=top:{1 + i % 99}"));
        // Changing the fusion: pairs and rules cycled through more specs than a view keeps, so each is fused afresh.
        var pairs = (from a in grid from b in grid where string.CompareOrdinal(a, b) < 0 from r in rules select (Spec: $"{a}+{b}", Rule: r)).ToArray();
        await Measure($"change fusion ({pairs.Length} specs cycled)", seconds, clients, i =>
            http.GetAsync($"api/fuse?view={id}&spec={Uri.EscapeDataString(pairs[i % pairs.Length].Spec)}&fusion={pairs[i % pairs.Length].Rule}&threshold=otsu"));
        // A new image: upload, predict, one pass, every method; one client, then all clients at once (they queue).
        var benchmark = new SyntheticBenchmark(loaded.Config.ImageHeight, 777);
        int next = 0;
        async Task<HttpResponseMessage> NewImage(int _)
        {
            var sample = benchmark.Generate(Interlocked.Increment(ref next));
            var png = PngBytes.Rgb(sample.Image.Pixels, sample.Image.Width, sample.Image.Height);
            var uploaded = await Json(http.PostAsync("api/images?name=bench.png", new ByteArrayContent(png)));
            return await http.PostAsJsonAsync("api/explain", new { image = uploaded.GetProperty("id").GetString() });
        }
        await Measure("new image (upload + explain all), 1 client", seconds * 2, 1, NewImage);
        await Measure($"new image (upload + explain all), {clients} clients", seconds * 2, clients, NewImage);
        return 0;
    }

    static async Task<JsonElement> Json(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    static async Task Measure(string name, double seconds, int clients, Func<int, Task<HttpResponseMessage>> request)
    {
        // Warm-up, not measured: five seconds of requests, so tiered JIT (with PGO, whose instrumented tier is slow) has
        // compiled the hot loops at full optimisation; on a busy machine the background compiler needs that long.
        var warm = Stopwatch.StartNew();
        for (int i = 0; warm.Elapsed.TotalSeconds < 5 || i < 3; i++) (await request(i)).Dispose();
        var latencies = new List<double>();
        int counter = 0, failures = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(async _ =>
        {
            var mine = new List<double>();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                int i = Interlocked.Increment(ref counter);
                long start = Stopwatch.GetTimestamp();
                using var response = await request(i);
                await response.Content.ReadAsByteArrayAsync();
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
            }
            lock (latencies) latencies.AddRange(mine);
        }).ToList();
        await Task.WhenAll(workers);
        double elapsed = clock.Elapsed.TotalSeconds;
        latencies.Sort();
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        Console.WriteLine($"| {name} | {clients} | {latencies.Count} | {latencies.Count / elapsed:0.0} | {P(0.5):0.0} | {P(0.95):0.0} | {P(0.99):0.0} | {failures} |");
    }
}
