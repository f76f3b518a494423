using System.Text.RegularExpressions;

namespace Vitmix.Model.Checkpoints;

/// <summary>Where one source tensor goes: the timm name, and its slot when several tensors are stacked along dim 0 into it.</summary>
internal readonly record struct CanonicalPart(string Name, int Part, int Parts);

/// <summary>
/// A checkpoint key naming (timm, Hugging Face, torchvision) translated to and from timm's names, which
/// <see cref="VitWeights"/> uses. A timm tensor may be several source tensors stacked along dim 0
/// (Hugging Face stores q, k and v separately; timm fuses them into qkv rows q, k, v).
/// </summary>
internal abstract class KeyLayout
{
    public abstract CheckpointLayout Kind { get; }

    /// <summary>Human-readable name for messages, e.g. "Hugging Face ViTForImageClassification".</summary>
    public abstract string Description { get; }

    /// <summary>The timm slot of a source key, or null when this layout does not know the key.</summary>
    public abstract CanonicalPart? ToCanonical(string key);

    /// <summary>The source keys (one per stacked part) that hold a timm tensor in this layout.</summary>
    public abstract string[] FromCanonical(string canonical);

    /// <summary>Source keys a model of this layout may carry but inference never uses (skipped silently).</summary>
    public virtual bool IsIgnored(string key) => false;

    /// <summary>The shape the file stores a timm tensor in, when the layout stores it otherwise (then <see cref="ToTimm"/> converts it).</summary>
    public virtual int[] SourceShape(string canonical, int[] timmShape) => timmShape;

    /// <summary>Turns tensors read in their <see cref="SourceShape"/> into timm's (a layout whose tensors differ by more than names).</summary>
    public virtual void ToTimm(Dictionary<string, Vitmix.Engine.Tensor> state) { }

    /// <summary>Picks the layout from the key names: Hugging Face and torchvision have distinctive keys; anything else is read as timm.</summary>
    public static KeyLayout Detect(IReadOnlyCollection<string> keys)
    {
        if (HuggingFaceDinov2KeyLayout.Find(keys) is { } dinov2) return dinov2;
        if (TimmEvaKeyLayout.Find(keys) is { } eva) return eva;
        if (TimmBeitKeyLayout.Looks(keys)) return new TimmBeitKeyLayout();
        if (HuggingFaceBeitKeyLayout.Find(keys) is { } beit) return beit;
        if (keys.Contains("vit.embeddings.patch_embeddings.projection.weight") || keys.Any(k => k.StartsWith("vit.encoder.layer.", StringComparison.Ordinal)))
            return new HuggingFaceKeyLayout("vit.");
        if (keys.Contains("embeddings.patch_embeddings.projection.weight") || keys.Any(k => k.StartsWith("encoder.layer.", StringComparison.Ordinal)))
            return new HuggingFaceKeyLayout("");
        if (keys.Contains("conv_proj.weight") || keys.Contains("class_token") || keys.Any(k => k.StartsWith("encoder.layers.encoder_layer_", StringComparison.Ordinal)))
            return new TorchvisionKeyLayout();
        return new TimmKeyLayout();
    }
}

/// <summary>
/// A layout given as renaming rules "timm pattern → source patterns (one per stacked part)", where <c>{i}</c> stands for
/// a block index. Several rules may target the same timm name (alternative spellings); the first one names keys in messages.
/// </summary>
internal abstract class RuleKeyLayout : KeyLayout
{
    readonly List<(string Canonical, string[] Sources)> rules = [];
    readonly List<(Regex Pattern, string Canonical, int Part, int Parts)> matchers = [];

    protected void Rule(string canonical, params string[] sources)
    {
        rules.Add((canonical, sources));
        for (int p = 0; p < sources.Length; p++)
        {
            // {i} must be a canonical decimal (no leading zeros), so two source keys cannot land on one block.
            var regex = new Regex("^" + Regex.Escape(sources[p]).Replace(@"\{i}", "(0|[1-9][0-9]{0,5})") + "$", RegexOptions.CultureInvariant);
            matchers.Add((regex, canonical, p, sources.Length));
        }
    }

    public override CanonicalPart? ToCanonical(string key)
    {
        foreach (var (pattern, canonical, part, parts) in matchers)
        {
            var m = pattern.Match(key);
            if (!m.Success) continue;
            string name = m.Groups.Count > 1 ? canonical.Replace("{i}", m.Groups[1].Value) : canonical;
            return new CanonicalPart(name, part, parts);
        }
        return null;
    }

    public override string[] FromCanonical(string canonical)
    {
        foreach (var (pattern, sources) in rules)
        {
            var regex = "^" + Regex.Escape(pattern).Replace(@"\{i}", "([0-9]+)") + "$";
            var m = Regex.Match(canonical, regex, RegexOptions.CultureInvariant);
            if (!m.Success) continue;
            return m.Groups.Count > 1 ? sources.Select(s => s.Replace("{i}", m.Groups[1].Value)).ToArray() : sources;
        }
        return [canonical];
    }
}
