using Vitmix.Hub;
using System.CommandLine;
using Vitmix.Data;
using Vitmix.Model;

namespace Vitmix.Cli;

/// <summary>
/// The options that choose a model and override what its config says: --model, --heads, --image-size,
/// --patch-size, --eps, --mean, --std, --resize, --interpolation, --crop-pct, --pos-embed-interpolation, and the
/// memory it may use, --max-memory. Values are checked by the library's rules (<see cref="VitConfig.LayerNormEpsRange"/>,
/// <see cref="Preprocessing.StdRange"/>, ...), the same a config file's values must follow. One instance per command.
/// </summary>
public sealed class ModelOptions
{
    public Option<string> Model { get; } = new("--model", "-m")
    {
        Description = "Checkpoint: a .safetensors file (config.json beside it is used), a folder with model.safetensors and config.json, or a Hugging Face hub id org/name[@revision] (cache shared with Python tools); default: the embedded model",
        HelpName = "PATH",
    };
    public Option<int?> Heads { get; } = OptionParsers.PositiveInt("--heads", "Override the number of attention heads (not recoverable from weight shapes)");
    public Option<int?> ImageSize { get; } = OptionParsers.PositiveInt("--image-size", "Override the input image size (square)", "PIXELS");
    public Option<int?> PatchSize { get; } = OptionParsers.PositiveInt("--patch-size", "Override the patch size", "PIXELS");
    public Option<double?> Eps { get; } = OptionParsers.OptionalNumber("--eps", "Override the LayerNorm epsilon (timm 1e-6, Hugging Face 1e-12)", VitConfig.LayerNormEpsRange);
    public Option<float[]?> Mean { get; } = OptionParsers.Rgb("--mean", "Override the normalisation mean per channel", Preprocessing.MeanRange);
    public Option<float[]?> Std { get; } = OptionParsers.Rgb("--std", "Override the normalisation standard deviation per channel", Preprocessing.StdRange);
    public Option<string?> Resize { get; } = OptionParsers.Choice("--resize",
        "Override how images are resized: crop = shorter side to size/crop_pct then centre crop (timm), squash = both sides to size (Hugging Face)",
        "crop", "squash");
    public Option<string?> Interpolation { get; } = OptionParsers.Choice("--interpolation", "Override the resampling filter", ResampleFilters.Names);
    public Option<double?> CropPct { get; } = OptionParsers.OptionalNumber("--crop-pct", "Override timm's crop_pct (resize to size/crop_pct before the centre crop)", Preprocessing.CropPctRange);
    public Option<string?> PosEmbedInterpolation { get; } = OptionParsers.Choice("--pos-embed-interpolation",
        "How --image-size resamples the position embeddings: bicubic = F.interpolate(align_corners=False), A = -0.75 (default; transformers); " +
        "antialias = timm's resample_abs_pos_embed; align-corners = torchvision's interpolate_embeddings; dinov2 = DINOv2's bicubic with its +0.1 scale offset (transformers' Dinov2); " +
        "library = whichever the checkpoint's own library uses",
        "bicubic", "antialias", "align-corners", "dinov2", "library");
    /// <summary>--max-memory SIZE: the <see cref="MemoryBudget.Limit"/> the loader checks before reading any weight.</summary>
    public Option<long?> MaxMemory { get; } = OptionParsers.ByteSize("--max-memory",
        "Refuse, before loading, a model whose weights and activations would need more memory: bytes, or 512M, 8G (powers of 1024); default: the machine's memory");

    /// <summary>--text-embeddings FILE: the classes of a CLIP model, one text-embedding row per class.</summary>
    public Option<string?> TextEmbeddings { get; } = new("--text-embeddings")
    {
        Description = "For a CLIP checkpoint: a .npy or .safetensors of shape (classes, dim), one row per class as the model's text tower produced it; " +
                      "logits are exp(logit_scale) * cosine(image, row)",
        HelpName = "FILE",
    };
    /// <summary>--labels FILE|a,b,c: the names of the text-embedding rows.</summary>
    public Option<string?> Labels { get; } = new("--labels")
    {
        Description = "Names of the --text-embeddings rows: a file with one name per line, or names separated by commas",
        HelpName = "FILE|NAMES",
    };

    /// <summary>--prompts TEMPLATE: the classes of a CLIP checkpoint with its text tower, one prompt per --labels name.</summary>
    public Option<string?> Prompts { get; } = new("--prompts")
    {
        Description = "For a CLIP checkpoint that holds its text tower: a prompt template such as \"a photo of a {}\"; each --labels name fills {} " +
                      "and the text tower (CLIP's BPE tokenizer, run by Vitmix) gives that class's row",
        HelpName = "TEMPLATE",
    };
    /// <summary>--tokenizer PATH: CLIP's BPE files when the checkpoint's folder holds none.</summary>
    public Option<string?> Tokenizer { get; } = new("--tokenizer")
    {
        Description = "With --prompts: CLIP's tokenizer, a folder or vocab.json (merges.txt beside it) or bpe_simple_vocab_16e6.txt.gz; " +
                      "default: the files beside the checkpoint",
        HelpName = "PATH",
    };

    /// <summary>
    /// Whether the command needs classes: an image-text model (CLIP) loaded without --text-embeddings is refused with a
    /// line saying so. Off for commands that only describe the checkpoint (info).
    /// </summary>
    public bool ClassesRequired { get; init; } = true;

    /// <summary>Adds every model option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, Heads, ImageSize, PatchSize, Eps, Mean, Std, Resize, Interpolation, CropPct, PosEmbedInterpolation, MaxMemory })
            command.Options.Add(o);
        command.Options.Add(TextEmbeddings);
        command.Options.Add(Labels);
        command.Options.Add(Prompts);
        command.Options.Add(Tokenizer);
    }

    /// <summary>
    /// The classes --text-embeddings or --prompts give with --labels for <paramref name="loaded"/>, or null when none is
    /// given. <paramref name="checkpoint"/> is the local checkpoint (file or folder) whose text tower --prompts runs; null
    /// for the embedded model.
    /// </summary>
    public ZeroShotClasses? ZeroShotClasses(ParseResult parse, LoadedModel loaded, string? checkpoint)
    {
        string? embeddings = parse.GetValue(TextEmbeddings), labels = parse.GetValue(Labels), prompts = parse.GetValue(Prompts);
        string? tokenizer = parse.GetValue(Tokenizer);
        if (tokenizer != null && prompts == null) throw new ArgumentException("--tokenizer is read by --prompts; give --prompts TEMPLATE too");
        if (prompts != null)
        {
            if (embeddings != null) throw new ArgumentException("--prompts and --text-embeddings both give the classes; give one of them");
            if (labels == null) throw new ArgumentException("--prompts needs --labels: the class names that fill its {}");
            if (!prompts.Contains("{}", StringComparison.Ordinal)) throw new ArgumentException($"--prompts '{prompts}' has no {{}} for the label");
            return FromPrompts(prompts, labels, tokenizer, loaded, checkpoint);
        }
        if (embeddings == null)
            return labels == null ? null : throw new ArgumentException("--labels names the rows of --text-embeddings or --prompts; give --text-embeddings FILE or --prompts TEMPLATE too");
        return Vitmix.Model.ZeroShotClasses.Read(embeddings, labels);
    }

    /// <summary>One row per label from the checkpoint's own CLIP text tower: the template filled with the label, tokenized and encoded.</summary>
    static ZeroShotClasses FromPrompts(string template, string labels, string? tokenizer, LoadedModel loaded, string? checkpoint)
    {
        if (loaded.ImageText?.Scores == ZeroShotScores.Sigmoid)
            throw new InvalidDataException($"--prompts: {checkpoint} is a SigLIP checkpoint, whose text tower (SentencePiece tokenizer, its own transformer) Vitmix does not run; give --text-embeddings FILE instead");
        if (checkpoint == null || !Vitmix.TextTower.ClipTextEncoder.HasTextTower(checkpoint))
            throw new InvalidDataException($"--prompts: {checkpoint ?? "the embedded model"} holds no CLIP text tower; give --text-embeddings FILE (one row per class) instead");
        var encoder = Vitmix.TextTower.ClipTextEncoder.Load(checkpoint, tokenizer);
        var names = Vitmix.Model.ZeroShotClasses.ParseLabels(labels, 0);
        if (names.Count == 0) throw new ArgumentException($"--labels '{labels}' names no class");
        var rows = encoder.Encode(Vitmix.TextTower.ClipTextEncoder.Prompts(template, names));
        return new ZeroShotClasses(rows, names.Count, encoder.EmbeddingSize, names) { Source = $"--prompts \"{template}\" through {checkpoint}'s text tower" };
    }

    /// <summary>
    /// The overrides given on the command line (null fields keep the checkpoint's values), with the memory budget of a
    /// pass over <paramref name="batch"/> inputs, recorded for explanation when <paramref name="explanation"/>.
    /// </summary>
    public ModelOverrides Overrides(ParseResult parse, int batch = 1, bool explanation = false)
    {
        string? resize = parse.GetValue(Resize);
        return new ModelOverrides
        {
            Heads = parse.GetValue(Heads),
            ImageSize = parse.GetValue(ImageSize),
            PatchSize = parse.GetValue(PatchSize),
            LayerNormEps = parse.GetValue(Eps) is double eps ? (float)eps : null,
            // an absent array option reads as empty, which means "keep the config's"
            Mean = parse.GetValue(Mean) is { Length: 3 } mean ? mean : null,
            Std = parse.GetValue(Std) is { Length: 3 } std ? std : null,
            Resize = resize switch { "crop" => ResizeMode.Crop, "squash" => ResizeMode.Squash, _ => null },
            Interpolation = parse.GetValue(Interpolation),
            CropPct = parse.GetValue(CropPct),
            PosEmbedInterpolation = parse.GetValue(PosEmbedInterpolation) switch
            {
                "antialias" => PositionEmbeddingInterpolation.AntialiasedBicubic,
                "align-corners" => PositionEmbeddingInterpolation.BicubicAlignCorners,
                "dinov2" => PositionEmbeddingInterpolation.BicubicScaleOffset,
                "bicubic" => PositionEmbeddingInterpolation.Bicubic,
                _ => null,
            },
            PosEmbedInterpolationOfLibrary = parse.GetValue(PosEmbedInterpolation) == "library",
            Memory = new MemoryBudget
            {
                Limit = parse.GetValue(MaxMemory) ?? ModelMemory.AvailableBytes,
                Batch = batch,
                Explanation = explanation,
            },
        };
    }

    /// <summary>
    /// Loads the model named by --model with the overrides applied, refusing it before any weight is read when a pass
    /// over <paramref name="batch"/> inputs (an explanation pass when <paramref name="explanation"/>) would not fit
    /// --max-memory.
    /// </summary>
    public LoadedModel Load(ParseResult parse, int batch = 1, bool explanation = false)
    {
        var overrides = Overrides(parse, batch, explanation);
        try
        {
            string? given = parse.GetValue(Model);
            if (given == null) return WithClasses(DefaultModel.Load(overrides), parse, null); // the embedded model (models/README.md)
            string path = given;
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                if (!HubModelResolver.IsHubId(path))
                    throw new FileNotFoundException($"{path}: model not found (expected a .safetensors file, a model folder or a hub id org/name[@revision])", path);
                path = HubModelResolver.Resolve(path, HubOptions.FromEnvironment(), HubProgress.Create(parse));
            }
            return WithClasses(ModelLoader.Load(path, overrides), parse, path);
        }
        catch (MemoryLimitException e)
        {
            // The library names sizes, not flags: the ways out on the command line are added here.
            string lower = batch > 1 ? "lower --batch-size or --image-size" : "lower --image-size";
            throw new MemoryLimitException($"{e.Message}; {lower} or raise --max-memory", e.Needed, e.Limit);
        }
    }

    /// <summary>The model with the classes of --text-embeddings attached, refused when it needs them and has none.</summary>
    LoadedModel WithClasses(LoadedModel loaded, ParseResult parse, string? checkpoint)
    {
        if (ZeroShotClasses(parse, loaded, checkpoint) is { } classes) loaded = loaded.WithZeroShot(classes);
        if (ClassesRequired && loaded.NeedsTextEmbeddings)
            throw new InvalidDataException($"{loaded.WeightsPath}: {loaded.ImageText!.Family} has no classes of its own: pass --text-embeddings FILE " +
                                           "(one row per class, from its text tower) with --labels, or --prompts \"a photo of a {}\" with --labels for a CLIP checkpoint that holds its text tower");
        return loaded;
    }
}
