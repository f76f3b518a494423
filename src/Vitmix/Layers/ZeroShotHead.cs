using Vitmix.Engine;
using Vitmix.Relevance;

namespace Vitmix.Layers;

/// <summary>
/// The zero-shot classifier of a contrastive image-text model: logits = exp(logit_scale)·cos(image embedding, text row)
/// (+ logit_bias), one text row per class, as CLIP's (Radford et al. 2021) and SigLIP's (Zhai et al. 2023) forward
/// compute them (open_clip model.py CLIP.forward, transformers CLIPModel / SiglipModel). (B, E) image embeddings →
/// (B, C) logits. The text rows are the text tower's output for each class prompt; they are normalised once here, so
/// a pass normalises only the image embedding.
/// </summary>
/// <remarks>
/// The head is part of the model, so every gradient and relevance explainer reads the class score through the
/// cosine. Its relevance treats the image normalisation like LRP treats a LayerNorm's standard deviation (Ali et al.
/// 2022): as a constant of the sample, so per sample the head is the linear map W = exp(scale)·T̂ / ‖x‖ and the
/// composite's head rule applies to it.
/// </remarks>
public sealed class ZeroShotHead : Layer
{
    sealed record Record(Tensor Input, Tensor Unit, Tensor InverseNorms);

    readonly float[] unitRows;

    /// <param name="textEmbeddings">(classes, dim) text embeddings, one row per class, not necessarily normalised.</param>
    /// <param name="classes">Number of classes C.</param>
    /// <param name="dim">Embedding width E, shared by image and text embeddings.</param>
    /// <param name="logitScale">The checkpoint's logit_scale (a log): logits are scaled by exp of it.</param>
    /// <param name="logitBias">SigLIP's logit_bias, added to every logit; null for CLIP.</param>
    public ZeroShotHead(float[] textEmbeddings, int classes, int dim, float logitScale, float? logitBias) : base("zero_shot")
    {
        if (classes <= 0 || dim <= 0 || textEmbeddings.Length != (long)classes * dim)
            throw new ArgumentException($"{textEmbeddings.Length} text embedding values are not {classes} rows of {dim}");
        if (!float.IsFinite(logitScale) || !float.IsFinite(MathF.Exp(logitScale)))
            throw new ArgumentException($"logit_scale {logitScale} does not give a finite scale exp(logit_scale)");
        if (logitBias is { } b && !float.IsFinite(b)) throw new ArgumentException($"logit_bias {b} is not finite");
        Classes = classes;
        Dim = dim;
        LogitScale = logitScale;
        LogitBias = logitBias;
        TextEmbeddings = textEmbeddings;
        unitRows = new float[textEmbeddings.Length];
        for (int c = 0; c < classes; c++)
        {
            var row = textEmbeddings.AsSpan(c * dim, dim);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            if (!(norm > 0) || !float.IsFinite(norm)) throw new ArgumentException($"text embedding row {c} has norm {norm}; a class needs a non-zero, finite row");
            System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, unitRows.AsSpan(c * dim, dim));
        }
        UnitText = new Tensor(unitRows, classes, dim);
        if (logitBias is { } bias)
        {
            Bias = new Tensor(new float[classes], classes);
            Array.Fill(Bias.Data, bias);
        }
    }

    /// <summary>Number of classes C.</summary>
    public int Classes { get; }

    /// <summary>Embedding width E.</summary>
    public int Dim { get; }

    /// <summary>logit_scale as stored (a log).</summary>
    public float LogitScale { get; }

    /// <summary>exp(logit_scale), the factor on the cosine.</summary>
    public float Scale => MathF.Exp(LogitScale);

    /// <summary>SigLIP's logit_bias, or null.</summary>
    public float? LogitBias { get; }

    /// <summary>The text rows as given, (C, E).</summary>
    public float[] TextEmbeddings { get; }

    /// <summary>The text rows normalised to unit length, (C, E).</summary>
    public Tensor UnitText { get; }

    Tensor? Bias { get; }

    /// <inheritdoc/>
    public override string Kind => LogitBias == null ? "zero-shot head (CLIP)" : "zero-shot head (SigLIP)";

    int Rows(Tensor x)
    {
        if (x.Dim(-1) != Dim) throw new ArgumentException($"{Name}: image embedding {x} is not {Dim} wide like the text embeddings");
        return x.Length / Dim;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        int b = Rows(input);
        var ops = context.Backend;
        var unit = context.Rent(b, Dim);
        var inverse = context.Rent(b);
        // ‖x‖² per row, then 1/‖x‖ (B values: a scalar loop), then the unit rows
        ops.Multiply(input, input, unit);
        ops.RowSums(unit, b, Dim, inverse);
        for (int i = 0; i < b; i++) inverse.Data[i] = 1f / MathF.Sqrt(inverse.Data[i]);
        ops.ScaleRows(input, inverse, b, Dim, unit);
        var logits = context.Rent(b, Classes);
        ops.MatMul(false, true, b, Classes, Dim, Scale, unit, 0, Dim, UnitText, 0, Dim, 0f, logits, 0, Classes);
        if (Bias != null)
            for (int i = 0; i < b; i++) ops.AddAt(logits, (long)i * Classes, Bias, 0, Classes);
        if (context.Recording) context.Save(this, new Record(input, unit, inverse));
        else
        {
            context.Return(unit);
            context.Return(inverse);
        }
        return logits;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var r = context.Saved<Record>(this);
        int b = Rows(r.Input);
        var ops = context.Backend;
        // du = scale·g·T̂; dx = (du − u·(u·du)) / ‖x‖, the gradient of x/‖x‖
        var du = context.Rent(b, Dim);
        ops.MatMul(false, false, b, Dim, Classes, Scale, outputGradient, 0, Classes, UnitText, 0, Dim, 0f, du, 0, Dim);
        var product = context.Rent(b, Dim);
        var along = context.Rent(b);
        ops.Multiply(r.Unit, du, product);
        ops.RowSums(product, b, Dim, along);
        ops.ScaleRows(r.Unit, along, b, Dim, product);
        ops.Subtract(du, product, du);
        ops.ScaleRows(du, r.InverseNorms, b, Dim, du);
        context.Return(product);
        context.Return(along);
        return du;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var r = context.Saved<Record>(this);
        int b = Rows(r.Input);
        var ops = context.Backend;
        var rule = context.Composite.Linear(LinearRole.Head);
        var rx = context.Rent(b, Dim);
        var weight = context.Rent(Classes, Dim);
        var x = context.Rent(1, Dim);
        var rOut = context.Rent(1, Classes);
        for (int i = 0; i < b; i++)
        {
            // the sample's own linear map: W = exp(scale)·T̂/‖x‖
            ops.Scale(UnitText, Scale * r.InverseNorms.Data[i], weight);
            ops.Copy(r.Input, (long)i * Dim, x, 0, Dim);
            ops.Copy(outputRelevance, (long)i * Classes, rOut, 0, Classes);
            var ri = rule.Apply(context, x, weight, Bias, rOut, 1, Dim, Classes);
            ops.Copy(ri, 0, rx, (long)i * Dim, Dim);
            context.Return(ri);
        }
        context.Return(weight);
        context.Return(x);
        context.Return(rOut);
        return rx;
    }
}
