using System.Globalization;
using System.Text.Json;

namespace Vitmix.Server.Api;

/// <summary>Values read from a request, each checked before it sizes anything; a bad one is a 400 naming it.</summary>
public static class RequestValues
{
    /// <summary>Largest JSON body read: the requests carry ids, options and names, never data.</summary>
    public const int MaxJsonBytes = 64 << 10;

    /// <summary>Query value <paramref name="name"/>, required.</summary>
    public static string Required(HttpRequest request, string name) =>
        request.Query[name] is { Count: 1 } v && !string.IsNullOrEmpty(v[0]) ? v[0]!
            : throw ApiException.BadRequest($"{name}: missing (or given more than once)");

    /// <summary>Query value <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public static string Optional(HttpRequest request, string name, string fallback) =>
        request.Query[name] is { Count: > 0 } v ? (v.Count == 1 && v[0] is { } s ? s : throw ApiException.BadRequest($"{name}: given more than once")) : fallback;

    /// <summary>Query value <paramref name="name"/> as an integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int Int(HttpRequest request, string name, int min, int max, int? fallback = null)
    {
        if (!request.Query.ContainsKey(name) && fallback is int f) return f;
        string text = Required(request, name);
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max ? v
            : throw ApiException.BadRequest($"{name}: '{Images.ImageFolder.Printable(text)}' is not an integer in {min}..{max}");
    }

    /// <summary>The request body, at most <paramref name="limit"/> bytes (413 beyond), read into memory.</summary>
    public static async Task<byte[]> Body(HttpRequest request, long limit, CancellationToken cancel)
    {
        if (request.ContentLength is long declared && declared > limit)
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"request body: {declared} bytes, more than the limit of {limit}");
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + read > limit)
                throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"request body: more than the limit of {limit} bytes");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The body as a JSON object (at most <see cref="MaxJsonBytes"/>).</summary>
    public static async Task<JsonElement> JsonObject(HttpRequest request, CancellationToken cancel)
    {
        var bytes = await Body(request, MaxJsonBytes, cancel);
        if (bytes.Length == 0) throw ApiException.BadRequest("request body: empty, expected a JSON object");
        JsonElement root;
        try { root = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 }).RootElement; }
        catch (JsonException e) { throw ApiException.BadRequest($"request body: not valid JSON ({e.Message})"); }
        return root.ValueKind == JsonValueKind.Object ? root : throw ApiException.BadRequest($"request body: a JSON {root.ValueKind.ToString().ToLowerInvariant()}, expected an object");
    }

    /// <summary>String property <paramref name="name"/> of <paramref name="body"/>, required.</summary>
    public static string String(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s
            : throw ApiException.BadRequest($"{name}: missing, expected a string");
}
