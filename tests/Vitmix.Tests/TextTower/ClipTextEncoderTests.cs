using System.Text.Json;
using Vitmix.TextTower;

namespace Vitmix.Tests.TextTower;

/// <summary>
/// Text embeddings of the tiny towers against PyTorch (tests/reference/clip_text.py, ported from openai/CLIP
/// clip/model.py and transformers' modeling_clip.py): both layouts, both activations, both read-out rules.
/// </summary>
public sealed class ClipTextEncoderTests
{
    static string Hf => Path.Combine(ClipTextReference.Root, "hf");
    static string OpenClip => Path.Combine(ClipTextReference.Root, "open_clip");

    /// <summary>Every row within 1e-4 of the reference, relative to the row's largest magnitude.</summary>
    static void AssertRows(float[][] expected, float[] actual, int width)
    {
        Assert.Equal(expected.Length * width, actual.Length);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(width, expected[r].Length);
            float scale = expected[r].Max(MathF.Abs);
            for (int j = 0; j < width; j++)
            {
                float error = MathF.Abs(actual[r * width + j] - expected[r][j]);
                Assert.True(error <= 1e-4f * scale, $"row {r}, element {j}: {actual[r * width + j]} vs {expected[r][j]} (error {error}, row scale {scale})");
            }
        }
    }

    [Fact]
    public void HuggingFaceLayoutMatchesPyTorch()
    {
        using var doc = ClipTextReference.Expected();
        var encoder = ClipTextEncoder.Load(Hf);
        Assert.Equal(ClipTextLayout.HuggingFace, encoder.Config.Layout);
        Assert.Equal(ClipTextActivation.QuickGelu, encoder.Config.Activation);
        Assert.Equal(ClipTextReadout.ArgmaxId, encoder.Config.Readout); // eos_token_id 2, as openai/clip-vit-base-patch16
        Assert.Equal((24, 3, 2, 48, 77, 16), (encoder.Config.Width, encoder.Config.Heads, encoder.Config.Layers,
            encoder.Config.MlpHidden, encoder.Config.ContextLength, encoder.EmbeddingSize));
        AssertRows(ClipTextReference.Rows(doc, "hf_embeddings"), encoder.Encode(ClipTextReference.Prompts(doc)), 16);
    }

    [Fact]
    public void OpenClipLayoutMatchesPyTorch()
    {
        using var doc = ClipTextReference.Expected();
        var encoder = ClipTextEncoder.Load(OpenClip);
        Assert.Equal(ClipTextLayout.OpenAi, encoder.Config.Layout);
        Assert.Equal(ClipTextActivation.Gelu, encoder.Config.Activation); // no quick_gelu in open_clip_config.json
        AssertRows(ClipTextReference.Rows(doc, "open_clip_embeddings"), encoder.Encode(ClipTextReference.Prompts(doc)), 16);
        // The weights file named directly finds the config and the tokenizer beside it.
        var direct = ClipTextEncoder.Load(Path.Combine(OpenClip, "open_clip_model.safetensors"));
        Assert.Equal(encoder.Encode(["a photo of a cat."]), direct.Encode(["a photo of a cat."]));
    }

    [Fact]
    public void FirstEndOfTextReadoutAndExactGelu()
    {
        // The same HF weights under a config with the real eos_token_id (first <|endoftext|>) and hidden_act gelu.
        using var doc = ClipTextReference.Expected();
        var dir = Directory.CreateTempSubdirectory("vitmix-cliptext-").FullName;
        try
        {
            foreach (var name in new[] { "model.safetensors", "vocab.json", "merges.txt" }) File.Copy(Path.Combine(Hf, name), Path.Combine(dir, name));
            File.Copy(Path.Combine(Hf, "config_gelu_eos.json"), Path.Combine(dir, "config.json"));
            var encoder = ClipTextEncoder.Load(dir);
            Assert.Equal(ClipTextReadout.FirstEndOfText, encoder.Config.Readout);
            Assert.Equal(ClipTextActivation.Gelu, encoder.Config.Activation);
            AssertRows(ClipTextReference.Rows(doc, "hf_gelu_eos_embeddings"), encoder.Encode(ClipTextReference.Prompts(doc)), 16);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void StandaloneTextModelConfigLoadsTheSameTower()
    {
        // CLIPTextModelWithProjection's config.json: the text fields at the root, model_type clip_text_model.
        using var doc = ClipTextReference.Expected();
        var dir = Directory.CreateTempSubdirectory("vitmix-cliptext-").FullName;
        try
        {
            foreach (var name in new[] { "model.safetensors", "vocab.json", "merges.txt" }) File.Copy(Path.Combine(Hf, name), Path.Combine(dir, name));
            using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(Hf, "config.json"))))
                File.WriteAllText(Path.Combine(dir, "config.json"), config.RootElement.GetProperty("text_config").GetRawText());
            var encoder = ClipTextEncoder.Load(dir);
            AssertRows(ClipTextReference.Rows(doc, "hf_embeddings"), encoder.Encode(ClipTextReference.Prompts(doc)), 16);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void OpenClipProjectionWithBias()
    {
        // open_clip's proj_bias: text_projection is an nn.Linear (E, W) with a bias instead of the (W, E) parameter.
        using var doc = ClipTextReference.Expected();
        var dir = Directory.CreateTempSubdirectory("vitmix-cliptext-").FullName;
        try
        {
            var entries = new List<Vitmix.Model.Checkpoints.SafeTensorEntry>();
            using (var f = Vitmix.Model.Checkpoints.SafeTensorsFile.Open(Path.Combine(OpenClip, "open_clip_model.safetensors")))
                foreach (var info in f.Tensors)
                {
                    var data = f.ReadFloats(info.Name);
                    var shape = f.IntShape(info);
                    if (info.Name != "text_projection") { entries.Add(new(info.Name, shape, data)); continue; }
                    int w = shape[0], e = shape[1];
                    var linear = new float[e * w];
                    for (int r = 0; r < w; r++) for (int k = 0; k < e; k++) linear[k * w + r] = data[r * e + k];
                    entries.Add(new("text_projection.weight", [e, w], linear));
                    entries.Add(new("text_projection.bias", [e], Enumerable.Range(0, e).Select(k => 0.5f * k).ToArray()));
                }
            Vitmix.Model.Checkpoints.SafeTensorsWriter.Write(Path.Combine(dir, "open_clip_model.safetensors"), entries);
            foreach (var name in new[] { "open_clip_config.json", "bpe_simple_vocab_16e6.txt.gz" }) File.Copy(Path.Combine(OpenClip, name), Path.Combine(dir, name));
            var encoder = ClipTextEncoder.Load(dir);
            Assert.True(encoder.Config.ProjectionBias);
            var expected = ClipTextReference.Rows(doc, "open_clip_embeddings").Select(row => row.Select((v, k) => v + 0.5f * k).ToArray()).ToArray();
            AssertRows(expected, encoder.Encode(ClipTextReference.Prompts(doc)), 16);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void PaddingAndOtherRowsDoNotChangeAnEmbedding()
    {
        var encoder = ClipTextEncoder.Load(Hf);
        var alone = encoder.Encode(["a photo of a dog"]);
        var batch = encoder.Encode(["a photo of a cat.", "a photo of a dog", "a photo of a dog"]);
        Assert.Equal(alone, batch[16..32]);
        Assert.Equal(alone, batch[32..48]);
        Assert.NotEqual(alone, batch[..16]);
        Assert.Empty(encoder.Encode([]));
    }

    [Fact]
    public void BareOpenAiStateDictIsSizedAsBuildModelSizesIt()
    {
        var dir = Directory.CreateTempSubdirectory("vitmix-cliptext-").FullName;
        try
        {
            string file = Path.Combine(dir, "ViT-B-32.safetensors");
            File.Copy(Path.Combine(OpenClip, "open_clip_model.safetensors"), file);
            var encoder = ClipTextEncoder.Load(file, tokenizer: Path.Combine(OpenClip, "bpe_simple_vocab_16e6.txt.gz"));
            // openai/CLIP build_model: heads = width // 64 (here 24 // 64 = 0, kept at 1), QuickGELU, sizes from shapes.
            Assert.Equal((1, 2, 48, 77, 614, 16, ClipTextActivation.QuickGelu), (encoder.Config.Heads, encoder.Config.Layers,
                encoder.Config.MlpHidden, encoder.Config.ContextLength, encoder.Config.VocabSize, encoder.EmbeddingSize, encoder.Config.Activation));
            Assert.Equal(16, encoder.Encode(["a cat"]).Length);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void HasTextTowerReadsOnlyTheHeader()
    {
        Assert.True(ClipTextEncoder.HasTextTower(Hf));
        Assert.True(ClipTextEncoder.HasTextTower(Path.Combine(OpenClip, "open_clip_model.safetensors")));
        Assert.False(ClipTextEncoder.HasTextTower(Path.Combine(Hf, "absent")));
        Assert.False(ClipTextEncoder.HasTextTower(Path.Combine(Hf, "vocab.json")));
    }

    [Fact]
    public void PromptsFillTheTemplate()
    {
        Assert.Equal(["a photo of a cat.", "a photo of a golden retriever."],
            ClipTextEncoder.Prompts("a photo of a {}.", ["cat", "golden retriever"]));
        Assert.Equal(["cat or cat"], ClipTextEncoder.Prompts("{} or {}", ["cat"]));
        var e = Assert.Throws<ArgumentException>(() => ClipTextEncoder.Prompts("a photo", ["cat"]));
        Assert.Contains("{}", e.Message);
    }
}
