using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Vitmix.Server.Api;

/// <summary>
/// The one place errors become responses: a refused request (<see cref="ApiException"/>, a bad value the library
/// names with an <see cref="ArgumentException"/>, an undecodable file) is a 4xx with <c>{"error": "..."}</c>; a bug
/// is a 500 with its message, logged; a request the client gave up on ends quietly. The server never dies of either.
/// </summary>
public static class ErrorHandling
{
    /// <summary>Adds the handler in front of every endpoint.</summary>
    public static void UseApiErrors(this WebApplication app)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Vitmix.Server");
        app.Use(async (context, next) =>
        {
            try { await next(context); }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client closed the tab or the request: nobody is left to answer.
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                var (status, message) = Describe(e);
                if (status >= 500) log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                await ApiJson.Error(context, status, message);
            }
        });
    }

    /// <summary>The status and one-line message of an exception.</summary>
    public static (int Status, string Message) Describe(Exception e) => e switch
    {
        ApiException a => (a.Status, a.Message),
        BadHttpRequestException b => (b.StatusCode, b.Message),
        ArgumentException or FormatException or SettingRequiredException => (StatusCodes.Status400BadRequest, e.Message),
        InvalidDataException => (StatusCodes.Status422UnprocessableEntity, e.Message),
        System.Text.Json.JsonException => (StatusCodes.Status400BadRequest, $"request body: not valid JSON ({e.Message})"),
        _ => (StatusCodes.Status500InternalServerError, $"internal error: {e.Message}"),
    };
}
