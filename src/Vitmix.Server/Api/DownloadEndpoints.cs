using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vitmix.Data;
using Vitmix.Fusion;
using Vitmix.Rendering;
using Vitmix.Server.Explaining;

namespace Vitmix.Server.Api;

/// <summary>
/// Downloads of the view's map: the raw map as float32 .npy (what explain --raw writes), the normalised map and the
/// mask as PNG, and a settings JSON whose command line makes the same files with <c>vitmix explain</c>.
/// </summary>
public static class DownloadEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapDownloadEndpoints(this IEndpointRouteBuilder app, ServerState state)
    {
        app.MapGet("/api/download/map.npy", (HttpContext context) =>
        {
            var (view, spec) = Map(context, state);
            var raw = view.Raw(spec);
            return Results.Bytes(Npy.EncodeFloat32(raw.Values, raw.Height, raw.Width), "application/octet-stream", Files(spec, ThresholdName(context)).Map);
        });

        app.MapGet("/api/download/normalized.npy", (HttpContext context) =>
        {
            var (view, spec) = Map(context, state);
            var normalized = view.Normalized(spec);
            return Results.Bytes(Npy.EncodeFloat32(normalized, view.Image.Display.Height, view.Image.Display.Width), "application/octet-stream",
                Files(spec, ThresholdName(context)).Normalized);
        });

        app.MapGet("/api/download/heatmap.png", (HttpContext context) =>
        {
            var (view, spec) = Map(context, state);
            string colormap = Colormap(context.Request);
            return Results.Bytes(PngBytes.Heatmap(view.Normalized(spec), view.Image.Display.Width, view.Image.Display.Height, colormap), "image/png",
                new MapId(spec, ThresholdName(context)).FileStem + ".heatmap.png");
        });

        app.MapGet("/api/download/mask.png", (HttpContext context) =>
        {
            var (view, spec) = Map(context, state);
            var (threshold, name) = MapRequest.Threshold(context.Request);
            var fused = Explorer.Fuse(view, spec, threshold);
            return Results.Bytes(PngBytes.Mask(fused.Mask.Mask, fused.Mask.Width, fused.Mask.Height), "image/png", Files(spec, name).Mask);
        });

        app.MapGet("/api/download/settings.json", (HttpContext context) =>
        {
            var (view, spec) = Map(context, state);
            var (_, threshold) = MapRequest.Threshold(context.Request);
            string colormap = Colormap(context.Request);
            var args = ExplainCommandLine.Arguments(view, spec, threshold, colormap, state.Options.ModelArgument, state.Options.Methods);
            var settings = new
            {
                command = ExplainCommandLine.ShellLine(args), arguments = args,
                image = new { name = view.Image.Name, source = view.Image.Source, input = view.Image.CommandInput, originalUrl = view.Image.OriginalPng != null ? $"/api/images/{view.Image.Id}/original.png" : null },
                model = state.Options.ModelArgument ?? "embedded", methods = state.Options.Methods, target = view.Target,
                targetName = state.Options.Model.ClassName(view.Target),
                options = view.Options.Values.ToDictionary(v => v.Key, v => ExplainerOptionsReader.Format(v.Value)),
                map = new MapId(spec, threshold).DisplayName,
                files = new { folder = $"vitmix-explain/{Path.GetFileNameWithoutExtension(view.Image.CommandInput)}", Files(spec, threshold).Map, Files(spec, threshold).Normalized, Files(spec, threshold).Mask },
                methodsOfMap = spec.Methods, fusion = spec.Fusion, threshold, colormap,
            };
            context.Response.Headers.ContentDisposition = "attachment; filename=\"vitmix-view.json\"";
            return ApiJson.Write(context, settings);
        });
    }

    static (ExplainedView View, FusionSpec Spec) Map(HttpContext context, ServerState state)
    {
        var view = state.Explorer.View(RequestValues.Required(context.Request, "view"));
        return (view, MapRequest.Spec(context.Request, view));
    }

    /// <summary>
    /// The names `vitmix explain --raw` gives the map's files: a single method's raw map is METHOD.npy, a fusion's
    /// STEM.npy; the normalised map STEM.norm.npy and the mask STEM.mask.png, STEM naming the threshold when it is not Otsu.
    /// </summary>
    internal static (string Map, string Normalized, string Mask) Files(FusionSpec spec, string threshold)
    {
        string stem = new MapId(spec, threshold).FileStem;
        return (spec.Fusion == FusionRules.Single ? spec.Methods[0] + ".npy" : stem + ".npy", stem + ".norm.npy", stem + ".mask.png");
    }

    static string ThresholdName(HttpContext context) => MapRequest.Threshold(context.Request).Name;

    static string Colormap(HttpRequest request)
    {
        string name = RequestValues.Optional(request, "colormap", "oklab");
        return Colormaps.Names.Contains(name) ? name : throw ApiException.BadRequest($"colormap: '{Images.ImageFolder.Printable(name)}' is not one of {string.Join(", ", Colormaps.Names)}");
    }
}
