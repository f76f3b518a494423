namespace Vitmix.TextTower;

/// <summary>
/// CLIP's reversible map from the 256 byte values to printable characters (openai/CLIP <c>clip/simple_tokenizer.py</c>
/// <c>bytes_to_unicode</c>, commit 0848ed7): the printable Latin-1 bytes '!'..'~', '¡'..'¬' and '®'..'ÿ' stand for
/// themselves, every other byte for U+0100 + n in byte order. A vocabulary's first 256 entries are these symbols in
/// that order, the next 256 the same with CLIP's end-of-word suffix <c>&lt;/w&gt;</c>.
/// </summary>
internal static class ClipByteSymbols
{
    /// <summary>The symbol of each byte value.</summary>
    public static readonly string[] OfByte = Build(out OrderField);

    /// <summary>The byte values in CLIP's vocabulary order (the order of <c>bytes_to_unicode().values()</c>).</summary>
    public static IReadOnlyList<byte> Order => OrderField;
    static readonly byte[] OrderField;

    static string[] Build(out byte[] order)
    {
        var list = new List<int>();
        for (int b = '!'; b <= '~'; b++) list.Add(b);
        for (int b = 0xA1; b <= 0xAC; b++) list.Add(b);
        for (int b = 0xAE; b <= 0xFF; b++) list.Add(b);
        var symbols = new string[256];
        foreach (int b in list) symbols[b] = ((char)b).ToString();
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            if (symbols[b] != null) continue;
            symbols[b] = ((char)(256 + n++)).ToString();
            list.Add(b);
        }
        order = list.Select(b => (byte)b).ToArray();
        return symbols;
    }

    /// <summary>The symbols of the UTF-8 bytes of <paramref name="piece"/>, concatenated.</summary>
    public static string Encode(string piece)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(piece);
        var sb = new System.Text.StringBuilder(bytes.Length);
        foreach (var b in bytes) sb.Append(OfByte[b]);
        return sb.ToString();
    }
}
