using Vitmix.Rendering;
using System.Text.Json;
using Vitmix.Data;
using Vitmix.Explain;
using Vitmix.Fusion;
using Vitmix.Model;

namespace Vitmix.Evaluation;

/// <summary>What an explanation run writes for one input, and how.</summary>
/// <param name="Raw">Also every map as float32 .npy, the normalised maps and the uint8 masks.</param>
/// <param name="Colormap">The overlays' colormap (<see cref="Rendering.Colormaps.Names"/>).</param>
/// <param name="Alpha">Opacity of the map over the image, in [0, 1].</param>
public sealed record ExplanationOutputOptions(bool Raw = false, string Colormap = "oklab", float Alpha = 0.5f);

/// <summary>
/// Writes one input's explanation into <c>OUT/&lt;stem&gt;/</c>: an overlay PNG per map, a mask PNG per single method
/// and combination, and with <see cref="ExplanationOutputOptions.Raw"/> the maps as float32 .npy (grid maps (gh, gw), pixel maps (H, W)), the upsampled
/// normalised maps and the uint8 0/1 masks; then <c>summary.json</c> (with the self-checking methods' numbers under "checks"). The folder is assembled under a temporary name
/// and renamed into place at the end, so an interrupted run never leaves a half-written folder.
/// </summary>
public static class ExplanationFolder
{
    /// <summary>Writes the folder <c><paramref name="outRoot"/>/<paramref name="stem"/></c> and returns its path.</summary>
    public static string Write(string outRoot, string stem, string input, LoadedModel model, RgbImage display,
        ImageExplanation explanation, IReadOnlyList<CombinationResult> combinations, ExplanationOutputOptions options)
    {
        Directory.CreateDirectory(outRoot);
        Vitmix.IO.StaleTemporaries.RemoveDeadOnce(outRoot); // .{stem}.{pid}.tmp folders of killed runs
        string final = Path.Combine(outRoot, stem);
        string tmp = Path.Combine(outRoot, $".{stem}.{Environment.ProcessId}.tmp");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        try
        {
            var files = new Dictionary<string, List<string>>();
            void Add(string key, string file) { if (!files.TryGetValue(key, out var l)) files[key] = l = []; l.Add(file); }
            int h = display.Height, w = display.Width;

            // Every map the methods returned (grid and pixel maps): overlay, and the raw values.
            foreach (var (key, map) in explanation.Maps)
            {
                var norm = MapToMask.Normalize(map, h, w);
                MaskImageWriter.WriteOverlay(Path.Combine(tmp, key + ".png"), display, norm, w, h, options.Colormap, options.Alpha);
                Add(key, key + ".png");
                if (options.Raw)
                {
                    Npy.WriteFloat32(Path.Combine(tmp, key + ".npy"), map.Values, map.Height, map.Width);
                    Add(key, key + ".npy");
                }
            }
            // Singles and fusions: fused grid, normalised map at image size, mask.
            foreach (var c in combinations)
            {
                string stemName = c.Id.FileStem;
                string key = c.Id.DisplayName;
                if (!c.Id.IsSingle)
                {
                    MaskImageWriter.WriteOverlay(Path.Combine(tmp, stemName + ".png"), display, c.Mask.Normalized, w, h, options.Colormap, options.Alpha, c.Mask.Mask);
                    Add(key, stemName + ".png");
                }
                MaskImageWriter.WriteMask(Path.Combine(tmp, stemName + ".mask.png"), c.Mask.Mask, w, h);
                Add(key, stemName + ".mask.png");
                if (options.Raw)
                {
                    if (!c.Id.IsSingle)
                    {
                        Npy.WriteFloat32(Path.Combine(tmp, stemName + ".npy"), c.Grid.Values, c.Grid.Height, c.Grid.Width);
                        Add(key, stemName + ".npy");
                    }
                    Npy.WriteFloat32(Path.Combine(tmp, stemName + ".norm.npy"), c.Mask.Normalized, h, w);
                    Npy.WriteUInt8(Path.Combine(tmp, stemName + ".mask.npy"), c.Mask.Mask, h, w);
                    Add(key, stemName + ".norm.npy");
                    Add(key, stemName + ".mask.npy");
                }
            }
            File.WriteAllText(Path.Combine(tmp, "summary.json"), SummaryJson(input, model, explanation, combinations, files));
            if (Directory.Exists(final)) Directory.Delete(final, true);
            Directory.Move(tmp, final);
            return final;
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            throw;
        }
    }

    static string SummaryJson(string input, LoadedModel model, ImageExplanation e, IReadOnlyList<CombinationResult> combinations,
        Dictionary<string, List<string>> files)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteString("input", input);
            j.WriteString("model", model.WeightsPath);
            j.WriteStartObject("predicted");
            j.WriteNumber("index", e.PredictedClass);
            j.WriteString("name", model.ClassName(e.PredictedClass));
            j.WriteNumber("probability", e.PredictedProbability);
            j.WriteEndObject();
            j.WriteStartObject("target");
            j.WriteNumber("index", e.TargetClass);
            j.WriteString("name", model.ClassName(e.TargetClass));
            j.WriteNumber("probability", e.TargetProbability);
            j.WriteEndObject();
            if (e.Checks.Count > 0)
            {
                j.WriteStartObject("checks");
                foreach (var (name, value) in e.Checks) j.WriteNumber(name, value);
                j.WriteEndObject();
            }
            j.WriteStartObject("thresholds");
            foreach (var c in combinations) j.WriteNumber(c.Id.DisplayName, c.Mask.Threshold);
            j.WriteEndObject();
            j.WriteStartObject("files");
            foreach (var (key, list) in files)
            {
                j.WriteStartArray(key);
                foreach (var f in list) j.WriteStringValue(f);
                j.WriteEndArray();
            }
            j.WriteEndObject();
            j.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
