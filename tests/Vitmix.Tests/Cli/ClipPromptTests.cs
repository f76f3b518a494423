using System.Text.Json;
using System.Text.Json.Nodes;
using Vitmix.Data;
using Vitmix.Model.Checkpoints;
using Vitmix.Tests.Model.ImageText;
using TempDir = Vitmix.Tests.Data.Datasets.TempDir;

namespace Vitmix.Tests.Cli;

/// <summary>
/// --prompts on a CLIP checkpoint that holds its text tower: the classes' rows must be the text embeddings PyTorch's
/// tower gives (tests/reference/clip_text.py), so predict with --prompts scores exactly as predict with those reference
/// rows given as --text-embeddings.
/// </summary>
public class ClipPromptTests
{
    static readonly string Image = GoldenData.Path(GoldenData.Sets[0], "images", "disk.png");
    static string TextReference(params string[] parts) =>
        Path.Combine([GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "TextTower", "Reference", .. parts]);

    /// <summary>
    /// A Hugging Face CLIPModel folder: the tiny image tower of tests/reference/clip.py (its projection cut to the text
    /// tower's 16 dimensions) and the tiny text tower with its BPE files of tests/reference/clip_text.py.
    /// </summary>
    static string CombinedCheckpoint(TempDir tmp)
    {
        var entries = new List<SafeTensorEntry>();
        using (var image = SafeTensorsFile.Open(ClipTests.Folder("hf", "model.safetensors")))
            foreach (var t in image.Tensors.Where(t => t.Dtype == SafeTensorDtype.F32 && !t.Name.StartsWith("text_", StringComparison.Ordinal)))
            {
                var data = image.ReadFloats(t.Name);
                var shape = t.Shape.Select(d => (int)d).ToArray();
                if (t.Name == "visual_projection.weight") { shape[0] = 16; data = data[..(16 * shape[1])]; }
                entries.Add(new SafeTensorEntry(t.Name, shape, data));
            }
        using (var text = SafeTensorsFile.Open(TextReference("hf", "model.safetensors")))
            foreach (var t in text.Tensors.Where(t => t.Dtype == SafeTensorDtype.F32 && t.Name.StartsWith("text_", StringComparison.Ordinal)))
                entries.Add(new SafeTensorEntry(t.Name, t.Shape.Select(d => (int)d).ToArray(), text.ReadFloats(t.Name)));
        string folder = Path.Combine(tmp.Path, "clip");
        Directory.CreateDirectory(folder);
        SafeTensorsWriter.Write(Path.Combine(folder, "model.safetensors"), entries);
        var config = JsonNode.Parse(File.ReadAllText(TextReference("hf", "config.json")))!;
        var vision = JsonNode.Parse(File.ReadAllText(ClipTests.Folder("hf", "config.json")))!["vision_config"]!.DeepClone();
        vision["projection_dim"] = 16;
        config["vision_config"] = vision;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        File.Copy(ClipTests.Folder("hf", "preprocessor_config.json"), Path.Combine(folder, "preprocessor_config.json"));
        foreach (var name in new[] { "vocab.json", "merges.txt", "special_tokens_map.json" })
            File.Copy(TextReference("hf", name), Path.Combine(folder, name));
        return folder;
    }

    static double[] Logits(CliRunner.Result r)
    {
        Assert.True(r.ExitCode == 0, r.Err);
        using var doc = JsonDocument.Parse(r.OutLines.Single());
        return doc.RootElement.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble()).ToArray();
    }

    [Fact]
    public void PromptsScoreAsTheReferenceTextEmbeddings()
    {
        using var tmp = new TempDir();
        string model = CombinedCheckpoint(tmp);
        using var expected = JsonDocument.Parse(File.ReadAllText(TextReference("expected.json")));
        var prompts = expected.RootElement.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
        var rows = expected.RootElement.GetProperty("hf_embeddings").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToList();
        // "a photo of a {}" with the labels "cat." and "dog" gives the reference's first two prompts.
        Assert.Equal(["a photo of a cat.", "a photo of a dog"], prompts.Take(2));
        string npy = Path.Combine(tmp.Path, "text.npy");
        Npy.WriteFloat32(npy, rows[0].Concat(rows[1]).ToArray(), 2, rows[0].Length);

        var fromPrompts = Logits(CliRunner.Run("predict", Image, "--model", model, "--prompts", "a photo of a {}", "--labels", "cat.,dog", "--json"));
        var fromReference = Logits(CliRunner.Run("predict", Image, "--model", model, "--text-embeddings", npy, "--labels", "cat.,dog", "--json"));
        Assert.Equal(2, fromPrompts.Length);
        for (int i = 0; i < 2; i++) Assert.True(Math.Abs(fromPrompts[i] - fromReference[i]) <= 1e-4 * Math.Max(1, Math.Abs(fromReference[i])), $"class {i}: {fromPrompts[i]} vs {fromReference[i]}");
        // The two classes' scores differ, so the rows reached the head.
        Assert.NotEqual(fromReference[0], fromReference[1]);

        var explain = CliRunner.Run("explain", Image, "--model", model, "--prompts", "a photo of a {}", "--labels", "cat.,dog", "--target", "dog",
            "--methods", "rollout,saliency", "--raw", "--out", Path.Combine(tmp.Path, "maps"));
        Assert.True(explain.ExitCode == 0, explain.Err);
        Assert.True(File.Exists(Path.Combine(tmp.Path, "maps", "disk", "rollout.npy")), explain.Out);
    }

    [Fact]
    public void PromptErrorsAreOneLineAndNameTheProblem()
    {
        using var tmp = new TempDir();
        string model = CombinedCheckpoint(tmp);
        void Refused(string expected, params string[] args)
        {
            var r = CliRunner.Run(args);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains(expected, r.Err);
            Assert.Single(r.Err.Trim().Split('\n'));
        }
        Refused("--prompts needs --labels", "predict", Image, "--model", model, "--prompts", "a photo of a {}");
        Refused("has no {}", "predict", Image, "--model", model, "--prompts", "a photo", "--labels", "cat");
        Refused("give one of them", "predict", Image, "--model", model, "--prompts", "a {}", "--labels", "cat", "--text-embeddings", ClipTests.Folder("text.npy"));
        Refused("--tokenizer is read by --prompts", "predict", Image, "--model", model, "--tokenizer", model, "--text-embeddings", ClipTests.Folder("text.npy"));
        // The embedded classifier has no text tower.
        Refused("holds no CLIP text tower", "predict", Image, "--prompts", "a {}", "--labels", "cat");
        // SigLIP's text tower is not CLIP's.
        Refused("SigLIP", "predict", Image, "--model", ClipTests.Folder("..", "Siglip", "hf"), "--prompts", "a {}", "--labels", "cat");
    }
}
