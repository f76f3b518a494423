using System.Text.Json;

namespace Vitmix.Model.Checkpoints;

/// <summary>Typed optional reads from a config JSON object; a wrongly typed value is an error naming the file and field.</summary>
internal readonly struct JsonFields(JsonElement obj, string where)
{
    public JsonElement Object => obj;
    public string Where => where;

    public bool Has(string name) => obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public JsonElement? Get(string name) => obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public JsonFields? Child(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.Object ? new JsonFields(v, $"{where}.{name}") : throw Bad(name, v, "an object")
        : null;

    public int? Int(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i
          // timm configs written from Python floats ("depth": 12.0) are still whole numbers
          : v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d
          : throw Bad(name, v, "an integer")
        : null;

    public double? Double(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Bad(name, v, "a number")
        : null;

    public bool? Bool(string name) => Get(name) is { } v
        ? v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Bad(name, v, "true or false") }
        : null;

    public string? String(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Bad(name, v, "a string")
        : null;

    public float[]? Floats(string name, int? count = null)
    {
        if (Get(name) is not { } v) return null;
        // a single number stands for every channel (transformers accepts image_mean: 0.5)
        if (v.ValueKind == JsonValueKind.Number && count is { } c) return Enumerable.Repeat((float)v.GetDouble(), c).ToArray();
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
            throw Bad(name, v, "an array of numbers");
        var values = v.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        if (count is { } n && values.Length != n) throw Bad(name, v, $"{n} numbers");
        return values;
    }

    /// <summary>An image size given as one number (square) or as [height, width].</summary>
    public (int H, int W)? Size(string name)
    {
        if (Get(name) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int s)) return (s, s);
        if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 2 && v.EnumerateArray().All(e => e.TryGetInt32(out _)))
            return (v[0].GetInt32(), v[1].GetInt32());
        throw Bad(name, v, "an integer or [height, width]");
    }

    public InvalidDataException Bad(string name, JsonElement v, string expected) =>
        new($"{where}: \"{name}\" is {Shorten(v.GetRawText())}, expected {expected}");

    public InvalidDataException Error(string problem) => new($"{where}: {problem}");

    static string Shorten(string s) => (s.Length > 60 ? s[..60] + "…" : s).ReplaceLineEndings(" ");

    /// <summary>Parses a config file; unreadable or non-object JSON is an error naming it.</summary>
    public static JsonDocument ParseFile(string path)
    {
        byte[] bytes;
        // Bounded and FIFO-safe like every input file: a config.json that is /dev/zero must not be read without end.
        try { bytes = Vitmix.IO.InputFile.ReadAll(path, "a JSON config file", Vitmix.Data.InputLimits.MaxTextFileBytes); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;
            throw new InvalidDataException($"{path}: cannot read: {reason.ReplaceLineEndings(" ")}");
        }
        return ParseText(bytes, path);
    }

    /// <summary>True when the parse error points at a NaN, Infinity or -Infinity literal.</summary>
    static bool AtNonFiniteLiteral(ReadOnlySpan<byte> bytes, JsonException e)
    {
        if (e.LineNumber is not long line || e.BytePositionInLine is not long column) return false;
        for (long l = 0; l < line; l++)
        {
            int newline = bytes.IndexOf((byte)'\n');
            if (newline < 0) return false;
            bytes = bytes[(newline + 1)..];
        }
        if (column > bytes.Length) return false;
        var rest = bytes[(int)column..];
        return rest.StartsWith("NaN"u8) || rest.StartsWith("Infinity"u8) || rest.StartsWith("-Infinity"u8);
    }

    public static JsonDocument ParseText(ReadOnlyMemory<byte> bytes, string where)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e)
        {
            string hint = AtNonFiniteLiteral(bytes.Span, e) ? " (NaN and Infinity, as Python's json module writes non-finite floats, are not JSON numbers)" : "";
            throw new InvalidDataException($"{where}: not valid JSON: {e.Message.ReplaceLineEndings(" ")}{hint}");
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = doc.RootElement.ValueKind;
            doc.Dispose();
            throw new InvalidDataException($"{where}: is a JSON {kind}, expected an object");
        }
        return doc;
    }
}
