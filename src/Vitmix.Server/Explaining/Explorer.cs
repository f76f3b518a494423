using System.Security.Cryptography;
using System.Text;
using Vitmix.Evaluation;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Fusion.Thresholds;
using Vitmix.Layers;
using Vitmix.Model;
using Vitmix.Server.Images;

namespace Vitmix.Server.Explaining;

/// <summary>A map thresholded into a mask, with its scores against the image's ground truth when there is one.</summary>
public sealed record FusedMap(FusionSpec Spec, MaskResult Mask, SegmentationScores? Scores);

/// <summary>Deletion and insertion curves of one map.</summary>
public sealed record MapCurves(string Map, PerturbationCurve Deletion, PerturbationCurve Insertion);

/// <summary>
/// The explorer's work, shared by every tab and client: one pass per (image, target), kept; each method's maps per
/// (image, target, that method's options), kept; views of those maps that fuse and threshold in milliseconds. Work
/// that runs the network waits its turn in the model's <see cref="PassQueue"/>.
/// </summary>
public sealed class Explorer
{
    readonly LoadedModel model;
    readonly IReadOnlyList<ExplainerDescriptor> methods;
    readonly BoundedCache<(string Image, int Target, PassRequirements Requirements), PassRecord> passes;
    readonly BoundedCache<string, KeyValuePair<string, Heatmap>[]> methodMaps;
    readonly BoundedCache<string, ExplainedView> views;

    /// <summary>An explorer of <paramref name="model"/> with the methods of <paramref name="methodList"/> ("all").</summary>
    public Explorer(LoadedModel model, PassQueue queue, string methodList, long cacheBytes)
    {
        this.model = model;
        Queue = queue;
        var set = ExplainerSet.Parse(methodList);
        methods = set.Explainers.Select(e => ExplainerRegistry.Find(e.Name)!).ToList();
        passes = new(cacheBytes * 3 / 8, p => p.Bytes);
        methodMaps = new(cacheBytes / 8, maps => maps.Sum(m => 4L * m.Value.Values.Length));
        views = new(cacheBytes / 4, v => v.Bytes);
    }

    /// <summary>The model explained.</summary>
    public LoadedModel Model => model;

    /// <summary>Passes kept now (one per image, target and requirements).</summary>
    public int CachedPasses => passes.Count;

    /// <summary>The lane passes wait in.</summary>
    public PassQueue Queue { get; }

    /// <summary>The methods shown, in order.</summary>
    public IReadOnlyList<ExplainerDescriptor> Methods => methods;

    /// <summary>The options the shown methods declare.</summary>
    public IReadOnlyList<ExplainerOption> Options =>
        ExplainerRegistry.Options.Where(o => o.Methods.Any(m => methods.Any(d => d.Name == m))).ToList();

    /// <summary>Explainers for <paramref name="options"/>; an option a method refuses is an <see cref="ArgumentException"/>.</summary>
    public IReadOnlyList<IExplainer> CreateExplainers(ExplainerOptions options) => methods.Select(d => d.Create(options)).ToList();

    /// <summary>A view kept under <paramref name="id"/>, or a 404 saying the view must be explained again.</summary>
    public ExplainedView View(string? id)
    {
        if (string.IsNullOrEmpty(id)) throw ApiException.BadRequest("view: missing, expected the id an explain request returned");
        return views.TryGet(id, out var view) ? view
            : throw ApiException.NotFound($"view '{ImageFolder.Printable(id)}': not known or no longer cached; explain the image again");
    }

    /// <summary>
    /// Explains <paramref name="image"/> for <paramref name="target"/> (null: the predicted class) with
    /// <paramref name="options"/>: only what is not cached runs, in the model's lane; <paramref name="queued"/> hears
    /// the place in line while waiting.
    /// </summary>
    public async Task<ExplainedView> ExplainAsync(ImageSession image, int? target, ExplainerOptions options, Action<int>? queued, CancellationToken cancel)
    {
        int k = model.Config.NumClasses;
        int t = target ?? Probabilities.ArgMax(image.Logits);
        if (t < 0 || t >= k) throw ApiException.BadRequest($"target: class {t} is outside the model's {k} classes (0..{k - 1})");
        var explainers = CreateExplainers(options);
        var requirements = explainers.Aggregate(PassRequirements.Attention, (r, e) => r | e.Requires);
        string viewId = Hash($"{image.Id}|{t}|{options}");
        if (views.TryGet(viewId, out var ready)) return ready;

        // Passes and maps belong to the pixels (shared by every source of the same picture), views to the image.
        var passKey = (image.ContentId, t, requirements);
        var keys = explainers.Select(e => $"{image.ContentId}|{t}|{new ExplainerSet([e]).Settings}").ToArray();
        var found = new KeyValuePair<string, Heatmap>[]?[explainers.Count];
        bool complete = passes.TryGet(passKey, out var record);
        for (int i = 0; i < explainers.Count; i++)
            if (methodMaps.TryGet(keys[i], out var maps)) found[i] = maps;
            else complete = false;

        if (!complete)
        {
            using var lane = await Queue.EnterAsync(queued, cancel);
            cancel.ThrowIfCancellationRequested();
            if (!passes.TryGet(passKey, out record))
                record = passes.Add(passKey, await Task.Run(() => PassRecord.Compute(model.Network, image.Input, requirements, t), cancel));
            var pass = record!.Replay(model.Network, image.Input);
            for (int i = 0; i < explainers.Count; i++)
            {
                if (found[i] != null) continue;
                if (methodMaps.TryGet(keys[i], out var maps)) { found[i] = maps; continue; }
                cancel.ThrowIfCancellationRequested(); // between methods: a closed tab stops the work here
                var explainer = explainers[i];
                found[i] = methodMaps.Add(keys[i], await Task.Run(() =>
                    (explainer is ISelfCheckingExplainer self ? self.Explain(pass, 0, new Dictionary<string, double>()) : explainer.Explain(pass, 0)).ToArray(), cancel));
            }
        }

        var all = new Dictionary<string, Heatmap>(StringComparer.Ordinal);
        foreach (var maps in found)
            foreach (var (key, map) in maps!) all[key] = map;
        var view = new ExplainedView
        {
            Id = viewId, Image = image, Target = t, Options = options, Methods = methods.Select(m => m.Name).ToList(),
            Maps = all, GridMaps = explainers.Where(e => new ExplainerSet([e]).GridMethods.Count > 0).Select(e => e.Name).Where(all.ContainsKey).ToList(),
            Pass = record!,
        };
        return views.Add(viewId, view);
    }

    /// <summary>Fuses and thresholds a map of <paramref name="view"/>: from the cached normalised map when the spec was seen before.</summary>
    public static FusedMap Fuse(ExplainedView view, FusionSpec spec, IMaskThreshold threshold)
    {
        var normalized = view.Normalized(spec);
        var mask = MapToMask.Threshold(normalized, view.Image.Display.Height, view.Image.Display.Width, threshold);
        var truth = view.Image.GroundTruth;
        SegmentationScores? scores = truth is { } t && t.Length == mask.Mask.Length ? SegmentationScores.Of(mask.Mask, t) : null;
        return new FusedMap(spec, mask, scores);
    }

    /// <summary>
    /// Where patch <paramref name="patch"/> looks: its query row of every block's and head's attention, over the patch
    /// tokens (prefix tokens left out), as blocks × heads × patches values.
    /// </summary>
    public float[] AttentionOfPatch(ExplainedView view, int patch)
    {
        var c = model.Config;
        if (patch < 0 || patch >= c.NumPatches) throw ApiException.BadRequest($"patch: {patch} is outside 0..{c.NumPatches - 1}");
        int n = c.NumTokens, h = c.NumHeads, p = c.NumPatches, prefix = c.NumPrefixTokens, blocks = view.Pass.Attention.Length;
        var rows = new float[blocks * h * p];
        for (int b = 0; b < blocks; b++)
            for (int head = 0; head < h; head++)
                view.Pass.Attention[b].AsSpan((head * n + prefix + patch) * n + prefix, p).CopyTo(rows.AsSpan((b * h + head) * p, p));
        return rows;
    }

    /// <summary>Deletion and insertion curves of each of <paramref name="specs"/>, one map at a time in the model's lane; <paramref name="progress"/> hears (done, total).</summary>
    public async Task<IReadOnlyList<MapCurves>> CurvesAsync(ExplainedView view, IReadOnlyList<FusionSpec> specs, int steps,
        Action<int>? queued, Action<int, int>? progress, CancellationToken cancel)
    {
        using var lane = await Queue.EnterAsync(queued, cancel);
        var pre = model.Preprocessing;
        var result = new List<MapCurves>();
        for (int i = 0; i < specs.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var normalized = view.Normalized(specs[i]);
            var set = new CurveSet(model.Network, view.Image.Input, new PerturbationOptions
            {
                Steps = steps, TargetClass = view.Target, NormalizationMean = pre.Mean, NormalizationStd = pre.Std,
            });
            int deletion = set.Add(CurveKind.Deletion, normalized), insertion = set.Add(CurveKind.Insertion, normalized);
            var curves = await Task.Run(() => set.Compute(cancel), cancel);
            result.Add(new MapCurves(new MapId(specs[i]).DisplayName, curves.Curves[deletion], curves.Curves[insertion]));
            progress?.Invoke(i + 1, specs.Count);
        }
        return result;
    }

    static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 8).ToLowerInvariant();
}
