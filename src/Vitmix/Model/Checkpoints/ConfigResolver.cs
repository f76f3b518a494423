using Vitmix.Data;
namespace Vitmix.Model.Checkpoints;

/// <summary>The outcome of config resolution: the network's architecture, its preprocessing, class names, and their provenance.</summary>
internal sealed record ResolvedConfig(VitConfig Config, Preprocessing Preprocessing, string[]? ClassNames, string Source);

/// <summary>
/// Merges config sources field by field: for each field the first source (in priority order) that states it wins,
/// and the provenance records which source decided what.
/// </summary>
internal sealed class ConfigResolver(IReadOnlyList<PartialConfig> sources)
{
    readonly Dictionary<string, List<string>> decided = new(StringComparer.Ordinal);

    /// <summary>The first non-null value of a field, recording its source under <paramref name="label"/>.</summary>
    public T? Pick<T>(Func<PartialConfig, T?> field, string label) where T : struct
    {
        foreach (var s in sources)
        {
            if (field(s) is { } v) { Note(s.Origin, label); return v; }
        }
        return null;
    }

    public T? PickRef<T>(Func<PartialConfig, T?> field, string label) where T : class
    {
        foreach (var s in sources)
        {
            if (field(s) is { } v) { Note(s.Origin, label); return v; }
        }
        return null;
    }

    /// <summary>Records that <paramref name="origin"/> decided <paramref name="label"/> (also for defaults outside the sources).</summary>
    public void Note(string origin, string label)
    {
        if (!decided.TryGetValue(origin, out var list)) decided[origin] = list = [];
        if (!list.Contains(label)) list.Add(label);
    }

    /// <summary>"source (fields); source (fields)" in priority order.</summary>
    public string Describe()
    {
        var order = sources.Select(s => s.Origin).Concat(decided.Keys).Distinct().Where(decided.ContainsKey);
        return string.Join("; ", order.Select(o => $"{o} ({string.Join(", ", decided[o])})"));
    }

    /// <summary>
    /// Resolves every field; <paramref name="fallbackModel"/> and <paramref name="fallbackPrep"/> supply the layout's defaults (eps, preprocessing) and
    /// <paramref name="headsUnknown"/> is the error raised when no source states the number of heads.
    /// </summary>
    public ResolvedConfig Resolve(VitConfig fallbackModel, Preprocessing fallbackPrep, string fallbackOrigin, string path, Func<string> headsUnknown)
    {
        int? embed = Pick(s => s.EmbedDim, "dim");
        int? heads = Pick(s => s.NumHeads, "heads");
        if (heads == null) throw new SettingRequiredException("heads", headsUnknown());
        int? patch = Pick(s => s.PatchSize, "patch");
        int? height = Pick(s => s.ImageHeight, "image size");
        int? width = Pick(s => s.ImageWidth, "image size");
        int? depth = Pick(s => s.Depth, "depth");
        int? classes = Pick(s => s.NumClasses, "classes");
        // The MLP width comes from whichever source states either the width or the ratio first.
        int? mlp = null;
        foreach (var s in sources)
        {
            if (s.MlpHidden is { } hidden) { mlp = hidden; Note(s.Origin, "mlp"); break; }
            if (s.MlpRatio is { } ratio && embed is { } d)
            {
                // A hostile ratio (negative, huge) must not reach the int cast, where it would wrap or saturate.
                double mlpWidth = d * ratio;
                if (!(mlpWidth >= 1 && mlpWidth <= int.MaxValue))
                    throw new InvalidDataException($"{path}: mlp_ratio {ratio.ToString(System.Globalization.CultureInfo.InvariantCulture)} of {s.Origin} gives an MLP width of {mlpWidth.ToString(System.Globalization.CultureInfo.InvariantCulture)} for embed dim {d}; expected a positive width");
                mlp = (int)mlpWidth;
                Note(s.Origin, "mlp");
                break;
            }
        }
        var missing = new List<string>();
        if (embed == null) missing.Add("embed dim");
        if (depth == null) missing.Add("depth");
        if (patch == null) missing.Add("patch size");
        if (height == null || width == null) missing.Add("image size");
        if (mlp == null) missing.Add("MLP width");
        if (classes == null && !(Pick(s => s.FeatureHead, "no classifier") ?? false)) missing.Add("number of classes");
        if (missing.Count > 0)
            throw new InvalidDataException($"{path}: cannot determine the {string.Join(", ", missing)} from any config source or tensor shape");

        var pool = Pick(s => s.Pool, "pool");
        // A checkpoint without a classifier outputs its readout's features: one "class" per feature.
        bool featureHead = Pick(s => s.FeatureHead, "no classifier") ?? false;
        if (featureHead && classes is null or 0)
            classes = pool == GlobalPool.ClassAndPatchMean ? (int)Math.Min(2L * embed!.Value, int.MaxValue) : embed!.Value;
        var config = new VitConfig
        {
            ImageHeight = height!.Value, ImageWidth = width!.Value, PatchSize = patch!.Value,
            InChannels = Pick(s => s.InChannels, "channels") ?? fallbackModel.InChannels,
            EmbedDim = embed!.Value, Depth = depth!.Value, NumHeads = heads.Value, MlpHidden = mlp!.Value, NumClasses = classes!.Value,
            QkvBias = Pick(s => s.QkvBias, "qkv bias") ?? fallbackModel.QkvBias,
            LayerNormEps = Pick(s => s.LayerNormEps, "eps") ?? Default(fallbackModel.LayerNormEps, "eps"),
            ClassToken = Pick(s => s.ClassToken, "class token") ?? fallbackModel.ClassToken,
            Distilled = Pick(s => s.Distilled, "distillation token") ?? false,
            RegisterTokens = Pick(s => s.RegisterTokens, "registers") ?? 0,
            LayerScale = Pick(s => s.LayerScale, "LayerScale") ?? false,
            Pool = pool ?? GlobalPool.Token,
            // timm: fc_norm=None means "use it when pooling by average"
            FcNorm = Pick(s => s.FcNorm, "fc_norm") ?? pool == GlobalPool.Average,
            NoEmbedClass = Pick(s => s.NoEmbedClass, "pos_embed layout") ?? false,
            FeatureHead = featureHead,
            AbsolutePositionEmbedding = Pick(s => s.AbsolutePositionEmbedding, "absolute positions") ?? true,
            RelativePositionBias = Pick(s => s.RelativePositionBias, "relative position bias") ?? false,
            SharedRelativePositionBias = Pick(s => s.SharedRelativePositionBias, "shared relative position bias") ?? false,
            QvBias = Pick(s => s.QvBias, "q/v biases") ?? false,
            GatedMlp = Pick(s => s.GatedMlp, "SwiGLU") ?? false,
            MlpNorm = Pick(s => s.MlpNorm, "MLP sub-LN") ?? false,
            RotaryPositionEmbedding = Pick(s => s.RotaryPositionEmbedding, "rotary position embedding") ?? false,
            RopeReferenceHeight = Pick(s => s.RopeReferenceHeight, "rotary reference grid") ?? 0,
            RopeReferenceWidth = Pick(s => s.RopeReferenceWidth, "rotary reference grid") ?? 0,
        };
        try { config.Validate(); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message} (config from {Describe()})"); }

        var prep = new Preprocessing
        {
            Mean = PickRef(s => s.Mean, "mean") ?? Default(fallbackPrep.Mean, "mean"),
            Std = PickRef(s => s.Std, "std") ?? Default(fallbackPrep.Std, "std"),
            CropPct = Pick(s => s.CropPct, "crop_pct") ?? Default(fallbackPrep.CropPct, "crop_pct"),
            Interpolation = PickRef(s => s.Interpolation, "interpolation") ?? Default(fallbackPrep.Interpolation, "interpolation"),
            Resize = Pick(s => s.Resize, "resize") ?? Default(fallbackPrep.Resize, "resize"),
            // the network's input is fixed, so the preprocessing produces exactly that size
            InputHeight = config.ImageHeight,
            InputWidth = config.ImageWidth,
        };
        try { prep.Validate(); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message} (config from {Describe()})"); }
        var names = PickRef(s => s.ClassNames, "labels");
        if (names != null && names.Length != config.NumClasses)
            throw new InvalidDataException($"{path}: the config names {names.Length} classes but the model has {config.NumClasses} (config from {Describe()})");
        return new ResolvedConfig(config, prep, names, Describe());

        T Default<T>(T value, string label) { Note(fallbackOrigin, label); return value; }
    }
}
