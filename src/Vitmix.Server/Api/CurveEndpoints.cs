using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vitmix.Fusion;

namespace Vitmix.Server.Api;

/// <summary>Deletion and insertion curves on demand: many forwards per map, so they wait in the model's lane and report progress.</summary>
public static class CurveEndpoints
{
    /// <summary>Most maps one request may ask curves of.</summary>
    public const int MaxMaps = 32;
    /// <summary>Most steps per curve (RISE and ViTmiX use 100).</summary>
    public const int MaxSteps = 200;

    /// <summary>Maps the endpoint.</summary>
    public static void MapCurveEndpoints(this IEndpointRouteBuilder app, ServerState state)
    {
        // {"view": ID, "maps": ["lrp", "lrp+rollout"], "fusion": "gmean", "steps": 32}
        app.MapPost("/api/curves", async (HttpContext context) =>
        {
            var body = await RequestValues.JsonObject(context.Request, context.RequestAborted);
            var view = state.Explorer.View(RequestValues.String(body, "view"));
            string fusion = body.TryGetProperty("fusion", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "gmean";
            if (!body.TryGetProperty("maps", out var maps) || maps.ValueKind != JsonValueKind.Array || maps.GetArrayLength() is 0 or > MaxMaps)
                throw ApiException.BadRequest($"maps: expected an array of 1..{MaxMaps} map specs");
            var specs = new List<FusionSpec>();
            foreach (var m in maps.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.String) throw ApiException.BadRequest("maps: every entry must be a map spec string");
                var spec = MapRequest.Spec(m.GetString()!, fusion, view);
                if (!specs.Contains(spec)) specs.Add(spec);
            }
            int steps = 32;
            if (body.TryGetProperty("steps", out var s))
                steps = s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out int v) && v >= 2 && v <= MaxSteps ? v
                    : throw ApiException.BadRequest($"steps: expected an integer in 2..{MaxSteps}");
            await Ndjson.Run(context, async line =>
            {
                var curves = await state.Explorer.CurvesAsync(view, specs, steps, place => _ = line(new { queued = place }),
                    (done, total) => _ = line(new { progress = new { done, total } }), context.RequestAborted);
                return new
                {
                    view = view.Id, steps,
                    curves = curves.Select(c => new
                    {
                        map = c.Map, deletion = c.Deletion.Probabilities, insertion = c.Insertion.Probabilities,
                        deletionAuc = c.Deletion.Auc, insertionAuc = c.Insertion.Auc,
                    }),
                };
            });
        });
    }
}
