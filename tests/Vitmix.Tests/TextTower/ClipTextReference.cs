using System.Text.Json;

namespace Vitmix.Tests.TextTower;

/// <summary>The tiny CLIP text towers and expected values written by tests/reference/clip_text.py.</summary>
internal static class ClipTextReference
{
    public static string Root { get; } = Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "TextTower", "Reference");

    public static string[] Prompts(JsonDocument doc) =>
        doc.RootElement.GetProperty("prompts").EnumerateArray().Select(e => e.GetString()!).ToArray();

    /// <summary>A list of lists of ints, flattened row-major.</summary>
    public static int[] Ints(JsonDocument doc, string name) =>
        doc.RootElement.GetProperty(name).EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetInt32())).ToArray();

    public static float[][] Rows(JsonDocument doc, string name) =>
        doc.RootElement.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray()).ToArray();

    public static JsonDocument Expected() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "expected.json")));
}
