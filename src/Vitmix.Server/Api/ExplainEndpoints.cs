using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Builder;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Server.Explaining;

namespace Vitmix.Server.Api;

/// <summary>
/// The explorer's views: explain an image (the one pass), fuse and threshold its maps (milliseconds, from the
/// cache), score every map against the ground truth, and the attention rows of a patch.
/// </summary>
public static class ExplainEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapExplainEndpoints(this IEndpointRouteBuilder app, ServerState state)
    {
        // {"image": ID, "target": 3 | "circle" | null, "options": {"rollout-start-layer": 1, ...}}
        app.MapPost("/api/explain", async (HttpContext context) =>
        {
            var body = await RequestValues.JsonObject(context.Request, context.RequestAborted);
            var image = state.Image(RequestValues.String(body, "image"));
            int? target = Target(body, state);
            var options = ExplainerOptionsReader.Read(body.TryGetProperty("options", out var o) ? o : null, state.Explorer.Options);
            state.Explorer.CreateExplainers(options); // refuses options a method does not take before anything waits
            await Ndjson.Run(context, async line =>
            {
                var view = await state.Explorer.ExplainAsync(image, target, options, place => _ = line(new { queued = place }), context.RequestAborted);
                return Describe(view, state);
            });
        });

        app.MapGet("/api/fuse", (HttpContext context) =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var view = state.Explorer.View(RequestValues.Required(context.Request, "view"));
            var spec = MapRequest.Spec(context.Request, view);
            var (threshold, name) = MapRequest.Threshold(context.Request);
            var fused = Explorer.Fuse(view, spec, threshold);
            var m = fused.Mask;
            return ApiJson.Write(context, new
            {
                map = new MapId(spec, name).DisplayName, methods = spec.Methods, fusion = spec.Fusion, threshold = name,
                thresholdValue = m.Threshold, maskPixels = m.MaskPixels, width = m.Width, height = m.Height,
                normalized = Bytes(m.Normalized), mask = Convert.ToBase64String(m.Mask), scores = Scores(fused.Scores),
                elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            });
        });

        app.MapGet("/api/scores", (HttpContext context) =>
        {
            var view = state.Explorer.View(RequestValues.Required(context.Request, "view"));
            var (threshold, name) = MapRequest.Threshold(context.Request);
            var maps = view.Maps.Keys.Select(key =>
            {
                var fused = Explorer.Fuse(view, new FusionSpec([key], FusionRules.Single), threshold);
                return new { key, thresholdValue = fused.Mask.Threshold, maskPixels = fused.Mask.MaskPixels, scores = Scores(fused.Scores) };
            }).ToList();
            return ApiJson.Write(context, new { threshold = name, hasMask = view.Image.GroundTruth != null, maps });
        });

        app.MapGet("/api/attention", (HttpContext context) =>
        {
            var view = state.Explorer.View(RequestValues.Required(context.Request, "view"));
            var c = state.Options.Model.Config;
            int patch = RequestValues.Int(context.Request, "patch", 0, c.NumPatches - 1);
            var rows = state.Explorer.AttentionOfPatch(view, patch);
            var bytes = new byte[rows.Length * 4];
            Buffer.BlockCopy(rows, 0, bytes, 0, bytes.Length);
            return ApiJson.Write(context, new
            {
                patch, row = patch / c.GridWidth, col = patch % c.GridWidth, blocks = view.Pass.Attention.Length, heads = c.NumHeads,
                gridHeight = c.GridHeight, gridWidth = c.GridWidth, float32 = Convert.ToBase64String(bytes),
            });
        });
    }

    static int? Target(JsonElement body, ServerState state)
    {
        if (!body.TryGetProperty("target", out var t) || t.ValueKind == JsonValueKind.Null) return null;
        if (t.ValueKind == JsonValueKind.Number)
            return t.TryGetInt32(out int i) && i >= 0 && i < state.Options.Model.Config.NumClasses ? i
                : throw ApiException.BadRequest($"target: {t.GetRawText()} is not a class index 0..{state.Options.Model.Config.NumClasses - 1}");
        if (t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 and <= 200 } s) return state.Options.Model.ResolveClass(s);
        throw ApiException.BadRequest("target: expected a class index, a class name or null (the predicted class)");
    }

    /// <summary>What the page draws of a view: every map normalised at image resolution as bytes 0..255.</summary>
    static object Describe(ExplainedView view, ServerState state)
    {
        var model = state.Options.Model;
        var probabilities = Model.Probabilities.Of(model.Config, view.Pass.Logits);
        int h = view.Image.Display.Height, w = view.Image.Display.Width;
        return new
        {
            view = view.Id, image = view.Image.Id, target = view.Target, targetName = model.ClassName(view.Target),
            targetProbability = probabilities[view.Target], width = w, height = h,
            options = view.Options.Values.ToDictionary(v => v.Key, v => ExplainerOptionsReader.Format(v.Value)),
            methods = view.Methods, gridMaps = view.GridMaps,
            maps = view.Maps.Select(kv => new
            {
                key = kv.Key, method = kv.Key.Split('.')[0], kind = kv.Key.Contains('.') ? "pixels" : "grid",
                mapWidth = kv.Value.Width, mapHeight = kv.Value.Height,
                normalized = Bytes(view.Normalized(new FusionSpec([kv.Key], FusionRules.Single))),
            }),
        };
    }

    /// <summary>A normalised map as base64 bytes 0..255: what a colormap indexes, a quarter of the floats' size.</summary>
    internal static string Bytes(float[] normalized)
    {
        var bytes = new byte[normalized.Length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)Rendering.Colormaps.Index(normalized[i]);
        return Convert.ToBase64String(bytes);
    }

    static object? Scores(Evaluation.SegmentationScores? s) =>
        s is { } v ? new { iou = v.Iou, f1 = v.F1, precision = v.Precision, recall = v.Recall, pixelAccuracy = v.PixelAccuracy } : null;
}
