using System.Globalization;
using System.Text;

namespace Vitmix.TextTower;

/// <summary>
/// Splits cleaned, lower-cased text into the pieces CLIP's regular expression finds (openai/CLIP
/// <c>clip/simple_tokenizer.py</c>, commit 0848ed7, used with <c>regex.findall</c>):
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>.
/// </summary>
/// <remarks>
/// Written as a scanner over Unicode scalar values rather than a .NET <see cref="System.Text.RegularExpressions.Regex"/>:
/// .NET matches \p{L} per UTF-16 code unit, so a letter outside the Basic Multilingual Plane (𝐀, CJK extension B) would
/// fall into the punctuation class, where Python's <c>regex</c> module sees one letter. The alternatives are tried in the
/// pattern's order at each position; a position where none matches (whitespace) is skipped, as findall does. \s is
/// Unicode White_Space, which is what the <c>regex</c> module matches (checked against it).
/// </remarks>
internal static class ClipPreTokenizer
{
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";
    static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    public static List<string> Split(string text)
    {
        var pieces = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            if (Match(text, i) is int length and > 0)
            {
                pieces.Add(text.Substring(i, length));
                i += length;
            }
            else i += RuneLength(text, i);
        }
        return pieces;
    }

    /// <summary>The length of the match starting at <paramref name="i"/>, or 0.</summary>
    static int Match(string text, int i)
    {
        // The pattern is compiled with IGNORECASE; its input is already lower-cased, so only the special tokens'
        // literal case could differ, and lower-casing cannot produce upper-case ASCII.
        if (text.AsSpan(i).StartsWith(StartOfText, StringComparison.OrdinalIgnoreCase)) return StartOfText.Length;
        if (text.AsSpan(i).StartsWith(EndOfText, StringComparison.OrdinalIgnoreCase)) return EndOfText.Length;
        foreach (var c in Contractions)
            if (text.AsSpan(i).StartsWith(c, StringComparison.OrdinalIgnoreCase)) return c.Length;
        var kind = Kind(text, i);
        if (kind == CharKind.Letter)
        {
            int end = i;
            while (end < text.Length && Kind(text, end) == CharKind.Letter) end += RuneLength(text, end);
            return end - i;
        }
        if (kind == CharKind.Number) return RuneLength(text, i);
        if (kind == CharKind.Other)
        {
            int end = i;
            while (end < text.Length && Kind(text, end) == CharKind.Other) end += RuneLength(text, end);
            return end - i;
        }
        return 0;
    }

    enum CharKind { Space, Letter, Number, Other }

    static CharKind Kind(string text, int i)
    {
        var rune = RuneAt(text, i);
        if (Rune.IsWhiteSpace(rune)) return CharKind.Space;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharKind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharKind.Number,
            _ => CharKind.Other,
        };
    }

    /// <summary>The scalar value at <paramref name="i"/>; a lone surrogate reads as U+FFFD (punctuation class).</summary>
    internal static Rune RuneAt(string text, int i) =>
        Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out _) == System.Buffers.OperationStatus.Done ? rune : Rune.ReplacementChar;

    internal static int RuneLength(string text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
}
