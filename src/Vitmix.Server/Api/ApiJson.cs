using System.Text.Json;

namespace Vitmix.Server.Api;

/// <summary>How the API writes JSON: camelCase names, and every error as <c>{"error": "..."}</c>.</summary>
public static class ApiJson
{
    /// <summary>The serializer options of every response.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Writes <paramref name="value"/> with status <paramref name="status"/>.</summary>
    public static Task Write(HttpContext context, object value, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(value, Options), context.RequestAborted);
    }

    /// <summary>Writes <c>{"error": message}</c> with status <paramref name="status"/>.</summary>
    public static Task Error(HttpContext context, int status, string message) => Write(context, new { error = message }, status);
}
