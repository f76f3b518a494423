using System.Globalization;
using Vitmix.Data;
using Vitmix.Model.Checkpoints;

namespace Vitmix.Model;

/// <summary>
/// Loads a ViT classifier from a safetensors checkpoint in timm, Hugging Face or torchvision key layout.
/// The architecture is resolved field by field from, in priority order: <see cref="ModelOverrides"/>, config.json
/// beside the weights (timm hub style: model_args, then pretrained_cfg/top level, then the named architecture; or
/// Hugging Face ViTConfig style with preprocessor_config.json), an architecture name in the file or folder name,
/// the safetensors <c>__metadata__["config"]</c>, and finally the tensor shapes. The number of heads cannot be read
/// from shapes, so one of the other sources must state it.
/// </summary>
public static class ModelLoader
{
    /// <summary>
    /// <paramref name="path"/> is a .safetensors file (config.json beside it is used when present) or a folder
    /// holding model.safetensors and config.json. Errors are <see cref="InvalidDataException"/> naming the file and the
    /// problem (non-finite weights and config values outside their rules, <see cref="VitConfig.Problems"/> and
    /// <see cref="Preprocessing.Problems"/>, included), or a <see cref="MemoryLimitException"/> when the model would
    /// need more than <see cref="ModelOverrides.Memory"/> allows (the machine's memory by default), checked before any
    /// weight is read.
    /// </summary>
    public static LoadedModel Load(string path, ModelOverrides? overrides = null)
    {
        // A requested input size is applied after loading at the checkpoint's own grid, by resampling the
        // position embeddings (timm's resample_abs_pos_embed), so a 224 model can run on 384 images.
        int? requestedSize = overrides?.ImageSize;
        if (requestedSize is int size && size <= 0) throw new ArgumentException($"image size {size} must be positive");
        var budget = overrides?.Memory ?? new MemoryBudget();
        var (native, runSize) = LoadNative(path, overrides == null ? null : overrides with { ImageSize = null }, requestedSize, budget);
        if (requestedSize is int s)
        {
            var interpolation = overrides!.PosEmbedInterpolationOfLibrary ? native.LibraryInterpolation
                : overrides.PosEmbedInterpolation ?? PositionEmbeddingInterpolation.Bicubic;
            native = AtImageSize(native, s, interpolation, budget);
        }
        // A library that runs the model at another size than its stored grid (Hugging Face DINOv2: 518 stored, 224
        // run) does so with its own interpolation.
        else if (runSize is int run) native = AtImageSize(native, run, native.LibraryInterpolation, budget);
        return overrides?.ZeroShot is { } classes ? native.WithZeroShot(classes) : native;
    }

    /// <summary>
    /// The same model run at another (square) input size: position embeddings of the patch grid resampled with
    /// <paramref name="interpolation"/> (plain bicubic by default; <see cref="PositionEmbeddingInterpolations.For"/>
    /// gives the flavour of the checkpoint's library), prefix-token rows kept. The new size is checked against
    /// <paramref name="memory"/> (the machine's memory by default) before anything is resampled.
    /// </summary>
    public static LoadedModel AtImageSize(LoadedModel model, int size,
        PositionEmbeddingInterpolation interpolation = PositionEmbeddingInterpolation.Bicubic, MemoryBudget? memory = null)
    {
        var c = model.Config;
        if (size == c.ImageHeight && size == c.ImageWidth) return model;
        if (c.RelativePositionBias || c.SharedRelativePositionBias)
            throw new ArgumentException($"{model.WeightsPath}: image size {size}: the relative position bias tables are learned for a {c.GridHeight}x{c.GridWidth} grid ({c.ImageHeight} px) and are not resampled; run at {c.ImageHeight}");
        var config = AtSize(c, size, model.WeightsPath);
        ModelMemory.EnsureFits(config, memory ?? new MemoryBudget(), model.WeightsPath);
        int prefixRows = c.NoEmbedClass ? 0 : c.NumPrefixTokens;
        var w = model.Network.Weights;
        var resized = new VitWeights
        {
            PatchWeight = w.PatchWeight, PatchBias = w.PatchBias, ClassToken = w.ClassToken, DistToken = w.DistToken,
            RegisterTokens = w.RegisterTokens,
            PosEmbed = PositionEmbeddingResampler.Resample(w.PosEmbed, prefixRows, c.GridHeight, c.GridWidth,
                config.GridHeight, config.GridWidth, c.EmbedDim, interpolation),
            Blocks = w.Blocks, NormWeight = w.NormWeight, NormBias = w.NormBias, FcNormWeight = w.FcNormWeight,
            FcNormBias = w.FcNormBias, HeadWeight = w.HeadWeight, HeadBias = w.HeadBias,
            HeadDistWeight = w.HeadDistWeight, HeadDistBias = w.HeadDistBias,
            NormPreWeight = w.NormPreWeight, NormPreBias = w.NormPreBias, ZeroShot = w.ZeroShot, AttnPool = w.AttnPool,
        };
        return new LoadedModel
        {
            Network = new VisionTransformer(config, resized),
            Preprocessing = model.Preprocessing with { InputHeight = size, InputWidth = size },
            ClassNames = model.ClassNames, Layout = model.Layout, WeightsPath = model.WeightsPath,
            FamilyDescription = model.FamilyDescription, LibraryInterpolation = model.LibraryInterpolation,
            ImageText = model.ImageText,
            ConfigSource = model.ConfigSource + $"; position embeddings resampled {c.GridHeight}x{c.GridWidth} -> {config.GridHeight}x{config.GridWidth} ({interpolation.Describe()})",
        };
    }

    /// <summary><paramref name="c"/> at a square input size, checked (tokens and arrays included) before anything is sized by it.</summary>
    static VitConfig AtSize(VitConfig c, int size, string source)
    {
        if (size <= 0) throw new ArgumentException($"image size {size} must be positive");
        if (size % c.PatchSize != 0)
            throw new ArgumentException($"image size {size} is not a multiple of the patch size {c.PatchSize}");
        var config = c with { ImageHeight = size, ImageWidth = size };
        try { config.Validate(); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{source}: at image size {size}: {e.Message}"); }
        return config;
    }

    static (LoadedModel Model, int? RunSize) LoadNative(string path, ModelOverrides? overrides, int? requestedSize, MemoryBudget budget)
    {
        var (weightsPath, configPath) = Locate(path);
        var overridePartial = overrides == null ? null : FromOverrides(overrides);

        using var file = SafeTensorsFile.Open(weightsPath);
        // Contrastive image-text checkpoints (CLIP, SigLIP) carry a text tower and name their image tower their own way.
        if (ClipCheckpoint.Detect(file.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal)) is { } clip)
            return (ClipCheckpoint.Load(file, clip, weightsPath, overrides, budget, requestedSize), null);
        if (SiglipCheckpoint.Detect(file.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal)) is { } siglip)
            return (SiglipCheckpoint.Load(file, siglip, weightsPath, overrides, budget, requestedSize), null);
        var layout = KeyLayout.Detect(file.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal));
        var state = CanonicalStateDict.Map(file, layout);
        if (layout.Kind == CheckpointLayout.Timm && !state.Has("patch_embed.proj.weight"))
            throw new InvalidDataException(
                $"{weightsPath}: no ViT patch embedding found (timm 'patch_embed.proj.weight', Hugging Face 'vit.embeddings.patch_embeddings.projection.weight' " +
                $"or torchvision 'conv_proj.weight'); the file holds {file.Tensors.Count} tensors such as " +
                string.Join(", ", file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal).Take(5).Select(n => $"'{n}'")));
        UnsupportedVariants.ThrowIfUnsupported(state, weightsPath);

        var sources = new List<PartialConfig>();
        if (overridePartial != null) sources.Add(overridePartial);
        string? architecture = null;
        bool hfConfig = false;
        if (configPath != null)
        {
            using var doc = JsonFields.ParseFile(configPath);
            var f = new JsonFields(doc.RootElement, configPath);
            string name = Path.GetFileName(configPath);
            if (HuggingFaceConfig.Looks(f))
            {
                string preprocessor = Path.Combine(Path.GetDirectoryName(configPath)!, "preprocessor_config.json");
                sources.Add(HuggingFaceConfig.Read(f, name, File.Exists(preprocessor) ? preprocessor : null));
                hfConfig = true;
            }
            else if (TimmHubConfig.Looks(f)) sources.AddRange(TimmHubConfig.Read(f, name, out architecture));
            else
                throw new InvalidDataException(
                    $"{configPath}: neither a timm config (architecture, model_args, pretrained_cfg) nor a Hugging Face ViTConfig (model_type, hidden_size)");
        }
        if (architecture == null && !hfConfig && ArchitectureFromNames(weightsPath) is { } named)
        {
            architecture = named.Name;
            sources.Add(ArchitectureTable.ToPartial(named, $"architecture {named.Name} (from the file name)"));
        }
        if (MetadataConfig.Read(file) is { } meta) sources.Add(meta);

        int? Stated(Func<PartialConfig, int?> f) => sources.Select(f).FirstOrDefault(v => v != null);
        sources.Add(ShapeInference.Infer(state, Stated(s => s.ImageHeight), Stated(s => s.ImageWidth), Stated(s => s.PatchSize), weightsPath));

        var (fallbackModel, fallbackPrep) = LayoutDefaults(layout.Kind);
        var resolved = new ConfigResolver(sources).Resolve(fallbackModel, fallbackPrep, $"{layout.Description} defaults", weightsPath,
            () => HeadsUnknown(weightsPath, configPath, architecture));

        // Everything that sizes an allocation is checked before the first one: the config at the size it will run at,
        // the file's shapes against the config, then the arrays and memory a pass at that size needs.
        var target = requestedSize is int size ? AtSize(resolved.Config, size, weightsPath) : resolved.Config;
        state.Validate(resolved.Config, resolved.Source);
        ModelMemory.EnsureFits(target, budget, weightsPath);
        var weights = VitWeights.FromStateDict(resolved.Config, state.Read(resolved.Config), weightsPath);
        string? family = sources.Select(s => s.Family).FirstOrDefault(f => f != null) ?? ModelFamily.FromArchitecture(architecture);
        int? runSize = sources.Select(s => s.RunImageSize).FirstOrDefault(r => r != null);
        var model = new LoadedModel
        {
            FamilyDescription = ModelFamily.Describe(family, resolved.Config, layout.Kind),
            // transformers' DINOv2 interpolates with its +0.1 scale offset, DINOv2 with registers antialiased to a size
            LibraryInterpolation = layout is HuggingFaceDinov2KeyLayout dino
                ? dino.Registers ? PositionEmbeddingInterpolation.AntialiasedBicubic : PositionEmbeddingInterpolation.BicubicScaleOffset
                : PositionEmbeddingInterpolations.For(layout.Kind),
            Network = new VisionTransformer(resolved.Config, weights),
            Preprocessing = resolved.Preprocessing,
            // A 1000-class model that names none is an ImageNet-1k classifier: the standard ILSVRC names.
            ClassNames = resolved.ClassNames ?? (resolved.Config.NumClasses == ImageNetClasses.Count ? ImageNetClasses.Names : null),
            Layout = layout.Kind,
            WeightsPath = weightsPath,
            ConfigSource = resolved.Source,
        };
        return (model, runSize);
    }

    /// <summary>The weights file and the config.json beside it (null when absent).</summary>
    static (string Weights, string? Config) Locate(string path)
    {
        string weights;
        if (Directory.Exists(path))
        {
            weights = Path.Combine(path, "model.safetensors");
            if (!File.Exists(weights))
            {
                if (File.Exists(Path.Combine(path, "model.safetensors.index.json")))
                    throw new InvalidDataException($"{path}: sharded checkpoints (model.safetensors.index.json) are not supported; a ViT fits in one model.safetensors");
                var candidates = Directory.GetFiles(path, "*.safetensors");
                if (candidates.Length == 0 && PyTorchCheckpoint(path) is { } pytorch)
                    throw new InvalidDataException(
                        $"{path}: folder holds no model.safetensors, only the PyTorch checkpoint {Path.GetFileName(pytorch)}; {SafeTensorsFile.OnlySafetensors(Path.GetFileName(pytorch))}");
                if (candidates.Length != 1)
                    throw new InvalidDataException(candidates.Length == 0
                        ? $"{path}: folder holds no model.safetensors"
                        : $"{path}: folder holds no model.safetensors but {candidates.Length} other .safetensors files; pass one of them");
                weights = candidates[0];
            }
        }
        else if (File.Exists(path)) weights = path;
        else throw new InvalidDataException($"{path}: no such file or folder");
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weights))!, "config.json");
        return (weights, File.Exists(config) ? config : null);
    }

    /// <summary>A PyTorch weights file in <paramref name="folder"/> (pytorch_model.bin first), or null.</summary>
    static string? PyTorchCheckpoint(string folder)
    {
        string bin = Path.Combine(folder, "pytorch_model.bin");
        if (File.Exists(bin)) return bin;
        return new[] { "*.bin", "*.pth", "*.pt" }.SelectMany(p => Directory.GetFiles(folder, p)).Order(StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>An architecture named by the weights file ("vit_base_patch16_224.augreg_in21k.safetensors") or its folder.</summary>
    static ArchitectureInfo? ArchitectureFromNames(string weightsPath)
    {
        string full = Path.GetFullPath(weightsPath);
        string stem = Path.GetFileNameWithoutExtension(full);
        string folder = Path.GetFileName(Path.GetDirectoryName(full)) ?? "";
        // Hugging Face cache folders read "models--timm--<name>"
        if (folder.StartsWith("models--", StringComparison.Ordinal)) folder = folder[(folder.LastIndexOf("--", StringComparison.Ordinal) + 2)..];
        return ArchitectureTable.Find(stem) ?? ArchitectureTable.Find(folder);
    }

    /// <summary>What each layout's own code does when nothing else is said: timm/torchvision eps 1e-6, Hugging Face 1e-12; each its own transform.</summary>
    static (VitConfig, Preprocessing) LayoutDefaults(CheckpointLayout layout) => layout switch
    {
        CheckpointLayout.HuggingFace => (new VitConfig { LayerNormEps = 1e-12f },
            new Preprocessing { Resize = ResizeMode.Squash, Interpolation = "bilinear", CropPct = 1.0 }),
        CheckpointLayout.Torchvision => (new VitConfig { LayerNormEps = 1e-6f }, ArchitectureTable.Find("vit_b_16")!.Preprocessing),
        _ => (new VitConfig { LayerNormEps = 1e-6f }, new Preprocessing()),
    };

    static string HeadsUnknown(string weightsPath, string? configPath, string? architecture)
    {
        string why = configPath == null
            ? "there is no config.json beside it"
            : architecture != null && ArchitectureTable.Find(architecture) == null
                ? $"{Path.GetFileName(configPath)} names architecture '{architecture}', which is not in Vitmix's table, and has no model_args.num_heads"
                : $"{Path.GetFileName(configPath)} does not state them";
        return $"{weightsPath}: the number of attention heads is unknown: it cannot be read from tensor shapes, {why}, " +
               "and the safetensors metadata has no \"config\" with num_heads. Give the number of heads, or put a config.json beside the weights " +
               "(timm: \"architecture\" or \"model_args\": {\"num_heads\": N}; Hugging Face: \"num_attention_heads\"), " +
               "or store __metadata__ \"config\" = {\"num_heads\": N, ...}";
    }

    static PartialConfig FromOverrides(ModelOverrides o)
    {
        // The same rules as a config file's values (VitConfig, Preprocessing), reported as argument errors.
        Positive(o.Heads, "heads");
        Positive(o.ImageSize, "image size");
        Positive(o.PatchSize, "patch size");
        if (o.LayerNormEps is { } eps && !VitConfig.LayerNormEpsRange.Contains(eps))
            throw new ArgumentException($"LayerNorm eps {eps.ToString(CultureInfo.InvariantCulture)}: expected {VitConfig.LayerNormEpsRange}");
        if (o.Mean != null && Preprocessing.ChannelProblem("mean", o.Mean, Preprocessing.MeanRange) is { } mean) throw new ArgumentException(mean);
        if (o.Std != null && Preprocessing.ChannelProblem("std", o.Std, Preprocessing.StdRange) is { } std) throw new ArgumentException(std);
        if (o.CropPct is { } crop && !Preprocessing.CropPctRange.Contains(crop))
            throw new ArgumentException($"crop_pct {crop.ToString(CultureInfo.InvariantCulture)}: expected {Preprocessing.CropPctRange}");
        if (o.Interpolation != null && !Preprocessing.Interpolations.Contains(o.Interpolation))
            throw new ArgumentException($"interpolation '{o.Interpolation}' is not supported (expected {string.Join(", ", Preprocessing.Interpolations)})");
        return new PartialConfig
        {
            Origin = "overrides",
            NumHeads = o.Heads, ImageHeight = o.ImageSize, ImageWidth = o.ImageSize, PatchSize = o.PatchSize, LayerNormEps = o.LayerNormEps,
            Mean = o.Mean, Std = o.Std, Resize = o.Resize, Interpolation = o.Interpolation, CropPct = o.CropPct,
        };

        static void Positive(int? v, string what)
        {
            if (v is <= 0) throw new ArgumentException($"{what} {v} must be positive");
        }
    }
}
