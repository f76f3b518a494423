using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Vitmix.TextTower;

/// <summary>
/// CLIP's text clean-up before pre-tokenisation: <c>whitespace_clean(basic_clean(text)).lower()</c> (openai/CLIP
/// <c>clip/simple_tokenizer.py</c>, commit 0848ed7), where basic_clean is <c>ftfy.fix_text</c>, then
/// <c>html.unescape</c> twice, then <c>strip</c>; whitespace_clean turns every run of whitespace into one space.
/// </summary>
/// <remarks>
/// ftfy is not ported whole. Done here, in ftfy's order: terminal escape removal, its Latin ligature and character
/// width fixes (ﬁ → fi, fullwidth ASCII forms and U+3000 → ASCII), quote uncurling (‘ ’ ‚ ‛ ʼ → ', “ ” „ ‟ → ") and
/// control character removal. Not done: ftfy's mojibake repair (fix_encoding: text that was decoded with the wrong
/// codec, e.g. "cafÃ©" stays as it is, ftfy would give "café"), its C1-control and surrogate fixes, the halfwidth
/// katakana/hangul forms of the width fix, and its final NFC normalisation (the library runs with InvariantGlobalization,
/// where string.Normalize is a no-op: a decomposed "e" + U+0301 stays two characters, where ftfy composes "é").
/// html.unescape is <see cref="WebUtility.HtmlDecode(string)"/>, which knows the HTML 4 entity names and needs the closing ';' (Python's also knows the HTML 5 names and some without ';'). Lower-casing follows Python's
/// <c>str.lower</c>: full case mapping of İ (to "i̇") and the final-sigma rule, otherwise the simple mapping.
/// </remarks>
internal static partial class ClipTextCleaning
{
    public static string Clean(string text)
    {
        text = FixText(text);
        text = WebUtility.HtmlDecode(WebUtility.HtmlDecode(text));
        text = StripPython(text);
        text = CollapseWhitespace(text);
        return PythonLower(text);
    }

    /// <summary>The subset of ftfy's fix_text described in the class remarks, in ftfy's order.</summary>
    internal static string FixText(string text)
    {
        text = TerminalEscape().Replace(text, "");
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
            sb.Append(Ligature(rune.Value) ?? Width(rune.Value) ?? rune.ToString());
        text = sb.ToString();
        sb.Clear();
        foreach (var rune in text.EnumerateRunes())
        {
            int c = rune.Value;
            if (c == 0x02BC || c >= 0x2018 && c <= 0x201B) sb.Append('\'');
            else if (c >= 0x201C && c <= 0x201F) sb.Append('"');
            else if (!IsRemovedControl(c)) sb.Append(rune.ToString());
        }
        return sb.ToString();
    }

    // ftfy's fix_latin_ligatures: its LIGATURES table, each character replaced by its NFKC form. Written out because the
    // library runs with InvariantGlobalization, where string.Normalize leaves non-ASCII text as it is (checked).
    static string? Ligature(int c) => c switch
    {
        0x0132 => "IJ", 0x0133 => "ij", 0x013F => "L\u00b7", 0x0140 => "l\u00b7", 0x0149 => "\u02bcn",
        0x01C4 => "D\u017d", 0x01C5 => "D\u017e", 0x01C6 => "d\u017e", 0x01C7 => "LJ", 0x01C8 => "Lj", 0x01C9 => "lj",
        0x01CA => "NJ", 0x01CB => "Nj", 0x01CC => "nj", 0x01F1 => "DZ", 0x01F2 => "Dz", 0x01F3 => "dz",
        0xFB00 => "ff", 0xFB01 => "fi", 0xFB02 => "fl", 0xFB03 => "ffi", 0xFB04 => "ffl", 0xFB05 => "st", 0xFB06 => "st",
        _ => null,
    };

    // ftfy's fix_character_width (NFKC of U+FF01..U+FFEF, U+3000 → space), for the fullwidth ASCII forms and signs; the
    // halfwidth katakana, hangul and box-drawing forms are left as they are (see the class remarks).
    static string? Width(int c) => c switch
    {
        0x3000 => " ",
        >= 0xFF01 and <= 0xFF5E => ((char)(c - 0xFEE0)).ToString(),
        0xFF5F => "\u2985", 0xFF60 => "\u2986", 0xFFE0 => "\u00a2", 0xFFE1 => "\u00a3", 0xFFE2 => "\u00ac",
        0xFFE4 => "\u00a6", 0xFFE5 => "\u00a5", 0xFFE6 => "\u20a9",
        _ => null,
    };

    // ftfy's CONTROL_CHARS (tab, line feed and carriage return stay; whitespace_clean handles them).
    static bool IsRemovedControl(int c) => c is (>= 0x00 and <= 0x08) or 0x0B or (>= 0x0E and <= 0x1F) or 0x7F
        or (>= 0x206A and <= 0x206F) or 0xFEFF or (>= 0xFFF9 and <= 0xFFFC);

    [GeneratedRegex(@"\x1b\[((?:\d|;)*)([a-zA-Z])")]
    private static partial Regex TerminalEscape();

    /// <summary>Python's str.isspace: Unicode White_Space plus the information separators U+001C..U+001F.</summary>
    static bool IsPythonSpace(Rune r) => Rune.IsWhiteSpace(r) || r.Value is >= 0x1C and <= 0x1F;

    static string StripPython(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsPythonSpace(ClipPreTokenizer.RuneAt(text, start))) start += ClipPreTokenizer.RuneLength(text, start);
        while (end > start && IsPythonSpace(new Rune(char.IsSurrogate(text[end - 1]) ? '\uFFFD' : text[end - 1]))) end--;
        return text[start..end];
    }

    /// <summary><c>re.sub(r'\s+', ' ', text).strip()</c> with \s as Unicode White_Space (the <c>regex</c> module's).</summary>
    static string CollapseWhitespace(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool inSpace = false;
        for (int i = 0; i < text.Length; i += ClipPreTokenizer.RuneLength(text, i))
        {
            var r = ClipPreTokenizer.RuneAt(text, i);
            if (Rune.IsWhiteSpace(r)) { if (!inSpace) sb.Append(' '); inSpace = true; continue; }
            inSpace = false;
            sb.Append(text, i, ClipPreTokenizer.RuneLength(text, i));
        }
        return StripPython(sb.ToString());
    }

    /// <summary>Python's str.lower (see the class remarks).</summary>
    internal static string PythonLower(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i += ClipPreTokenizer.RuneLength(text, i))
        {
            var r = ClipPreTokenizer.RuneAt(text, i);
            if (char.IsSurrogate(text[i]) && ClipPreTokenizer.RuneLength(text, i) == 1) { sb.Append(text[i]); continue; }
            if (r.Value == 0x0130) sb.Append("i\u0307");
            else if (r.Value == 0x03A3) sb.Append(FinalSigma(text, i) ? 'ς' : 'σ');
            else sb.Append(Rune.ToLowerInvariant(r).ToString());
        }
        return sb.ToString();
    }

    // Unicode's Final_Sigma condition, as CPython applies it: a cased letter before (case-ignorable ones skipped) and none after.
    static bool FinalSigma(string text, int i)
    {
        int j = i - 1;
        while (j >= 0 && IsCaseIgnorable(text[j])) j--;
        if (j < 0 || !IsCased(text[j])) return false;
        j = i + 1;
        while (j < text.Length && IsCaseIgnorable(text[j])) j++;
        return j >= text.Length || !IsCased(text[j]);
    }

    static bool IsCased(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    static bool IsCaseIgnorable(char c) => c is '\'' or '.' or ':' or '·' or '\u2019' || char.GetUnicodeCategory(c) is
        UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
        or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
}
