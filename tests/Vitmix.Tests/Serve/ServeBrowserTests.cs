using PuppeteerSharp;
using Vitmix.Explain;
using Vitmix.Tests.Evaluation.Report;

namespace Vitmix.Tests.Serve;

/// <summary>
/// The page in a real browser: Debian's chromium driven by PuppeteerSharp (never a browser it downloads). Loads the
/// page, uploads an image, sees every method's overlay, moves the threshold slider and sees the mask change, clicks a
/// patch and sees its attention grid, with no console error. Screenshots go to serve-screenshots/ in the test output.
/// </summary>
[Collection("serve")]
public class ServeBrowserTests(ServeFixture f)
{
    static readonly string Artefacts = Path.Combine(AppContext.BaseDirectory, "serve-screenshots");

    static async Task<IBrowser> Launch(string profile) => await Puppeteer.LaunchAsync(new LaunchOptions
    {
        Headless = true,
        ExecutablePath = Chromium.Find()!,
        UserDataDir = profile,
        Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage"],
        DefaultViewport = new ViewPortOptions { Width = 1400, Height = 1200 },
        Timeout = 120_000,
    });

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds. Not WaitForFunctionAsync: that compiles the condition inside the
    /// page, which the page's Content-Security-Policy (no eval) rightly refuses; Runtime.evaluate is not subject to it.
    /// </summary>
    static async Task WaitFor(IPage page, string condition, int seconds = 120)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await page.EvaluateExpressionAsync<bool>($"!!({condition})"))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds))
                throw new TimeoutException($"waited {seconds} s for {condition}; the page shows: {await page.EvaluateExpressionAsync<string>("document.querySelector('#error').textContent + ' | ' + document.querySelector('#status').textContent")}");
            await Task.Delay(50);
        }
    }

    [ChromiumFact]
    public async Task UploadSeeOverlaysMoveTheThresholdClickAPatch()
    {
        Directory.CreateDirectory(Artefacts);
        string profile = Directory.CreateTempSubdirectory("vitmix-serve-chromium-").FullName;
        string upload = Path.Combine(profile, "shape.png");
        File.WriteAllBytes(upload, ServeFixture.SyntheticPng(6));
        var problems = new List<string>();
        string step = "load";
        try
        {
            await using var browser = await Launch(profile);
            await using var page = await browser.NewPageAsync();
            page.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) problems.Add($"console {e.Message.Type}: {e.Message.Text}"); };
            page.PageError += (_, e) => problems.Add($"page error: {e.Message}");
            page.RequestFailed += (_, e) =>
            {
                // Chrome's DevTools reports some streamed answers (explain, curves: read line by line through a
                // ReadableStream) as net::ERR_ABORTED once read, seen even for requests the page never aborts; the page
                // got its result (each step below checks what it shows), so only other failures count.
                bool streamed = e.Request.Url.Contains("/api/explain") || e.Request.Url.Contains("/api/curves");
                if (!(streamed && e.Request.FailureText == "net::ERR_ABORTED")) problems.Add($"request failed: {e.Request.Url} {e.Request.FailureText} (step {step})");
            };

            await page.GoToAsync(f.Server.Url, WaitUntilNavigation.Load);
            await WaitFor(page, "document.querySelectorAll('#demo option').length > 1");

            // Upload through the file input the drop zone wraps.
            var input = await page.QuerySelectorAsync("#file");
            step = "upload";
            await input.UploadFileAsync(upload);
            int maps = ExplainerRegistry.AllMethods.Count;
            await WaitFor(page, $"document.querySelectorAll('#overlays figure').length >= {maps} && document.querySelector('#fused').dataset.maskPixels !== undefined");
            var keys = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#overlays figure')].map(f => f.dataset.key)");
            foreach (var method in ExplainerRegistry.AllMethods)
                Assert.Contains(keys, k => k == method || k.StartsWith(method + ".", StringComparison.Ordinal));
            Assert.Equal("shape.png", (await page.EvaluateExpressionAsync<string>("document.querySelector('#image-name').textContent")).Split(' ')[0]);
            Assert.Equal(5, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#top5 li').length"));
            await page.ScreenshotAsync(Path.Combine(Artefacts, "1-overlays.png"), new ScreenshotOptions { FullPage = true });

            // The threshold: top-k, then the slider; the fused mask follows.
            step = "threshold";
            await page.SelectAsync("#threshold-mode", "top");
            await WaitFor(page, "document.querySelector('#fused-name').textContent.includes('top:20')");
            int before = await page.EvaluateExpressionAsync<int>("Number(document.querySelector('#fused').dataset.maskPixels)");
            await page.EvaluateExpressionAsync("(() => { const s = document.querySelector('#topk'); s.value = 5; s.dispatchEvent(new Event('input')); })()");
            await WaitFor(page, "document.querySelector('#fused-name').textContent.includes('top:5')");
            int after = await page.EvaluateExpressionAsync<int>("Number(document.querySelector('#fused').dataset.maskPixels)");
            Assert.True(after < before, $"top 5% mask has {after} pixels, top 20% had {before}");
            await page.ScreenshotAsync(Path.Combine(Artefacts, "2-threshold.png"), new ScreenshotOptions { FullPage = true });

            // Click a patch of the first overlay: its attention row per block and head.
            step = "patch";
            var canvas = await page.QuerySelectorAsync("#overlays figure canvas");
            var box = await canvas.BoundingBoxAsync();
            await page.Mouse.ClickAsync(box.X + box.Width * 0.4m, box.Y + box.Height * 0.6m);
            var c = f.Server.State.Options.Model.Config;
            await WaitFor(page, $"document.querySelectorAll('#attention canvas').length === {c.Depth * c.NumHeads}");
            Assert.Contains("patch", await page.EvaluateExpressionAsync<string>("document.querySelector('#attention-title').textContent"));
            await page.ScreenshotAsync(Path.Combine(Artefacts, "3-attention.png"), new ScreenshotOptions { FullPage = true });

            // An option that changes a map: rollout's start layer re-explains from the cached pass.
            step = "option";
            string rolloutBefore = await page.EvaluateExpressionAsync<string>("document.querySelector('#overlays figure[data-key=rollout] canvas').toDataURL()");
            await page.EvaluateExpressionAsync("(() => { const i = document.querySelector('[data-option=\"rollout-start-layer\"]'); i.value = 3; i.dispatchEvent(new Event('change')); })()");
            await WaitFor(page, $"document.querySelector('#overlays figure[data-key=rollout] canvas').toDataURL() !== {System.Text.Json.JsonSerializer.Serialize(rolloutBefore)}");

            // Curves on demand, with a result table.
            step = "curves";
            await page.ClickAsync("#curves");
            await WaitFor(page, "document.querySelectorAll('#curves-out tr').length > 1", 300);
            Assert.True(await page.EvaluateExpressionAsync<bool>("document.querySelector('#error').hidden"), await page.EvaluateExpressionAsync<string>("document.querySelector('#error').textContent"));
            await page.ScreenshotAsync(Path.Combine(Artefacts, "4-curves.png"), new ScreenshotOptions { FullPage = true });

            // A synthetic image brings its own mask: IoU and F1 appear, and the ground truth is outlined. This view,
            // with a patch clicked, is the README's screenshot (docs/serve.png is a copy of readme.png).
            step = "demo";
            await page.SelectAsync("#demo", "0");
            await WaitFor(page, "/IoU \\d/.test(document.querySelector('#fused-info').textContent) && document.querySelector('#image-name').textContent.startsWith('synth_000000') && !document.querySelector('#status').textContent.includes('explaining')");
            await WaitFor(page, "[...document.querySelectorAll('#overlays .numbers')].every(n => n.textContent.includes('IoU'))");
            await page.EvaluateExpressionAsync("window.scrollTo(0, 0)");
            var shown = await (await page.QuerySelectorAsync("#overlays figure canvas")).BoundingBoxAsync();
            await page.Mouse.ClickAsync(shown.X + shown.Width * 0.55m, shown.Y + shown.Height * 0.45m);
            await WaitFor(page, "document.querySelector('#attention-title').textContent.startsWith('patch 28 ')");
            await page.ScreenshotAsync(Path.Combine(Artefacts, "readme.png"), new ScreenshotOptions { Clip = new PuppeteerSharp.Media.Clip { X = 0, Y = 0, Width = 1400, Height = 1150 } });
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally { Directory.Delete(profile, recursive: true); }
    }

    [ChromiumFact]
    public async Task ABadUploadShowsTheServersError()
    {
        Directory.CreateDirectory(Artefacts);
        string profile = Directory.CreateTempSubdirectory("vitmix-serve-chromium-").FullName;
        string upload = Path.Combine(profile, "notes.png");
        File.WriteAllText(upload, "not an image at all");
        try
        {
            await using var browser = await Launch(profile);
            await using var page = await browser.NewPageAsync();
            await page.GoToAsync(f.Server.Url, WaitUntilNavigation.Load);
            await WaitFor(page, "document.querySelectorAll('#demo option').length > 1");
            await (await page.QuerySelectorAsync("#file")).UploadFileAsync(upload);
            await WaitFor(page, "!document.querySelector('#error').hidden");
            string error = await page.EvaluateExpressionAsync<string>("document.querySelector('#error').textContent");
            Assert.Contains("notes.png: not a decodable image", error);
            await page.ScreenshotAsync(Path.Combine(Artefacts, "error.png"));
        }
        finally { Directory.Delete(profile, recursive: true); }
    }
    [ChromiumFact]
    public async Task DropAnImageThenSearchAClass()
    {
        string profile = Directory.CreateTempSubdirectory("vitmix-serve-chromium-").FullName;
        var problems = new List<string>();
        try
        {
            await using var browser = await Launch(profile);
            await using var page = await browser.NewPageAsync();
            page.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) problems.Add($"console {e.Message.Type}: {e.Message.Text}"); };
            page.PageError += (_, e) => problems.Add($"page error: {e.Message}");
            await page.GoToAsync(f.Server.Url, WaitUntilNavigation.Load);
            await WaitFor(page, "document.querySelectorAll('#demo option').length > 1");

            // A drop as the browser delivers one: a DataTransfer holding the file, dispatched on the drop zone.
            string png = Convert.ToBase64String(ServeFixture.SyntheticPng(7));
            await page.EvaluateExpressionAsync($$"""
                (() => {
                  const bytes = Uint8Array.from(atob('{{png}}'), c => c.charCodeAt(0));
                  const transfer = new DataTransfer();
                  transfer.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
                  document.querySelector('#drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
                })()
                """);
            await WaitFor(page, "document.querySelector('#image-name').textContent.startsWith('dropped.png') && document.querySelectorAll('#overlays figure').length > 0 && !document.querySelector('#status').textContent.includes('explaining')");

            // The class search box: a name from the list explains that class.
            await page.EvaluateExpressionAsync("(() => { const t = document.querySelector('#target'); t.value = '7: heart'; t.dispatchEvent(new Event('change')); })()");
            await WaitFor(page, "document.querySelector('#status').textContent.startsWith('heart')");
            Assert.True(await page.EvaluateExpressionAsync<bool>("document.querySelector('#error').hidden"));
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally { Directory.Delete(profile, recursive: true); }
    }
}
