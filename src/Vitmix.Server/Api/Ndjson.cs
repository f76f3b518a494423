using System.Text;
using System.Text.Json;

namespace Vitmix.Server.Api;

/// <summary>
/// A response of newline-delimited JSON for work that waits and runs: <c>{"queued": 2}</c> while in line,
/// <c>{"progress": {...}}</c> while running, then <c>{"result": ...}</c> or <c>{"error": "..."}</c>. A client asks for
/// it with <c>Accept: application/x-ndjson</c>; others get the result alone as plain JSON when it is ready.
/// </summary>
public sealed class Ndjson(HttpContext context)
{
    readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Whether the client asked for a stream.</summary>
    public static bool Wanted(HttpRequest request) =>
        request.Headers.Accept.Any(a => a != null && a.Contains("application/x-ndjson", StringComparison.OrdinalIgnoreCase));

    /// <summary>Starts the 200 response.</summary>
    public async Task StartAsync()
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-ndjson; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.StartAsync(context.RequestAborted);
    }

    /// <summary>Writes one line and flushes it; lines from several threads do not interleave.</summary>
    public async Task LineAsync(object value)
    {
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, ApiJson.Options) + "\n");
        await gate.WaitAsync();
        try
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException) { /* the client left */ }
        finally { gate.Release(); }
    }

    /// <summary>
    /// Runs <paramref name="work"/> and answers with its result: streamed (progress lines, then the result or an error
    /// line) when the client asked for a stream, else as one JSON response.
    /// </summary>
    public static async Task Run(HttpContext context, Func<Func<object, Task>, Task<object>> work)
    {
        if (!Wanted(context.Request))
        {
            var plain = await work(_ => Task.CompletedTask);
            await ApiJson.Write(context, plain);
            return;
        }
        var stream = new Ndjson(context);
        await stream.StartAsync();
        try
        {
            var result = await work(line => stream.LineAsync(line));
            await stream.LineAsync(new { result });
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { }
        catch (Exception e)
        {
            var (status, message) = ErrorHandling.Describe(e);
            await stream.LineAsync(new { error = message, status });
        }
    }
}
