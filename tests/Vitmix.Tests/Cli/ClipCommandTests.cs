using System.Text.Json;
using Vitmix.Tests.Model.ImageText;

namespace Vitmix.Tests.Cli;

/// <summary>info, predict and explain on the tiny CLIP checkpoints of every layout, with --text-embeddings and --labels.</summary>
public class ClipCommandTests
{
    static readonly string Image = GoldenData.Path(GoldenData.Sets[0], "images", "disk.png");

    public static TheoryData<string, string> Layouts() => new()
    {
        { "openclip", "OpenAI layout" }, { "hf", "Hugging Face layout" }, { "timm", "timm layout" },
    };

    static string[] Classes(params string[] args) =>
        [.. args, "--text-embeddings", ClipTests.Folder("text.npy"), "--labels", ClipTests.Folder("labels.txt")];

    [Theory, MemberData(nameof(Layouts))]
    public void InfoNamesTheFamilyAndLayout(string layout, string described)
    {
        var r = CliRunner.Run("info", "--model", ClipTests.Folder(layout));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains($"CLIP ViT (width 32, patch 8) image encoder ({described})", r.Out);
        Assert.Contains("no classes (give text embeddings)", r.Out);

        var with = CliRunner.Run(Classes("info", "--model", ClipTests.Folder(layout)));
        Assert.True(with.ExitCode == 0, with.Err);
        Assert.Contains($"({described}), zero-shot head over 5 classes", with.Out);
        Assert.Contains("0: cat", with.Out);
    }

    [Theory, MemberData(nameof(Layouts))]
    public void PredictJsonScoresTheLabels(string layout, string described)
    {
        _ = described;
        var r = CliRunner.Run(Classes("predict", Image, "--model", ClipTests.Folder(layout), "--json"));
        Assert.True(r.ExitCode == 0, r.Err);
        using var doc = JsonDocument.Parse(r.OutLines.Single());
        Assert.Equal(5, doc.RootElement.GetProperty("logits").GetArrayLength());
        var top = doc.RootElement.GetProperty("top");
        Assert.Contains(top.EnumerateArray().Select(t => t.GetProperty("name").GetString()), n => n == "house");
        double sum = doc.RootElement.GetProperty("probabilities").EnumerateArray().Sum(p => p.GetDouble());
        Assert.Equal(1.0, sum, 4);
    }

    [Theory, MemberData(nameof(Layouts))]
    public void ExplainAllRawWritesEveryMap(string layout, string described)
    {
        _ = described;
        string output = Path.Combine(Path.GetTempPath(), $"vitmix-clip-explain-{Environment.ProcessId}-{layout}-{Guid.NewGuid():N}");
        var r = CliRunner.Run(Classes("explain", Image, "--model", ClipTests.Folder(layout), "--methods", "all", "--raw", "--out", output, "--target", "dog"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("dog", r.Out);
        var folder = Path.Combine(output, "disk");
        foreach (var method in new[] { "rollout", "gradcam", "saliency", "lrp", "gae", "attnlrp", "tis" })
        {
            var map = Vitmix.Data.Npy.Read(Path.Combine(folder, method + ".npy"));
            Assert.Equal([4, 4], map.Shape);
            Assert.All(map.Values, v => Assert.True(double.IsFinite(v)));
        }
    }

    [Fact]
    public void EvaluateTakesTheClassesAsForAClassifier()
    {
        string output = Path.Combine(Path.GetTempPath(), $"vitmix-clip-evaluate-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var r = CliRunner.Run(Classes("evaluate", "--dataset", "synth:2", "--model", ClipTests.Folder("openclip"), "--methods", "rollout,saliency", "--out", output));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(output, "results.csv")));

        var refused = CliRunner.Run("evaluate", "--dataset", "synth:2", "--model", ClipTests.Folder("openclip"), "--methods", "rollout", "--out", output + "-none");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("pass --text-embeddings FILE", Assert.Single(refused.ErrLines));
    }

    [Fact]
    public void PredictWithoutTextEmbeddingsSaysWhatToPass()
    {
        var r = CliRunner.Run("predict", Image, "--model", ClipTests.Folder("hf"));
        Assert.NotEqual(0, r.ExitCode);
        var line = Assert.Single(r.ErrLines);
        Assert.Contains("has no classes of its own: pass --text-embeddings FILE", line);
    }

    [Fact]
    public void ExplainWithoutTextEmbeddingsSaysWhatToPass()
    {
        var r = CliRunner.Run("explain", Image, "--model", ClipTests.Folder("openclip"), "--methods", "rollout", "--out", Path.GetTempPath());
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("pass --text-embeddings FILE", Assert.Single(r.ErrLines));
    }

    [Fact]
    public void BadTextEmbeddingOptionsAreOneLine()
    {
        var count = CliRunner.Run("predict", Image, "--model", ClipTests.Folder("timm"), "--text-embeddings", ClipTests.Folder("text.npy"), "--labels", "a,b");
        Assert.NotEqual(0, count.ExitCode);
        Assert.Contains("--labels: 2 labels for the 5 rows", Assert.Single(count.ErrLines));

        var missing = CliRunner.Run("predict", Image, "--model", ClipTests.Folder("timm"), "--text-embeddings", "/nonexistent/text.npy");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("--text-embeddings /nonexistent/text.npy: no such file", Assert.Single(missing.ErrLines));

        var labelsAlone = CliRunner.Run("predict", Image, "--model", ClipTests.Folder("timm"), "--labels", "a,b");
        Assert.NotEqual(0, labelsAlone.ExitCode);
        Assert.Contains("give --text-embeddings FILE or --prompts TEMPLATE too", Assert.Single(labelsAlone.ErrLines));
    }
}

/// <summary>info, predict and explain on the tiny SigLIP checkpoints.</summary>
public class SiglipCommandTests
{
    static readonly string Image = GoldenData.Path(GoldenData.Sets[0], "images", "disk.png");

    public static TheoryData<string, string, string> Layouts() => new()
    {
        { "hf", "Hugging Face layout", "text.npy" }, { "timm", "timm layout", "text.safetensors" },
    };

    [Theory, MemberData(nameof(Layouts))]
    public void InfoPredictAndExplain(string layout, string described, string text)
    {
        string model = SiglipTests.Folder(layout);
        var info = CliRunner.Run("info", "--model", model);
        Assert.True(info.ExitCode == 0, info.Err);
        Assert.Contains($"SigLIP ViT (width 32, patch 8) image encoder ({described})", info.Out);
        Assert.Contains("attention pool", info.Out);

        string[] classes = ["--text-embeddings", SiglipTests.Folder(text), "--labels", SiglipTests.Folder("labels.txt")];
        var predict = CliRunner.Run(["predict", Image, "--model", model, "--json", .. classes]);
        Assert.True(predict.ExitCode == 0, predict.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(predict.OutLines.Single());
        var logits = doc.RootElement.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var probabilities = doc.RootElement.GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int i = 0; i < logits.Length; i++) Assert.Equal(1 / (1 + Math.Exp(-logits[i])), probabilities[i], 5); // sigmoid, not softmax

        string output = Path.Combine(Path.GetTempPath(), $"vitmix-siglip-explain-{Environment.ProcessId}-{layout}-{Guid.NewGuid():N}");
        var explain = CliRunner.Run(["explain", Image, "--model", model, "--methods", "all", "--raw", "--out", output, "--target", "tree", .. classes]);
        Assert.True(explain.ExitCode == 0, explain.Err);
        foreach (var method in new[] { "rollout", "gradcam", "saliency", "lrp", "attnlrp" })
        {
            var map = Vitmix.Data.Npy.Read(Path.Combine(output, "disk", method + ".npy"));
            Assert.Equal([4, 4], map.Shape);
            Assert.All(map.Values, v => Assert.True(double.IsFinite(v)));
        }
    }
}
