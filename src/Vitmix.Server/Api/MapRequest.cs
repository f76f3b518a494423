using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;
using Vitmix.Server.Explaining;

namespace Vitmix.Server.Api;

/// <summary>
/// The map a request names, in the command line's words: <c>spec</c> is a map key ("lrp", "saliency.pixels") or a
/// combination ("lrp+rollout", "wgmean(lrp:2,rollout:1)"), <c>fusion</c> the rule of an a+b combination (gmean by
/// default), <c>threshold</c> otsu, mean, top:P or fixed:V. Every value is parsed by the library's own parsers.
/// </summary>
public static class MapRequest
{
    /// <summary>The spec of the request against the view's maps.</summary>
    public static FusionSpec Spec(HttpRequest request, ExplainedView view) =>
        Spec(RequestValues.Required(request, "spec"), RequestValues.Optional(request, "fusion", "gmean"), view);

    /// <summary>The spec <paramref name="spec"/> with rule <paramref name="fusion"/> against the view's maps.</summary>
    public static FusionSpec Spec(string spec, string fusion, ExplainedView view)
    {
        if (spec.Length > 500) throw ApiException.BadRequest("spec: longer than 500 characters");
        var rules = FusionSpecParser.ParseFusions(fusion);
        if (rules.Count != 1) throw ApiException.BadRequest($"fusion: '{fusion}' names {rules.Count} rules, expected one");
        var parsed = FusionSpecParser.Parse(spec, rules, view.Maps.Keys.ToList());
        return parsed[0];
    }

    /// <summary>The threshold of the request (Otsu by default) and its name.</summary>
    public static (IMaskThreshold Threshold, string Name) Threshold(HttpRequest request)
    {
        string text = RequestValues.Optional(request, "threshold", "otsu");
        if (text.Length > 50) throw ApiException.BadRequest("threshold: longer than 50 characters");
        var threshold = MaskThresholds.Parse(text);
        return (threshold, threshold.Name);
    }
}
