using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;
using Vitmix.Server.Api;
using Vitmix.Server.Hosting;

namespace Vitmix.Server;

/// <summary>
/// The explorer's web server: ASP.NET Core minimal APIs on Kestrel (from the shared framework), the embedded page at
/// /, the JSON API under /api. <see cref="StartAsync"/> returns once it listens, with the URL to open.
/// </summary>
public sealed class VitmixServer : IAsyncDisposable
{
    readonly WebApplication app;

    VitmixServer(WebApplication app, ServerState state, string url)
    {
        this.app = app;
        State = state;
        Url = url;
    }

    /// <summary>The page's address, e.g. http://127.0.0.1:5125/.</summary>
    public string Url { get; }

    /// <summary>The shared state (caches, queue), for tests and benchmarks.</summary>
    public ServerState State { get; }

    /// <summary>Builds the server for <paramref name="options"/> and starts listening.</summary>
    public static async Task<VitmixServer> StartAsync(ServerOptions options, CancellationToken cancel = default)
    {
        if (options.MaxPixels <= 0 || options.MaxPixels > Data.InputLimits.MaxPixels)
            throw new ArgumentException($"upload pixel limit {options.MaxPixels} is outside 1..{Data.InputLimits.MaxPixels}");
        if (options.MaxUploadBytes <= 0 || options.MaxUploadBytes > Data.InputLimits.MaxFileBytes)
            throw new ArgumentException($"upload byte limit {options.MaxUploadBytes} is outside 1..{Data.InputLimits.MaxFileBytes}");
        var state = new ServerState(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(VitmixServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Uploads are capped by the endpoint (413 with a JSON error); Kestrel's own cap only has to let them through.
            k.Limits.MaxRequestBodySize = options.MaxUploadBytes + 1;
            k.AddServerHeader = false;
        });
        builder.WebHost.UseUrls($"http://{(options.Host.Contains(':') ? $"[{options.Host}]" : options.Host)}:{options.Port}");
        var app = builder.Build();
        app.UseApiErrors();
        app.MapStaticPage();
        app.MapModelEndpoints(state);
        app.MapImageEndpoints(state);
        app.MapExplainEndpoints(state);
        app.MapCurveEndpoints(state);
        app.MapDownloadEndpoints(state);
        // Anything else under /api is a JSON 404, not an empty page.
        app.Map("/api/{**rest}", (HttpContext context) => ApiJson.Error(context, StatusCodes.Status404NotFound, $"no endpoint {context.Request.Method} {context.Request.Path}"));
        await app.StartAsync(cancel);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new VitmixServer(app, state, address.TrimEnd('/') + "/");
    }

    /// <summary>
    /// Waits until the server is told to stop: Ctrl-C through <paramref name="cancel"/>, or SIGTERM (docker stop,
    /// systemd, timeout), which the host's console lifetime turns into its stopping token.
    /// </summary>
    public async Task WaitAsync(CancellationToken cancel)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancel, app.Lifetime.ApplicationStopping);
        try { await Task.Delay(Timeout.Infinite, either.Token); }
        catch (OperationCanceledException) { }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
