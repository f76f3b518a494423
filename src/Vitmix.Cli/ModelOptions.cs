using Vitmix.Hub;
using System.CommandLine;
using Vitmix.Data;
using Vitmix.Model;

namespace Vitmix.Cli;

/// <summary>
/// The options that choose a model and override what its config says: --model, --heads, --image-size,
/// --patch-size, --eps, --mean, --std, --resize, --interpolation, --crop-pct, --pos-embed-interpolation. One instance per command.
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
    public Option<double?> Eps { get; } = OptionParsers.PositiveNumber("--eps", "Override the LayerNorm epsilon (timm 1e-6, Hugging Face 1e-12)");
    public Option<float[]?> Mean { get; } = OptionParsers.Rgb("--mean", "Override the normalisation mean per channel", positive: false);
    public Option<float[]?> Std { get; } = OptionParsers.Rgb("--std", "Override the normalisation standard deviation per channel", positive: true);
    public Option<string?> Resize { get; } = OptionParsers.Choice("--resize",
        "Override how images are resized: crop = shorter side to size/crop_pct then centre crop (timm), squash = both sides to size (Hugging Face)",
        "crop", "squash");
    public Option<string?> Interpolation { get; } = OptionParsers.Choice("--interpolation", "Override the resampling filter", ResampleFilters.Names);
    public Option<double?> CropPct { get; } = OptionParsers.PositiveNumber("--crop-pct", "Override timm's crop_pct (resize to size/crop_pct before the centre crop)");
    public Option<string?> PosEmbedInterpolation { get; } = OptionParsers.Choice("--pos-embed-interpolation",
        "How --image-size resamples the position embeddings: bicubic = F.interpolate(align_corners=False), A = -0.75 (default; transformers); " +
        "antialias = timm's resample_abs_pos_embed; align-corners = torchvision's interpolate_embeddings; library = whichever the checkpoint's layout uses",
        "bicubic", "antialias", "align-corners", "library");

    /// <summary>Adds every model option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, Heads, ImageSize, PatchSize, Eps, Mean, Std, Resize, Interpolation, CropPct, PosEmbedInterpolation })
            command.Options.Add(o);
    }

    /// <summary>The overrides given on the command line (null fields keep the checkpoint's values).</summary>
    public ModelOverrides Overrides(ParseResult parse)
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
                "bicubic" => PositionEmbeddingInterpolation.Bicubic,
                _ => null,
            },
            PosEmbedInterpolationOfLibrary = parse.GetValue(PosEmbedInterpolation) == "library",
        };
    }

    /// <summary>Loads the model named by --model with the overrides applied.</summary>
    public LoadedModel Load(ParseResult parse)
    {
        string? given = parse.GetValue(Model);
        if (given == null) return DefaultModel.Load(Overrides(parse)); // the embedded model (models/README.md)
        string path = given;
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            if (!HubModelResolver.IsHubId(path))
                throw new FileNotFoundException($"{path}: model not found (expected a .safetensors file, a model folder or a hub id org/name[@revision])", path);
            path = HubModelResolver.Resolve(path, HubOptions.FromEnvironment(), HubProgress.Create(parse));
        }
        return ModelLoader.Load(path, Overrides(parse));
    }
}
