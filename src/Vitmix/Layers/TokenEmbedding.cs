using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// Prefix tokens and position embeddings (timm's _pos_embed): [class token][distillation token][register tokens]
/// are put before the patch tokens, and the learned position embedding is added, to every token, or with
/// no_embed_class to the patch tokens alone (then added before the prefix is prepended, which gives the same sums).
/// </summary>
public sealed class TokenEmbedding : Layer
{
    /// <param name="classToken">(D) class token, or null.</param>
    /// <param name="distillationToken">(D) DeiT distillation token, or null.</param>
    /// <param name="registerTokens">(R, D) register tokens (Darcet et al. 2024), or null.</param>
    /// <param name="positions">(positions, D) position embedding.</param>
    /// <param name="embedPrefix">Whether the position embedding covers the prefix tokens (false: timm's no_embed_class).</param>
    public TokenEmbedding(float[]? classToken, float[]? distillationToken, float[]? registerTokens, float[] positions, int dim, bool embedPrefix)
        : base("pos_embed")
    {
        Dim = dim;
        ClassToken = classToken == null ? null : new Parameter("cls_token", new Tensor(classToken, 1, 1, dim));
        DistillationToken = distillationToken == null ? null : new Parameter("dist_token", new Tensor(distillationToken, 1, 1, dim));
        RegisterTokens = registerTokens == null ? null : new Parameter("reg_token", new Tensor(registerTokens, 1, registerTokens.Length / dim, dim));
        Positions = new Parameter("pos_embed", new Tensor(positions, 1, positions.Length / dim, dim));
        EmbedsPrefix = embedPrefix;
    }

    /// <summary>Embedding width D.</summary>
    public int Dim { get; }

    /// <summary>The class token, or null.</summary>
    public Parameter? ClassToken { get; }

    /// <summary>The distillation token, or null.</summary>
    public Parameter? DistillationToken { get; }

    /// <summary>The register tokens, or null.</summary>
    public Parameter? RegisterTokens { get; }

    /// <summary>The position embedding.</summary>
    public Parameter Positions { get; }

    /// <summary>Whether the position embedding covers the prefix tokens.</summary>
    public bool EmbedsPrefix { get; }

    /// <summary>The prefix tokens in order: class, distillation, registers.</summary>
    IEnumerable<Parameter> Prefix => new[] { ClassToken, DistillationToken, RegisterTokens }.OfType<Parameter>();

    /// <summary>Number of prefix tokens.</summary>
    public int PrefixCount => Prefix.Sum(t => t.Value.Dim(1));

    /// <inheritdoc/>
    public override string Kind => "prefix tokens and position embedding";

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Parameters => Prefix.Append(Positions);

    // Where, in a sample's (tokens, D) block, the position embedding starts.
    long PositionOffset => EmbedsPrefix ? 0 : (long)PrefixCount * Dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        var ops = context.Backend;
        int b = input.Dim(0), patches = input.Dim(1), prefix = PrefixCount, n = prefix + patches;
        if (input.Dim(2) != Dim) throw new ArgumentException($"{Name}: patch tokens {input} are not {Dim} wide");
        long positions = Positions.Value.Length;
        if (PositionOffset + positions != (long)n * Dim)
            throw new ArgumentException($"{Name}: {positions / Dim} position embeddings for {n} tokens ({prefix} prefix, {patches} patches)");
        var tokens = context.Rent(b, n, Dim);
        for (int i = 0; i < b; i++)
        {
            long at = (long)i * n * Dim;
            foreach (var p in Prefix)
            {
                ops.Copy(p.Value, 0, tokens, at, p.Value.Length);
                at += p.Value.Length;
            }
            ops.Copy(input, (long)i * patches * Dim, tokens, at, (long)patches * Dim);
        }
        if (!context.Recording)
        {
            for (int i = 0; i < b; i++) ops.AddAt(tokens, (long)i * n * Dim + PositionOffset, Positions.Value, 0, positions);
            return tokens;
        }
        var x = context.Rent(b, n, Dim);
        ops.Copy(tokens, 0, x, 0, tokens.Length);
        for (int i = 0; i < b; i++) ops.AddAt(x, (long)i * n * Dim + PositionOffset, Positions.Value, 0, positions);
        context.Save(this, tokens);
        return x;
    }

    /// <inheritdoc/>
    public override Tensor Backward(Tensor outputGradient, BackwardContext context)
    {
        var ops = context.Backend;
        int b = outputGradient.Dim(0), n = outputGradient.Dim(1), prefix = PrefixCount, patches = n - prefix;
        long sample = (long)n * Dim;
        if (context.GradientOf(Positions) is { } dPos)
            for (int i = 0; i < b; i++) ops.AddAt(dPos, 0, outputGradient, i * sample + PositionOffset, dPos.Length);
        long at = 0;
        foreach (var p in Prefix)
        {
            if (context.GradientOf(p) is { } dToken)
                for (int i = 0; i < b; i++) ops.AddAt(dToken, 0, outputGradient, i * sample + at, dToken.Length);
            at += p.Value.Length;
        }
        var dPatches = context.Rent(b, patches, Dim);
        for (int i = 0; i < b; i++) ops.Copy(outputGradient, i * sample + (long)prefix * Dim, dPatches, (long)i * patches * Dim, (long)patches * Dim);
        return dPatches;
    }

    /// <inheritdoc/>
    public override Tensor Relevance(Tensor outputRelevance, RelevanceContext context)
    {
        var ops = context.Backend;
        var tokens = context.Saved<Tensor>(this);
        int b = tokens.Dim(0), n = tokens.Dim(1), prefix = PrefixCount, patches = n - prefix;
        long covered = Positions.Value.Length;
        // The addition rule sees, per sample, the tokens the embedding was added to and the embedding itself.
        var a = EmbedsPrefix ? tokens : Rows(context, tokens, prefix, patches);
        var r = EmbedsPrefix ? outputRelevance : Rows(context, outputRelevance, prefix, patches);
        var pos = context.Rent(b, checked((int)(covered / Dim)), Dim);
        for (int i = 0; i < b; i++) ops.Copy(Positions.Value, 0, pos, i * covered, covered);
        var (rTokens, rPositions) = context.Composite.PositionEmbedding.Apply(context, a, pos, r);
        context.Return(rPositions);
        context.Return(pos);
        if (!EmbedsPrefix)
        {
            context.Return(a);
            context.Return(r);
            return rTokens;
        }
        // The prefix tokens are parameters, not inputs: only the patch rows carry relevance further down.
        var rPatches = Rows(context, rTokens, prefix, patches);
        context.Return(rTokens);
        return rPatches;
    }

    static Tensor Rows(PassContext context, Tensor x, int first, int count)
    {
        int b = x.Dim(0), n = x.Dim(1), d = x.Dim(2);
        var rows = context.Rent(b, count, d);
        for (int i = 0; i < b; i++) context.Backend.Copy(x, ((long)i * n + first) * d, rows, (long)i * count * d, (long)count * d);
        return rows;
    }
}
