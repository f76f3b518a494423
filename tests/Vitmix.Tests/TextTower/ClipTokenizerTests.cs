using System.Text;
using System.Text.Json;
using Vitmix.TextTower;

namespace Vitmix.Tests.TextTower;

/// <summary>
/// Token ids worked out by hand from CLIP's published rules (openai/CLIP clip/simple_tokenizer.py) on a vocabulary
/// written here: the 512 byte symbols in bytes_to_unicode order (a printable byte b in '!'..'~' has id b − 33, the same
/// symbol with &lt;/w&gt; id b − 33 + 256), then one entry per merge, then &lt;|startoftext|&gt; and &lt;|endoftext|&gt;.
/// </summary>
public sealed class ClipTokenizerTests : IDisposable
{
    // rank: merge → id of its result
    static readonly string[] Merges =
    [
        "c a",          // 0 → 512 "ca"
        "ca t</w>",     // 1 → 513 "cat</w>"
        "h o",          // 2 → 514 "ho"
        "p ho",         // 3 → 515 "pho"
        "t o</w>",      // 4 → 516 "to</w>"
        "pho to</w>",   // 5 → 517 "photo</w>"
        "' s</w>",      // 6 → 518 "'s</w>"
    ];
    const int Sot = 519, Eot = 520;
    // Ids of single symbols: printable ASCII b → b − 33; with </w>, + 256.
    static int S(char c) => c - 33;
    static int W(char c) => c - 33 + 256;

    readonly string dir = Directory.CreateTempSubdirectory("vitmix-cliptok-").FullName;
    readonly ClipTokenizer tokenizer;

    public ClipTokenizerTests()
    {
        WriteFixture(dir, Merges);
        tokenizer = ClipTokenizer.FromFolder(dir)!;
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>vocab.json (CLIP's construction) and merges.txt for <paramref name="merges"/>, as a Hugging Face folder holds them.</summary>
    internal static void WriteFixture(string folder, IReadOnlyList<string> merges)
    {
        var vocab = new List<string>();
        foreach (var b in ClipByteSymbols.Order) vocab.Add(ClipByteSymbols.OfByte[b]);
        foreach (var b in ClipByteSymbols.Order) vocab.Add(ClipByteSymbols.OfByte[b] + "</w>");
        vocab.AddRange(merges.Select(m => m.Replace(" ", "")));
        vocab.Add("<|startoftext|>");
        vocab.Add("<|endoftext|>");
        var json = JsonSerializer.Serialize(vocab.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i));
        File.WriteAllText(Path.Combine(folder, "vocab.json"), json, new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\n" + string.Join("\n", merges) + "\n", new UTF8Encoding(false));
    }

    [Fact]
    public void ByteSymbolOrderIsClips()
    {
        // bytes_to_unicode: '!'..'~' first, then '¡'..'¬', '®'..'ÿ', then the other 68 bytes as U+0100 + n in byte order.
        Assert.Equal((byte)'!', ClipByteSymbols.Order[0]);
        Assert.Equal((byte)'~', ClipByteSymbols.Order[93]);
        Assert.Equal(0xA1, ClipByteSymbols.Order[94]);
        Assert.Equal(0xAE, ClipByteSymbols.Order[106]);
        Assert.Equal(0, ClipByteSymbols.Order[188]);
        Assert.Equal("\u0100", ClipByteSymbols.OfByte[0]);
        Assert.Equal("\u0120", ClipByteSymbols.OfByte[' ']); // GPT-2's 'Ġ'
        Assert.Equal("\u0143", ClipByteSymbols.OfByte[0xAD]);  // the last of the 68
    }

    [Fact]
    public void PhotoOfACat()
    {
        // "photo": p h o t o</w> → (h,o) rank 2 → p ho t o</w> → (p,ho) 3 → pho t o</w> → (t,o</w>) 4 → pho to</w> → 5 → photo</w>.
        // "of": o f</w>, no merge. "cat": (c,a) 0 → ca t</w> → 1 → cat</w>. "." → .</w>.
        Assert.Equal([Sot, W('a'), 517, S('o'), W('f'), W('a'), 513, W('.'), Eot], tokenizer.Encode("a photo of a cat."));
    }

    [Fact]
    public void CaseSpacesApostrophesAndPunctuation()
    {
        // Cleaned to "the cat's toy!!": the contraction 's is its own piece (so "cat" ends in </w>), "toy" has no merge
        // ((t,o) is not (t,o</w>)), "!!" is one piece of two symbols.
        Assert.Equal([Sot, S('t'), S('h'), W('e'), 513, 518, S('t'), S('o'), W('y'), S('!'), W('!'), Eot],
            tokenizer.Encode("  The CAT's \t\n  toy!!  "));
        // "it's" → "it" + "'s"; an apostrophe not before s/t/re/ve/m/ll/d joins the punctuation run.
        Assert.Equal([Sot, S('i'), W('t'), 518, Eot], tokenizer.Encode("it's"));
        Assert.Equal([Sot, W('x'), S('\''), W('\''), W('y'), Eot], tokenizer.Encode("x '' y"));
    }

    [Fact]
    public void NumbersAreSingleDigits()
    {
        // [\p{N}] matches one digit at a time; "cats" merges (c,a) only: ca t s</w>.
        Assert.Equal([Sot, W('1'), W('2'), 512, S('t'), W('s'), Eot], tokenizer.Encode("12 cats"));
    }

    [Fact]
    public void UnicodeLettersAreUtf8ByteSymbols()
    {
        // "Café" → "café": c a f and é's bytes C3 A9, whose symbols 'Ã' (id 106 + 0xC3 − 0xAE = 127) and '©' (94 + 0xA9 − 0xA1 = 102, + 256 with </w>).
        Assert.Equal([Sot, 512, S('f'), 127, 102 + 256, Eot], tokenizer.Encode("Café"));
        // Python lower-cases İ to "i" + U+0307 (combining dot, not a letter: its own piece, bytes CC 87).
        // 0xCC → 106 + 0xCC − 0xAE = 136; 0x87 is the 42nd non-printable byte (0..32, then 127.. → 33 + 8) → 188 + 41, + 256.
        Assert.Equal([Sot, W('i'), 136, 188 + 41 + 256, Eot], tokenizer.Encode("İ"));
        // A letter outside the BMP is a letter (𝐀, 4 bytes), not punctuation; it joins the following letters.
        var math = tokenizer.Encode("𝐀a");
        Assert.Equal(2 + 5, math.Length);
        Assert.Equal(W('a'), math[^2]);
    }

    [Fact]
    public void SpecialTokensAndHtmlEntities()
    {
        Assert.Equal([Sot, Eot, Eot], tokenizer.Encode("<|endoftext|>"));
        Assert.Equal([Sot, Sot, 513, Eot], tokenizer.Encode("<|StartOfText|>cat"));
        // html.unescape: "cat &amp; dog" → "cat & dog".
        Assert.Equal([Sot, 513, W('&'), S('d'), S('o'), W('g'), Eot], tokenizer.Encode("cat &amp; dog"));
    }

    [Fact]
    public void FtfySubsetUncurlsQuotesAndUnfoldsLigaturesAndWidths()
    {
        Assert.Equal(tokenizer.Encode("it's"), tokenizer.Encode("it\u2019s"));
        Assert.Equal(tokenizer.Encode("\"cat\""), tokenizer.Encode("\u201ccat\u201d"));
        Assert.Equal(tokenizer.Encode("fish"), tokenizer.Encode("\ufb01sh"));
        Assert.Equal(tokenizer.Encode("cat 1"), tokenizer.Encode("\uff43\uff41\uff54\u3000\uff11"));
        // ftfy's control characters and terminal escapes are removed.
        Assert.Equal(tokenizer.Encode("cat"), tokenizer.Encode("\ufeffc\u0000a\u007ft"));
        Assert.Equal(tokenizer.Encode("cat"), tokenizer.Encode("\u001b[31mcat\u001b[0m"));
    }

    [Fact]
    public void LongPromptsAreTruncatedKeepingEndOfText()
    {
        var prompt = string.Concat(Enumerable.Repeat("cat ", 100));
        Assert.Equal(102, tokenizer.Encode(prompt).Length);
        var row = tokenizer.Tokenize([prompt]);
        Assert.Equal(77, row.Length);
        Assert.Equal(Sot, row[0]);
        Assert.All(row[1..76], id => Assert.Equal(513, id));
        Assert.Equal(Eot, row[76]);
    }

    [Fact]
    public void RowsArePaddedWithThePadToken()
    {
        // A Hugging Face folder pads with <|endoftext|> (the default, or special_tokens_map.json's pad_token) ...
        Assert.Equal([Sot, W('a'), 513, Eot, Eot, Eot], tokenizer.Tokenize(["a cat"], 6));
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), "{\"pad_token\": \"!\"}");
        Assert.Equal([Sot, W('a'), 513, Eot, 0, 0], ClipTokenizer.FromFolder(dir)!.Tokenize(["a cat"], 6));
        // ... OpenAI's tokenize pads with 0.
        string gz = Path.Combine(dir, "bpe_simple_vocab_16e6.txt.gz");
        using (var f = new System.IO.Compression.GZipStream(File.Create(gz), System.IO.Compression.CompressionLevel.Fastest))
            f.Write(Encoding.UTF8.GetBytes("\"bpe_simple_vocab_16e6.txt#version: 0.2\n" + string.Join("\n", Merges)));
        var openai = ClipTokenizer.FromOpenAiBpe(gz);
        Assert.Equal([Sot, W('a'), 513, Eot, 0, 0], openai.Tokenize(["a cat"], 6));
        Assert.Equal(tokenizer.Encode("a photo of a cat's cat."), openai.Encode("a photo of a cat's cat."));
    }

    [Fact]
    public void MatchesThePythonPortOnTheReferenceFixture()
    {
        // tests/reference/clip_text.py ran simple_tokenizer's rules (with the `regex` module) on 60 mixed texts.
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ClipTextReference.Root, "expected.json")));
        var texts = doc.RootElement.GetProperty("tokenizer_texts").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var ids = doc.RootElement.GetProperty("tokenizer_ids").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        var hf = ClipTokenizer.FromFolder(Path.Combine(ClipTextReference.Root, "hf"))!;
        var openai = ClipTokenizer.FromFolder(Path.Combine(ClipTextReference.Root, "open_clip"))!;
        Assert.Equal(60, texts.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(ids[i].SequenceEqual(hf.Encode(texts[i])), $"text {i} {JsonSerializer.Serialize(texts[i])}: [{string.Join(", ", hf.Encode(texts[i]))}] != [{string.Join(", ", ids[i])}]");
            Assert.Equal(ids[i], openai.Encode(texts[i]));
        }
    }

    [Fact]
    public void ReferenceRowsArePaddedAsEachLibraryPads()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ClipTextReference.Root, "expected.json")));
        var prompts = ClipTextReference.Prompts(doc);
        var hf = ClipTokenizer.FromFolder(Path.Combine(ClipTextReference.Root, "hf"))!;
        var openai = ClipTokenizer.FromFolder(Path.Combine(ClipTextReference.Root, "open_clip"))!;
        Assert.Equal(ClipTextReference.Ints(doc, "hf_tokens"), hf.Tokenize(prompts));
        Assert.Equal(ClipTextReference.Ints(doc, "open_clip_tokens"), openai.Tokenize(prompts));
    }
}
