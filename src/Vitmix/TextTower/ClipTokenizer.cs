using System.IO.Compression;
using System.Text.Json;
using Vitmix.Data;
using Vitmix.IO;

namespace Vitmix.TextTower;

/// <summary>
/// CLIP's byte-level byte-pair-encoding tokenizer (Radford et al. 2021; openai/CLIP <c>clip/simple_tokenizer.py</c>,
/// commit 0848ed7, and <c>clip/clip.py</c> <c>tokenize</c>; Hugging Face <c>CLIPTokenizer</c>,
/// <c>models/clip/tokenization_clip.py</c> commit 730f568, reads the same rules from <c>vocab.json</c> and
/// <c>merges.txt</c>). A prompt is cleaned and lower-cased, split by CLIP's pattern, each piece's UTF-8 bytes mapped to
/// printable symbols, the last symbol given the end-of-word suffix <c>&lt;/w&gt;</c>, and the symbols merged pair by
/// pair, lowest merge rank first; the ids are framed by &lt;|startoftext|&gt; and &lt;|endoftext|&gt;.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers 2.0.1 was tried first: a BpeTokenizer with ByteLevel, EndOfWordSuffix "&lt;/w&gt;", CLIP's
/// pattern as a RegexPreTokenizer and the special tokens, on this repository's reference fixture
/// (tests/reference/clip_text.py's 60 mixed texts). It has none of CLIP's clean-up (ftfy, HTML unescaping, Python
/// lower-casing), and with that clean-up done before it, 56 of 60 texts came out identical: .NET's \p{L} does not match
/// letters outside the BMP (𝐀, CJK extension B), and its special-token split differs where a punctuation run reaches
/// into "&lt;|endoftext|&gt;". CLIP's rules are written out here instead (no dependency, all 60 identical).
/// </remarks>
public sealed class ClipTokenizer
{
    /// <summary>CLIP's context length: 77 tokens, &lt;|startoftext|&gt; and &lt;|endoftext|&gt; included.</summary>
    public const int DefaultContextLength = 77;

    /// <summary>The number of merges CLIP uses (<c>merges[1:49152-256-2+1]</c>): later lines of a merges file are ignored, as there.</summary>
    public const int MaxMerges = 49152 - 256 - 2;

    /// <summary>Largest vocabulary accepted (entries and ids), far above CLIP's 49408.</summary>
    public const int MaxVocabulary = 1 << 20;

    readonly Dictionary<string, int> vocabulary;
    readonly Dictionary<(string, string), int> ranks;
    readonly string source;

    /// <summary>Id of &lt;|startoftext|&gt; (49406 in CLIP's vocabulary).</summary>
    public int StartOfText { get; }
    /// <summary>Id of &lt;|endoftext|&gt; (49407 in CLIP's vocabulary), the token the text transformer reads out.</summary>
    public int EndOfText { get; }
    /// <summary>Id that fills a row after &lt;|endoftext|&gt;: 0 for OpenAI/open_clip, the pad token for Hugging Face folders.</summary>
    public int Pad { get; }
    /// <summary>The largest id + 1: a text transformer's token embedding must have at least this many rows.</summary>
    public int VocabularySize { get; }

    /// <summary>Checks the vocabulary; <paramref name="padToken"/> null pads with id 0 (OpenAI).</summary>
    ClipTokenizer(Dictionary<string, int> vocabulary, Dictionary<(string, string), int> ranks, string? padToken, string source)
    {
        this.vocabulary = vocabulary;
        this.ranks = ranks;
        this.source = source;
        foreach (var b in ClipByteSymbols.OfByte)
            foreach (var symbol in new[] { b, b + "</w>" })
                if (!vocabulary.ContainsKey(symbol))
                    throw new InvalidDataException($"{source}: has no entry for the byte symbol '{symbol}' (a CLIP vocabulary holds all 512 byte symbols)");
        StartOfText = vocabulary.TryGetValue(ClipPreTokenizer.StartOfText, out int sot) ? sot
            : throw new InvalidDataException($"{source}: has no entry for {ClipPreTokenizer.StartOfText}");
        EndOfText = vocabulary.TryGetValue(ClipPreTokenizer.EndOfText, out int eot) ? eot
            : throw new InvalidDataException($"{source}: has no entry for {ClipPreTokenizer.EndOfText}");
        Pad = padToken == null ? 0 : vocabulary.TryGetValue(padToken, out int pad) ? pad
            : throw new InvalidDataException($"{source}: has no entry for the pad token {padToken}");
        VocabularySize = vocabulary.Values.Max() + 1;
    }

    /// <summary>
    /// Reads a Hugging Face tokenizer: <paramref name="vocabJson"/> (an object of symbol → id) and
    /// <paramref name="mergesTxt"/> (a "#version" line, then one "left right" merge per line, best first). Rows are padded
    /// with <paramref name="padToken"/>'s id (Hugging Face's CLIP tokenizers pad with &lt;|endoftext|&gt;).
    /// Errors name the file and what was wrong in it.
    /// </summary>
    public static ClipTokenizer FromVocabAndMerges(string vocabJson, string mergesTxt, string padToken = ClipPreTokenizer.EndOfText)
    {
        var vocabulary = ReadVocabulary(vocabJson);
        var lines = ReadText(mergesTxt, "a merges.txt file").Trim().Split('\n');
        var ranks = Ranks(ParseMerges(lines, mergesTxt));
        return new ClipTokenizer(vocabulary, ranks, padToken, vocabJson);
    }

    /// <summary>
    /// Reads OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c> (what openai/CLIP and open_clip ship in their packages): merges
    /// only, the vocabulary built from them as <c>SimpleTokenizer</c> builds it (256 byte symbols, the same with
    /// &lt;/w&gt;, one entry per merge, then &lt;|startoftext|&gt; and &lt;|endoftext|&gt;). Rows are padded with 0.
    /// </summary>
    public static ClipTokenizer FromOpenAiBpe(string bpeGz)
    {
        string text;
        try
        {
            var compressed = InputFile.ReadAll(bpeGz, "a gzip-compressed BPE merges file", InputLimits.MaxTextFileBytes);
            using var gz = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var bounded = new MemoryStream();
            var buffer = new byte[1 << 16];
            for (int n; (n = gz.Read(buffer)) > 0;)
            {
                if (bounded.Length + n > InputLimits.MaxTextFileBytes)
                    throw new InvalidDataException($"{bpeGz}: decompresses to more than {InputLimits.MaxTextFileBytes} bytes");
                bounded.Write(buffer, 0, n);
            }
            text = new System.Text.UTF8Encoding(false, true).GetString(bounded.GetBuffer(), 0, (int)bounded.Length);
        }
        catch (Exception e) when (e is InvalidDataException { Message: var m } && !m.StartsWith(bpeGz, StringComparison.Ordinal)
            || e is System.Text.DecoderFallbackException)
        {
            throw new InvalidDataException($"{bpeGz}: not a gzip-compressed UTF-8 text file ({e.Message.ReplaceLineEndings(" ")})");
        }
        var merges = ParseMerges(text.Split('\n'), bpeGz);
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var b in ClipByteSymbols.Order) vocabulary[ClipByteSymbols.OfByte[b]] = vocabulary.Count;
        foreach (var b in ClipByteSymbols.Order) vocabulary[ClipByteSymbols.OfByte[b] + "</w>"] = vocabulary.Count;
        // As SimpleTokenizer: a list of 512 + merges + 2 entries whose position is the id (a repeated entry keeps the later id).
        int next = vocabulary.Count;
        foreach (var (left, right) in merges) vocabulary[left + right] = next++;
        vocabulary[ClipPreTokenizer.StartOfText] = next++;
        vocabulary[ClipPreTokenizer.EndOfText] = next;
        return new ClipTokenizer(vocabulary, Ranks(merges), null, bpeGz);
    }

    /// <summary>
    /// The tokenizer in <paramref name="folder"/>: <c>vocab.json</c> + <c>merges.txt</c> (a Hugging Face repository; the pad
    /// token from <c>special_tokens_map.json</c> or <c>tokenizer_config.json</c> when they name one), else
    /// <c>bpe_simple_vocab_16e6.txt.gz</c>; null when the folder holds neither (open_clip hub folders often hold only
    /// the weights: open_clip takes the vocabulary from its own package).
    /// </summary>
    public static ClipTokenizer? FromFolder(string folder)
    {
        string vocab = Path.Combine(folder, "vocab.json"), merges = Path.Combine(folder, "merges.txt");
        if (File.Exists(vocab) || File.Exists(merges))
        {
            if (!File.Exists(vocab)) throw new FileNotFoundException($"{vocab}: file not found (merges.txt is there; a CLIP tokenizer needs both)", vocab);
            if (!File.Exists(merges)) throw new FileNotFoundException($"{merges}: file not found (vocab.json is there; a CLIP tokenizer needs both)", merges);
            return FromVocabAndMerges(vocab, merges, PadToken(folder) ?? ClipPreTokenizer.EndOfText);
        }
        string gz = Path.Combine(folder, "bpe_simple_vocab_16e6.txt.gz");
        return File.Exists(gz) ? FromOpenAiBpe(gz) : null;
    }

    /// <summary>
    /// A tokenizer from <paramref name="path"/>: a folder (as <see cref="FromFolder"/>, an error when it holds no
    /// tokenizer), a <c>.gz</c> BPE file, or a <c>vocab.json</c> with <c>merges.txt</c> beside it.
    /// </summary>
    public static ClipTokenizer Load(string path)
    {
        if (Directory.Exists(path))
            return FromFolder(path) ?? throw new FileNotFoundException(
                $"{path}: no CLIP tokenizer here (expected vocab.json + merges.txt, or bpe_simple_vocab_16e6.txt.gz)", path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return FromOpenAiBpe(path);
        string merges = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "merges.txt");
        return FromVocabAndMerges(path, merges);
    }

    /// <summary>
    /// The ids of <paramref name="text"/>: &lt;|startoftext|&gt;, the pieces' ids, &lt;|endoftext|&gt;; not truncated, not
    /// padded. Throws an <see cref="InvalidDataException"/> naming the vocabulary when a merged symbol has no id.
    /// </summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int> { StartOfText };
        foreach (var piece in ClipPreTokenizer.Split(ClipTextCleaning.Clean(text)))
        {
            if (piece is ClipPreTokenizer.StartOfText or ClipPreTokenizer.EndOfText)
            {
                // simple_tokenizer's cache maps the special tokens to themselves: never split, never suffixed.
                ids.Add(piece == ClipPreTokenizer.StartOfText ? StartOfText : EndOfText);
                continue;
            }
            foreach (var symbol in BytePairEncode(ClipByteSymbols.Encode(piece)))
                ids.Add(vocabulary.TryGetValue(symbol, out int id) ? id
                    : throw new InvalidDataException($"{source}: has no entry for the merged symbol '{symbol}' (a merge whose result is not in the vocabulary)"));
        }
        ids.Add(EndOfText);
        return [.. ids];
    }

    /// <summary>
    /// The rows of <paramref name="texts"/> as <c>clip.tokenize(texts, truncate=True)</c> builds them: row-major
    /// (count, <paramref name="contextLength"/>); a row longer than the context is cut and its last id set to
    /// &lt;|endoftext|&gt;; shorter rows are padded with <see cref="Pad"/>.
    /// </summary>
    public int[] Tokenize(IReadOnlyList<string> texts, int contextLength = DefaultContextLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (contextLength < 2) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "the context must hold at least <|startoftext|> and <|endoftext|>");
        var rows = new int[checked(texts.Count * contextLength)];
        for (int r = 0; r < texts.Count; r++)
        {
            var ids = Encode(texts[r]);
            var row = rows.AsSpan(r * contextLength, contextLength);
            row.Fill(Pad);
            if (ids.Length > contextLength)
            {
                ids.AsSpan(0, contextLength).CopyTo(row);
                row[^1] = EndOfText;
            }
            else ids.CopyTo(row);
        }
        return rows;
    }

    /// <summary>simple_tokenizer's <c>bpe</c>: the symbols of one piece after merging (the last one suffixed &lt;/w&gt;).</summary>
    internal List<string> BytePairEncode(string symbols)
    {
        var word = new List<string>();
        for (int i = 0; i < symbols.Length; i++) word.Add(symbols[i].ToString());
        word[^1] += "</w>";
        while (word.Count > 1)
        {
            // The pair of lowest rank; all its occurrences are merged left to right, as in one pass of CLIP's loop.
            int best = int.MaxValue;
            (string, string) bigram = default;
            for (int i = 0; i + 1 < word.Count; i++)
                if (ranks.TryGetValue((word[i], word[i + 1]), out int rank) && rank < best) { best = rank; bigram = (word[i], word[i + 1]); }
            if (best == int.MaxValue) break;
            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count;)
            {
                if (i + 1 < word.Count && word[i] == bigram.Item1 && word[i + 1] == bigram.Item2)
                {
                    merged.Add(bigram.Item1 + bigram.Item2);
                    i += 2;
                }
                else merged.Add(word[i++]);
            }
            word = merged;
        }
        return word;
    }

    /// <summary>The merges in file order; <see cref="Ranks"/> gives each pair its rank.</summary>
    static List<(string Left, string Right)> ParseMerges(string[] lines, string path)
    {
        var merges = new List<(string, string)>();
        // Line 0 is the "#version" header, skipped unread as CLIP does; then at most MaxMerges merges.
        for (int i = 1; i < lines.Length && i <= MaxMerges; i++)
        {
            if (i == lines.Length - 1 && string.IsNullOrWhiteSpace(lines[i])) break; // a final newline
            var parts = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new InvalidDataException($"{path}: line {i + 1} is \"{Shorten(lines[i])}\", expected two symbols separated by a space");
            merges.Add((parts[0], parts[1]));
        }
        if (merges.Count == 0) throw new InvalidDataException($"{path}: holds no merges (expected a \"#version\" line, then one \"left right\" pair per line)");
        return merges;
    }

    /// <summary><c>dict(zip(merges, range(len(merges))))</c>: a repeated pair keeps its later rank, as in Python.</summary>
    static Dictionary<(string, string), int> Ranks(List<(string Left, string Right)> merges)
    {
        var ranks = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++) ranks[merges[i]] = i;
        return ranks;
    }

    static Dictionary<string, int> ReadVocabulary(string path)
    {
        var bytes = ReadBytes(path, "a vocab.json file");
        using var doc = Vitmix.Model.Checkpoints.JsonFields.ParseText(bytes, path);
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<int>();
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0 || id >= MaxVocabulary)
                throw new InvalidDataException($"{path}: \"{Shorten(entry.Name)}\" maps to {Shorten(entry.Value.GetRawText())}, expected an id from 0 to {MaxVocabulary - 1}");
            if (!seen.Add(id)) throw new InvalidDataException($"{path}: id {id} is given to two symbols (the second is \"{Shorten(entry.Name)}\")");
            if (!vocabulary.TryAdd(entry.Name, id)) throw new InvalidDataException($"{path}: \"{Shorten(entry.Name)}\" appears twice");
            if (vocabulary.Count > MaxVocabulary) throw new InvalidDataException($"{path}: more than {MaxVocabulary} entries");
        }
        return vocabulary;
    }

    static string? PadToken(string folder)
    {
        foreach (var name in new[] { "special_tokens_map.json", "tokenizer_config.json" })
        {
            string file = Path.Combine(folder, name);
            if (!File.Exists(file)) continue;
            using var doc = Vitmix.Model.Checkpoints.JsonFields.ParseFile(file);
            if (!doc.RootElement.TryGetProperty("pad_token", out var pad)) continue;
            // Either a plain string or an AddedToken object {"content": ...}.
            if (pad.ValueKind == JsonValueKind.String) return pad.GetString();
            if (pad.ValueKind == JsonValueKind.Object && pad.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) return c.GetString();
        }
        return null;
    }

    static byte[] ReadBytes(string path, string what)
    {
        try { return InputFile.ReadAll(path, what, InputLimits.MaxTextFileBytes); }
        catch (Exception e) when (e is IOException and not FileNotFoundException or UnauthorizedAccessException)
        {
            string reason = e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;
            throw new InvalidDataException($"{path}: cannot read: {reason.ReplaceLineEndings(" ")}");
        }
    }

    static string ReadText(string path, string what)
    {
        try { return new System.Text.UTF8Encoding(false, true).GetString(ReadBytes(path, what)).TrimStart('\uFEFF'); }
        catch (System.Text.DecoderFallbackException) { throw new InvalidDataException($"{path}: is not UTF-8 text"); }
    }

    static string Shorten(string s) => (s.Length > 60 ? s[..60] + "…" : s).ReplaceLineEndings(" ");
}
