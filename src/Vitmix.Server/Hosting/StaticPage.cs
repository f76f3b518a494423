using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Vitmix.Server.Hosting;

/// <summary>
/// The page (index.html, app.js, app.css), embedded in the assembly: the tool carries it, nothing is read from disk,
/// and only these fixed names are served, so no request path ever reaches the file system.
/// </summary>
public static class StaticPage
{
    static readonly Dictionary<string, string> files = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["app.js"] = "text/javascript; charset=utf-8",
        ["app.css"] = "text/css; charset=utf-8",
    };

    /// <summary>The bytes of embedded file <paramref name="name"/>.</summary>
    public static byte[] Read(string name)
    {
        using var stream = typeof(StaticPage).Assembly.GetManifestResourceStream("Vitmix.Server.wwwroot." + name)
            ?? throw new InvalidOperationException($"the page's {name} is not embedded in this build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Maps / and the page's files.</summary>
    public static void MapStaticPage(this IEndpointRouteBuilder app)
    {
        var contents = files.ToDictionary(f => f.Key, f => Read(f.Key));
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html", contents));
        foreach (var name in files.Keys)
            app.MapGet("/" + name, (HttpContext context) => Serve(context, name, contents));
    }

    static Task Serve(HttpContext context, string name, Dictionary<string, byte[]> contents)
    {
        context.Response.ContentType = files[name];
        context.Response.Headers.CacheControl = "no-cache";
        // The page loads nothing from elsewhere: a CDN reference would be refused by the browser, not silently used.
        context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'";
        return context.Response.Body.WriteAsync(contents[name], context.RequestAborted).AsTask();
    }
}
