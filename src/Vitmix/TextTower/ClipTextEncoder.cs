using Vitmix.Model.Checkpoints;

namespace Vitmix.TextTower;

/// <summary>
/// Turns class prompts into CLIP text embeddings without Python: the tokenizer (<see cref="ClipTokenizer"/>) and the
/// text transformer of a CLIP checkpoint, in the Hugging Face layout (<c>openai/clip-vit-base-patch16</c>:
/// <c>config.json</c> + <c>model.safetensors</c> + <c>vocab.json</c> + <c>merges.txt</c>) or the OpenAI/open_clip layout
/// (<c>open_clip_config.json</c> + <c>open_clip_model.safetensors</c>, or OpenAI's state dict as one safetensors file).
/// </summary>
/// <example>
/// <code>
/// var text = ClipTextEncoder.Load("clip-vit-base-patch16");
/// float[] classes = text.Encode(ClipTextEncoder.Prompts("a photo of a {}", ["cat", "dog"])); // (2, 512), not normalised
/// </code>
/// </example>
public sealed class ClipTextEncoder
{
    readonly ClipTextTransformer transformer;

    /// <summary>The text tower's shape and layout.</summary>
    public ClipTextConfig Config => transformer.Config;
    /// <summary>The tokenizer the prompts go through.</summary>
    public ClipTokenizer Tokenizer { get; }
    /// <summary>E, the length of one embedding (a row of <see cref="Encode"/>'s result).</summary>
    public int EmbeddingSize => Config.ProjectionDim;

    ClipTextEncoder(ClipTextTransformer transformer, ClipTokenizer tokenizer)
    {
        this.transformer = transformer;
        Tokenizer = tokenizer;
    }

    /// <summary>
    /// Loads the text tower from <paramref name="folderOrFile"/>: a folder with <c>open_clip_config.json</c> +
    /// <c>open_clip_model.safetensors</c>, or <c>config.json</c> + <c>model.safetensors</c>; or a <c>.safetensors</c> file
    /// (its layout told by its keys, the config beside it; OpenAI's state dict without one is sized as openai/CLIP's
    /// <c>build_model</c> sizes it: heads = width / 64, QuickGELU). The tokenizer comes from <paramref name="tokenizer"/>
    /// (a folder, <c>vocab.json</c> with <c>merges.txt</c> beside it, or <c>bpe_simple_vocab_16e6.txt.gz</c>) or else
    /// from the model's folder. Errors name the file and what was expected.
    /// </summary>
    public static ClipTextEncoder Load(string folderOrFile, string? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(folderOrFile);
        var (weightsPath, configPath) = Locate(folderOrFile);
        string folder = Path.GetDirectoryName(Path.GetFullPath(weightsPath))!;
        using var file = SafeTensorsFile.Open(weightsPath);
        ClipTextConfig config;
        if (file.Contains("text_model.embeddings.token_embedding.weight"))
        {
            configPath ??= Path.Combine(folder, "config.json");
            if (!File.Exists(configPath))
                throw new FileNotFoundException($"{configPath}: file not found (a Hugging Face CLIP checkpoint needs its config.json for the text tower's heads and activation)", configPath);
            config = ClipTextConfig.FromHuggingFace(configPath);
        }
        else if (file.Contains("token_embedding.weight"))
        {
            configPath ??= File.Exists(Path.Combine(folder, "open_clip_config.json")) ? Path.Combine(folder, "open_clip_config.json") : null;
            bool bias = file.Contains("text_projection.weight");
            config = configPath != null ? ClipTextConfig.FromOpenClip(configPath, bias) : InferOpenAi(file);
        }
        else
            throw new InvalidDataException($"{weightsPath}: no CLIP text tower (neither 'text_model.embeddings.token_embedding.weight' nor 'token_embedding.weight'; an image-only checkpoint?)");
        config.Validate(configPath ?? weightsPath);

        var tok = tokenizer != null ? ClipTokenizer.Load(tokenizer)
            : ClipTokenizer.FromFolder(folder) ?? throw new FileNotFoundException(
                $"{folder}: no tokenizer beside the weights (vocab.json + merges.txt, or bpe_simple_vocab_16e6.txt.gz). open_clip hub folders " +
                "often ship only the weights: pass the tokenizer of a Hugging Face CLIP repository (its vocab.json with merges.txt) " +
                "or open_clip's bpe_simple_vocab_16e6.txt.gz", folder);
        if (tok.VocabularySize > config.VocabSize)
            throw new InvalidDataException($"the tokenizer has ids up to {tok.VocabularySize - 1} but {weightsPath}'s token embedding has {config.VocabSize} rows");
        return new ClipTextEncoder(new ClipTextTransformer(config, ClipTextWeights.Read(file, config)), tok);
    }

    /// <summary>
    /// True when <paramref name="folderOrFile"/> is a CLIP checkpoint that holds a text tower in either layout (reads
    /// only the safetensors header): what a command checks before it offers prompts instead of a text-embedding file.
    /// False for a missing path, an image-only checkpoint or a file that is not safetensors.
    /// </summary>
    public static bool HasTextTower(string folderOrFile)
    {
        try
        {
            using var file = SafeTensorsFile.Open(Locate(folderOrFile).Weights);
            return file.Contains("text_model.embeddings.token_embedding.weight") || file.Contains("token_embedding.weight");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// The text embeddings of <paramref name="prompts"/>, row-major (count, <see cref="EmbeddingSize"/>), one row per
    /// prompt, not normalised (a zero-shot head normalises them). Prompts longer than the context are truncated as
    /// <c>clip.tokenize(..., truncate=True)</c> truncates them.
    /// </summary>
    public float[] Encode(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        int length = Config.ContextLength, e = EmbeddingSize;
        var rows = Tokenizer.Tokenize(prompts, length);
        var readouts = new int[prompts.Count];
        for (int r = 0; r < prompts.Count; r++) readouts[r] = transformer.ReadoutPosition(rows.AsSpan(r * length, length), Tokenizer.EndOfText);
        var output = new float[checked(prompts.Count * e)];
        // Batches of about BatchTokens tokens: large enough that the weights are streamed once for many prompts,
        // small enough that the activations (tokens × MLP width) stay a few tens of MB.
        for (int first = 0; first < prompts.Count;)
        {
            int count = 0, tokens = 0;
            while (first + count < prompts.Count && (count == 0 || tokens + readouts[first + count] + 1 <= BatchTokens))
                tokens += readouts[first + count++] + 1;
            transformer.Embed(rows.AsSpan(first * length, count * length), length, readouts.AsSpan(first, count), output.AsSpan(first * e, count * e));
            first += count;
        }
        return output;
    }

    const int BatchTokens = 2048;

    /// <summary>One prompt per label: <paramref name="template"/> with every "{}" replaced by the label ("a photo of a {}").</summary>
    public static IReadOnlyList<string> Prompts(string template, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(labels);
        if (!template.Contains("{}", StringComparison.Ordinal))
            throw new ArgumentException($"the prompt template \"{template}\" has no {{}} for the label", nameof(template));
        return labels.Select(label => template.Replace("{}", label, StringComparison.Ordinal)).ToArray();
    }

    static (string Weights, string? Config) Locate(string path)
    {
        if (File.Exists(path)) return (path, null);
        if (!Directory.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
        string openClip = Path.Combine(path, "open_clip_model.safetensors"), openClipConfig = Path.Combine(path, "open_clip_config.json");
        if (File.Exists(openClip)) return (openClip, File.Exists(openClipConfig) ? openClipConfig : null);
        string hf = Path.Combine(path, "model.safetensors");
        if (File.Exists(hf)) return (hf, null);
        throw new FileNotFoundException($"{path}: no CLIP checkpoint here (expected open_clip_model.safetensors with open_clip_config.json, or model.safetensors with config.json)", path);
    }

    /// <summary>openai/CLIP <c>build_model</c>'s reading of a bare state dict: sizes from the shapes, heads = width / 64, QuickGELU.</summary>
    static ClipTextConfig InferOpenAi(SafeTensorsFile f)
    {
        long[] Shape(string name, int rank) => f.TryGet(name, out var info) && info.Shape.Length == rank ? info.Shape
            : throw new InvalidDataException($"{f.Path}: no rank-{rank} tensor '{name}' (needed to size an OpenAI text tower without open_clip_config.json)");
        var token = Shape("token_embedding.weight", 2);
        var position = Shape("positional_embedding", 2);
        var fc = Shape("transformer.resblocks.0.mlp.c_fc.weight", 2);
        bool bias = f.Contains("text_projection.weight");
        var projection = bias ? Shape("text_projection.weight", 2) : Shape("text_projection", 2);
        int layers = 0;
        while (layers <= ClipTextConfig.MaxLayers && f.Contains($"transformer.resblocks.{layers}.attn.in_proj_weight")) layers++;
        int Fit(long v) => v is > 0 and <= int.MaxValue ? (int)v : throw new InvalidDataException($"{f.Path}: dimension {v} is out of range");
        int width = Fit(token[1]);
        return new ClipTextConfig
        {
            Layout = ClipTextLayout.OpenAi,
            Width = width,
            Heads = Math.Max(1, width / 64),
            Layers = layers,
            MlpHidden = Fit(fc[0]),
            ContextLength = Fit(position[0]),
            VocabSize = Fit(token[0]),
            ProjectionDim = Fit(bias ? projection[0] : projection[1]),
            Activation = ClipTextActivation.QuickGelu,
            ProjectionBias = bias,
        };
    }
}
