using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vitmix.Fusion;
using Vitmix.Rendering;

namespace Vitmix.Server.Api;

/// <summary>What the page builds its controls from: the model, its classes, the methods and their options, the fusion rules, colormaps, limits.</summary>
public static class ModelEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapModelEndpoints(this IEndpointRouteBuilder app, ServerState state)
    {
        app.MapGet("/api/model", (HttpContext context) =>
        {
            var m = state.Options.Model;
            var c = m.Config;
            return ApiJson.Write(context, new
            {
                model = state.Options.ModelArgument ?? "embedded", architecture = c.ToString(),
                imageHeight = c.ImageHeight, imageWidth = c.ImageWidth, patchSize = c.PatchSize, gridHeight = c.GridHeight, gridWidth = c.GridWidth,
                blocks = c.Depth, heads = c.NumHeads,
                classes = Enumerable.Range(0, c.NumClasses).Select(m.ClassName),
                methods = state.Explorer.Methods.Select(d => new { name = d.Name, summary = d.Info.Summary, grid = d.HasGridMap }),
                options = state.Explorer.Options.Select(o => new
                {
                    name = o.Name, type = o.Type.IsEnum ? "enum" : o.Type == typeof(bool) ? "bool" : o.Type == typeof(int) ? "int" : "number",
                    choices = o.Type.IsEnum ? Enum.GetNames(o.Type).Select(n => n.ToLowerInvariant()) : null,
                    @default = o.Default is null ? null : ExplainerOptionsReader.Format(o.Default),
                    minimum = double.IsFinite(o.Attribute.Minimum) ? o.Attribute.Minimum : (double?)null,
                    exclusiveMaximum = double.IsFinite(o.Attribute.ExclusiveMaximum) ? o.Attribute.ExclusiveMaximum : (double?)null,
                    description = o.Attribute.Description, methods = o.Methods,
                }),
                fusions = FusionRules.All.Select(r => r.Name),
                colormaps = Colormaps.Names.ToDictionary(n => n, n => Convert.ToBase64String(Colormaps.Get(n))),
                hasFolder = state.Folder != null, maxUploadBytes = state.Options.MaxUploadBytes, maxPixels = state.Options.MaxPixels,
            });
        });

        app.MapGet("/api/queue", (HttpContext context) => ApiJson.Write(context, new { waiting = state.Explorer.Queue.Waiting }));
    }
}
