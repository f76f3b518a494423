using System.Globalization;
using Vitmix.Data;
using Vitmix.Model.Checkpoints;

namespace Vitmix.Model;

/// <summary>
/// The classes of a zero-shot classifier: one text embedding per class, as the model's own text tower produced it
/// (for a prompt such as "a photo of a cat"), and the class names. A contrastive image-text model
/// (<see cref="ImageTextHead"/>) becomes a classifier of these classes with <see cref="LoadedModel.WithZeroShot"/>, or
/// at load time through <see cref="ModelOverrides.ZeroShot"/>. A text encoder in the library returns one of these.
/// </summary>
/// <param name="Embeddings">(Classes, Dim) row-major, one row per class; rows need not be normalised.</param>
/// <param name="Classes">Number of classes C.</param>
/// <param name="Dim">Embedding width E; must equal the image embedding's.</param>
/// <param name="Labels">One name per class, in row order.</param>
public sealed record ZeroShotClasses(float[] Embeddings, int Classes, int Dim, IReadOnlyList<string> Labels)
{
    /// <summary>Where the embeddings came from, for messages ("--text-embeddings text.npy").</summary>
    public string Source { get; init; } = "text embeddings";

    /// <summary>
    /// logit_scale (a log) to use instead of the checkpoint's: for image towers that do not hold it (timm's CLIP and
    /// SigLIP towers), read from a .safetensors of text embeddings that holds a 'logit_scale' beside the rows.
    /// </summary>
    public float? LogitScale { get; init; }

    /// <summary>SigLIP's logit_bias to use instead of the checkpoint's (a 'logit_bias' beside the rows), or null.</summary>
    public float? LogitBias { get; init; }

    /// <summary>Every problem of the rows and labels themselves (shape, finiteness, zero rows, label count).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Classes <= 0 || Dim <= 0 || Embeddings.LongLength != (long)Classes * Dim)
        {
            problems.Add($"{Embeddings.LongLength} values are not {Classes} rows of width {Dim}");
            return problems;
        }
        if (Labels.Count != Classes) problems.Add($"{Labels.Count} labels for {Classes} text embedding rows");
        for (int c = 0; c < Classes; c++)
        {
            var row = Embeddings.AsSpan(c * Dim, Dim);
            int bad = row.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
            if (bad >= 0) { problems.Add($"row {c} holds {row[bad].ToString(CultureInfo.InvariantCulture)} at column {bad}"); break; }
            if (System.Numerics.Tensors.TensorPrimitives.Norm(row) == 0f) { problems.Add($"row {c} is all zeros (no direction to compare with)"); break; }
        }
        return problems;
    }

    /// <summary>
    /// Reads (C, E) text embeddings from a .npy file (float32 or float64) or a .safetensors file (its one 2-D tensor,
    /// or the one named "text_embeddings" or "embeddings"), with the labels given (a file of one name per line, or
    /// names separated by commas). Errors name the file or option and the problem.
    /// </summary>
    public static ZeroShotClasses Read(string embeddingsPath, string? labels)
    {
        string source = $"--text-embeddings {embeddingsPath}";
        if (!File.Exists(embeddingsPath)) throw new FileNotFoundException($"{source}: no such file", embeddingsPath);
        float[] values;
        int[] shape;
        float? scale = null, bias = null;
        if (embeddingsPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            using var file = SafeTensorsFile.Open(embeddingsPath);
            float? Scalar(string key)
            {
                if (!file.TryGet(key, out var info)) return null;
                if (info.ElementCount != 1) throw new InvalidDataException($"{source}: {key} is [{string.Join(", ", info.Shape)}], expected one value");
                float v = file.ReadFloats(key)[0];
                return float.IsFinite(v) ? v : throw new InvalidDataException($"{source}: {key} is {v.ToString(CultureInfo.InvariantCulture)}, expected a finite value");
            }
            scale = Scalar("logit_scale");
            bias = Scalar("logit_bias");
            var matrices = file.Tensors.Where(t => t.Shape.Length == 2).ToList();
            var chosen = matrices.FirstOrDefault(t => t.Name is "text_embeddings" or "embeddings")
                ?? (matrices.Count == 1 ? matrices[0] : throw new InvalidDataException(
                    $"{source}: expected one 2-D tensor (classes, dim), or one named 'text_embeddings'; the file has {(matrices.Count == 0 ? "none" : string.Join(", ", matrices))}"));
            var t = file.ReadTensor(chosen.Name);
            (values, shape) = (t.Data, t.Shape);
        }
        else
        {
            NpyArray a;
            try { a = Npy.Read(embeddingsPath); }
            catch (Exception e) when (e is InvalidDataException or FormatException)
            {
                throw new InvalidDataException($"{source}: not a .npy array of text embeddings ({e.Message}); give a .npy or .safetensors file of shape (classes, dim)");
            }
            (values, shape) = (a.ToFloat(), a.Shape);
        }
        if (shape.Length != 2 || shape[0] <= 0 || shape[1] <= 0)
            throw new InvalidDataException($"{source}: shape ({string.Join(", ", shape)}), expected (classes, dim) with one row per class");
        var names = ParseLabels(labels, shape[0]);
        var classes = new ZeroShotClasses(values, shape[0], shape[1], names) { Source = source, LogitScale = scale, LogitBias = bias };
        var problems = classes.Problems();
        if (problems.Count > 0)
        {
            bool labelCount = names.Count != shape[0];
            throw new InvalidDataException(labelCount
                ? $"--labels: {names.Count} labels for the {shape[0]} rows of {embeddingsPath}; give one label per row"
                : $"{source}: {string.Join("; ", problems)}");
        }
        return classes;
    }

    /// <summary>
    /// Labels from a file (one per line, blank lines skipped) or a comma-separated list; "class N" for every row when
    /// none are given.
    /// </summary>
    public static IReadOnlyList<string> ParseLabels(string? labels, int rows)
    {
        if (labels == null) return Enumerable.Range(0, rows).Select(i => $"class {i}").ToArray();
        if (File.Exists(labels))
            return File.ReadAllLines(labels).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        var names = labels.Split(',').Select(s => s.Trim()).ToArray();
        if (names.Any(n => n.Length == 0))
            throw new ArgumentException($"--labels '{labels}': neither a file nor a comma-separated list of non-empty names");
        return names;
    }
}

/// <summary>The zero-shot head of a model: text rows and the checkpoint's logit scale and bias (<see cref="Layers.ZeroShotHead"/>).</summary>
/// <param name="Embeddings">(Classes, Dim) text rows.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="Dim">Embedding width.</param>
/// <param name="LogitScale">logit_scale (a log).</param>
/// <param name="LogitBias">logit_bias (SigLIP), or null.</param>
public sealed record ZeroShotWeights(float[] Embeddings, int Classes, int Dim, float LogitScale, float? LogitBias);

/// <summary>
/// What a contrastive image-text checkpoint (CLIP, SigLIP) says about its zero-shot head, read with its image
/// encoder: how scores are made, the image embedding width and the learned logit scale and bias.
/// </summary>
/// <param name="Family">One line naming the family, size and layout ("CLIP ViT-B/16 image encoder (OpenAI layout)").</param>
/// <param name="Scores">Softmax (CLIP) or sigmoid (SigLIP).</param>
/// <param name="EmbedDim">Width E of the image embedding, which text rows must match.</param>
/// <param name="LogitScale">logit_scale as stored (a log), finite; null when the checkpoint holds none (timm's SigLIP towers).</param>
/// <param name="LogitBias">logit_bias (SigLIP), or null.</param>
/// <param name="ScaleSource">Where the scale came from ("logit_scale in the checkpoint", or the default used and why).</param>
public sealed record ImageTextHead(string Family, ZeroShotScores Scores, int EmbedDim, float? LogitScale, float? LogitBias, string ScaleSource);
