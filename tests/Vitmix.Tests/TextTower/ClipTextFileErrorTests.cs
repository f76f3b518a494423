using System.Text;
using Vitmix.TextTower;

namespace Vitmix.Tests.TextTower;

/// <summary>Missing and ill-formed tokenizer, config and weight files give one clear error naming the file.</summary>
public sealed class ClipTextFileErrorTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vitmix-cliperr-").FullName;
    static string Hf => Path.Combine(ClipTextReference.Root, "hf");
    static string OpenClip => Path.Combine(ClipTextReference.Root, "open_clip");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string Write(string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    string CopyHf(params string[] skip)
    {
        foreach (var f in Directory.GetFiles(Hf))
            if (!skip.Contains(Path.GetFileName(f))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)), overwrite: true);
        return dir;
    }

    static T Fails<T>(Action action, params string[] parts) where T : Exception
    {
        var e = Assert.Throws<T>(action);
        foreach (var part in parts) Assert.Contains(part, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void MissingMergesBesideVocabularyIsNamed()
    {
        CopyHf("merges.txt");
        Fails<FileNotFoundException>(() => ClipTokenizer.FromFolder(dir), Path.Combine(dir, "merges.txt"), "needs both");
    }

    [Fact]
    public void IllFormedVocabularyIsNamed()
    {
        var merges = Write("merges.txt", "#version: 0.2\nc a\n");
        Fails<InvalidDataException>(() => ClipTokenizer.FromVocabAndMerges(Write("vocab.json", "[1, 2]"), merges), "vocab.json", "expected an object");
        Fails<InvalidDataException>(() => ClipTokenizer.FromVocabAndMerges(Write("vocab.json", "{\"a\": 0,"), merges), "vocab.json", "not valid JSON");
        Fails<InvalidDataException>(() => ClipTokenizer.FromVocabAndMerges(Write("vocab.json", "{\"a\": \"0\"}"), merges), "vocab.json", "\"a\"", "expected an id");
        Fails<InvalidDataException>(() => ClipTokenizer.FromVocabAndMerges(Write("vocab.json", "{\"a\": 99999999999}"), merges), "vocab.json", "expected an id");
        Fails<InvalidDataException>(() => ClipTokenizer.FromVocabAndMerges(Write("vocab.json", "{\"a\": 1, \"b\": 1}"), merges), "vocab.json", "id 1");
        // Well-formed JSON but not a CLIP vocabulary: the byte symbols or the special tokens are missing.
        Fails<InvalidDataException>(() => ClipTokenizer.FromVocabAndMerges(Write("vocab.json", "{\"a\": 0}"), merges), "vocab.json", "byte symbol");
    }

    [Fact]
    public void VocabularyWithoutEndOfTextIsNamed()
    {
        CopyHf();
        var text = File.ReadAllText(Path.Combine(dir, "vocab.json")).Replace("\"<|endoftext|>\"", "\"<|end|>\"");
        Write("vocab.json", text);
        Fails<InvalidDataException>(() => ClipTokenizer.FromVocabAndMerges(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt")),
            "vocab.json", "<|endoftext|>");
    }

    [Fact]
    public void IllFormedMergesAreNamedWithTheLine()
    {
        CopyHf();
        Write("merges.txt", "#version: 0.2\nc a\nthree symbols here\n");
        Fails<InvalidDataException>(() => ClipTokenizer.FromFolder(dir), "merges.txt", "line 3", "two symbols");
        Write("merges.txt", "#version: 0.2\n");
        Fails<InvalidDataException>(() => ClipTokenizer.FromFolder(dir), "merges.txt", "no merges");
        File.WriteAllBytes(Path.Combine(dir, "merges.txt"), [0x23, 0xFF, 0xFE, 0x0A, 0x61, 0x20, 0x62]);
        Fails<InvalidDataException>(() => ClipTokenizer.FromFolder(dir), "merges.txt", "not UTF-8");
    }

    [Fact]
    public void CorruptGzipIsNamed()
    {
        var gz = Write("bpe_simple_vocab_16e6.txt.gz", "not gzip at all");
        Fails<InvalidDataException>(() => ClipTokenizer.FromOpenAiBpe(gz), gz, "gzip");
        Fails<FileNotFoundException>(() => ClipTokenizer.Load(Path.Combine(dir, "absent.txt.gz")), "absent.txt.gz", "not found");
    }

    [Fact]
    public void FolderWithoutTokenizerSaysWhatToPass()
    {
        foreach (var f in new[] { "open_clip_model.safetensors", "open_clip_config.json" })
            File.Copy(Path.Combine(OpenClip, f), Path.Combine(dir, f));
        Fails<FileNotFoundException>(() => ClipTextEncoder.Load(dir), dir, "vocab.json", "bpe_simple_vocab_16e6.txt.gz");
        // Passing one works.
        Assert.Equal(16, ClipTextEncoder.Load(dir, Path.Combine(OpenClip, "bpe_simple_vocab_16e6.txt.gz")).EmbeddingSize);
    }

    [Fact]
    public void ConfigSizesAreCheckedBeforeAnyAllocation()
    {
        CopyHf();
        string config = Path.Combine(dir, "config.json");
        string original = File.ReadAllText(config);
        File.WriteAllText(config, original.Replace("\"hidden_size\": 24", "\"hidden_size\": 2000000000"));
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(dir), "config.json", "width 2000000000");
        File.WriteAllText(config, original.Replace("\"num_attention_heads\": 3", "\"num_attention_heads\": 5"));
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(dir), "config.json", "not a multiple of the 5 heads");
        File.WriteAllText(config, original.Replace("\"hidden_act\": \"quick_gelu\"", "\"hidden_act\": \"relu\""));
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(dir), "config.json", "hidden_act", "relu");
        File.WriteAllText(config, original.Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": \"two\""));
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(dir), "config.json", "num_hidden_layers", "expected an integer");
    }

    [Fact]
    public void ShapesThatDisagreeWithTheConfigAreNamed()
    {
        CopyHf();
        string config = Path.Combine(dir, "config.json");
        string original = File.ReadAllText(config);
        // A vocabulary of a million rows: refused from the header, not read into a huge array.
        File.WriteAllText(config, original.Replace("\"vocab_size\": 614", "\"vocab_size\": 1000000"));
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(dir), "model.safetensors", "text_model.embeddings.token_embedding.weight", "[1000000, 24]");
        File.WriteAllText(config, original.Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"));
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(dir), "model.safetensors", "encoder.layers.1", "1 text layers");
        File.WriteAllText(config, original.Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(dir), "model.safetensors", "no tensor named 'text_model.encoder.layers.2.");
        File.WriteAllText(config, original.Replace("\"vocab_size\": 614", "\"vocab_size\": 600"));
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(dir), "model.safetensors", "token embedding has 600 rows");
    }

    [Fact]
    public void MissingConfigAndUnsupportedOpenClipTowersAreNamed()
    {
        CopyHf("config.json");
        Fails<FileNotFoundException>(() => ClipTextEncoder.Load(dir), "config.json", "not found");
        Fails<FileNotFoundException>(() => ClipTextEncoder.Load(Path.Combine(dir, "absent")), "absent", "no such file or folder");
        var empty = Directory.CreateDirectory(Path.Combine(dir, "empty")).FullName;
        Fails<FileNotFoundException>(() => ClipTextEncoder.Load(empty), "open_clip_model.safetensors", "model.safetensors");

        var oc = Directory.CreateDirectory(Path.Combine(dir, "oc")).FullName;
        foreach (var f in Directory.GetFiles(OpenClip)) File.Copy(f, Path.Combine(oc, Path.GetFileName(f)));
        string config = Path.Combine(oc, "open_clip_config.json");
        string original = File.ReadAllText(config);
        File.WriteAllText(config, original.Replace("\"text_cfg\": {", "\"text_cfg\": {\"hf_model_name\": \"xlm-roberta-base\", "));
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(oc), "open_clip_config.json", "hf_model_name", "not supported");
        File.WriteAllText(config, original.Replace("\"text_cfg\": {", "\"text_cfg\": {\"pool_type\": \"last\", "));
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(oc), "open_clip_config.json", "pool_type");
    }

    [Fact]
    public void ImageOnlyCheckpointIsNamed()
    {
        var path = Path.Combine(dir, "vit.safetensors");
        Vitmix.Model.Checkpoints.SafeTensorsWriter.Write(path, [new("visual.proj", [2, 2], new float[4])]);
        Fails<InvalidDataException>(() => ClipTextEncoder.Load(path), path, "no CLIP text tower");
    }
}
