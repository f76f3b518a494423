using System.Numerics.Tensors;
using Vitmix.Engine;

namespace Vitmix.Model;

/// <summary>
/// A ViT classifier (Dosovitskiy et al. 2021) in timm's pre-norm form:
/// x = x + ls1·attn(norm1(x)); x = x + ls2·mlp(norm2(x)); then norm, pooling and the head.
/// </summary>
public sealed class VisionTransformer
{
    public VitConfig Config { get; }
    public VitWeights Weights { get; }

    public VisionTransformer(VitConfig config, VitWeights weights)
    {
        config.Validate();
        Config = config;
        Weights = weights;
    }

    /// <summary>Number of classifier heads averaged at eval: 2 for a distilled DeiT, else 1.</summary>
    public int HeadCount => Config.Distilled ? 2 : 1;

    /// <summary>Logits (B, K) of a normalised batch (B, C, H, W).</summary>
    public Tensor Forward(Tensor images)
    {
        // Every intermediate lives in a workspace reused across calls; only the logits are new.
        CheckInput(images);
        var ws = TakeWorkspace(images.Dim(0));
        try
        {
            var trace = RunInto(images, record: false, ws, ws.Patches, ws.PatchTokens, ws.Tokens, ws.X, ws.PooledRaw,
                ws.Pooled, ws.PooledMean, ws.PooledRstd, ws.Logits);
            return new Tensor((float[])trace.Logits.Clone(), images.Dim(0), Config.NumClasses);
        }
        finally { ReturnWorkspace(ws); }
    }

    /// <summary>Runs the network; with <paramref name="record"/> keeps every activation an explainer needs.</summary>
    public ForwardTrace Run(Tensor images, bool record)
    {
        CheckInput(images);
        var c = Config;
        int b = images.Dim(0), rows = b * c.NumTokens, d = c.EmbedDim, heads = HeadCount;
        // The arrays a trace exposes are the caller's; only the per-block scratch of an unrecorded pass is reused.
        var ws = record ? null : TakeWorkspace(b);
        try
        {
            return RunInto(images, record, ws, new float[b * c.NumPatches * c.PatchDim], new float[b * c.NumPatches * d],
                new float[rows * d], new float[rows * d], new float[b * heads * d], new float[b * heads * d],
                new float[b * heads], new float[b * heads], new float[b * c.NumClasses]);
        }
        finally { if (ws != null) ReturnWorkspace(ws); }
    }

    void CheckInput(Tensor images)
    {
        var c = Config;
        if (images.Rank != 4 || images.Dim(1) != c.InChannels || images.Dim(2) != c.ImageHeight || images.Dim(3) != c.ImageWidth)
            throw new ArgumentException($"input is {images}, the model expects [B, {c.InChannels}, {c.ImageHeight}, {c.ImageWidth}]");
    }

    ForwardTrace RunInto(Tensor images, bool record, Workspace? ws, float[] patches, float[] patchTokens, float[] tokens,
        float[] x, float[] pooledRaw, float[] pooled, float[] mean, float[] rstd, float[] logits)
    {
        var c = Config;
        int b = images.Dim(0), n = c.NumTokens, d = c.EmbedDim, p = c.NumPatches;
        int rows = b * n;

        Im2Col.Unfold(images.Data, b, c.InChannels, c.ImageHeight, c.ImageWidth, c.PatchSize, patches);
        Gemm.Linear(patches, Weights.PatchWeight, Weights.PatchBias, patchTokens, b * p, c.PatchDim, d);

        AssembleTokens(patchTokens, tokens, b);
        tokens.AsSpan(0, rows * d).CopyTo(x);
        AddPositionEmbedding(x, b);

        var traces = record ? new BlockTrace[c.Depth] : [];
        var scratch = ws?.Block;
        for (int l = 0; l < c.Depth; l++)
        {
            var buf = scratch ?? BlockBuffers.Allocate(b, c, withAttention: true);
            var blockOut = record ? new float[rows * d] : x;
            RunBlock(Weights.Blocks[l], x, buf, blockOut, b);
            if (record) traces[l] = buf.ToTrace(x);
            x = blockOut;
        }

        int heads = HeadCount;
        Pool(x, pooledRaw, b);
        var (nw, nb) = c.FcNorm ? (Weights.FcNormWeight!, Weights.FcNormBias!) : (Weights.NormWeight!, Weights.NormBias!);
        LayerNorm.Forward(pooledRaw, b * heads, d, nw, nb, c.LayerNormEps, pooled, mean, rstd);
        Head(pooled, logits, b);

        return new ForwardTrace
        {
            Batch = b, Input = images.Data, Patches = patches, PatchTokens = patchTokens, Tokens = tokens,
            Blocks = traces, Output = x, PooledRaw = pooledRaw, PooledMean = mean, PooledRstd = rstd,
            Pooled = pooled, Logits = logits,
        };
    }

    /// <summary>Logits from the normalised pooled features (B, heads, D): the mean over heads of head·x + bias.</summary>
    internal void Head(ReadOnlySpan<float> pooled, Span<float> logits, int b)
    {
        var c = Config;
        int d = c.EmbedDim, k = c.NumClasses, heads = HeadCount;
        Span<float> tmp = heads == 2 ? (k <= 4096 ? stackalloc float[k] : new float[k]) : default;
        for (int i = 0; i < b; i++)
        {
            var li = logits.Slice(i * k, k);
            Gemm.Linear(pooled.Slice(i * heads * d, d), Weights.HeadWeight, Weights.HeadBias, li, 1, d, k);
            if (heads == 2)
            {
                Gemm.Linear(pooled.Slice((i * heads + 1) * d, d), Weights.HeadDistWeight!, Weights.HeadDistBias!, tmp, 1, d, k);
                TensorPrimitives.Add(li, tmp, li);
                TensorPrimitives.Multiply(li, 0.5f, li);
            }
        }
    }

    void Pool(ReadOnlySpan<float> x, Span<float> pooled, int b)
    {
        var c = Config;
        int n = c.NumTokens, d = c.EmbedDim, heads = HeadCount;
        for (int i = 0; i < b; i++)
        {
            if (c.Pool == GlobalPool.Token)
            {
                // class token, then the distillation token (index 1) for a distilled model
                for (int t = 0; t < heads; t++)
                    x.Slice((i * n + t) * d, d).CopyTo(pooled.Slice((i * heads + t) * d, d));
            }
            else
            {
                var dst = pooled.Slice(i * d, d);
                dst.Clear();
                for (int t = c.NumPrefixTokens; t < n; t++) TensorPrimitives.Add(dst, x.Slice((i * n + t) * d, d), dst);
                TensorPrimitives.Divide(dst, c.NumPatches, dst);
            }
        }
    }

    void AssembleTokens(ReadOnlySpan<float> patchTokens, Span<float> tokens, int b)
    {
        var c = Config;
        int n = c.NumTokens, d = c.EmbedDim, p = c.NumPatches, prefix = c.NumPrefixTokens;
        for (int i = 0; i < b; i++)
        {
            var dst = tokens.Slice(i * n * d, n * d);
            int t = 0;
            if (c.ClassToken) Weights.ClassToken!.CopyTo(dst.Slice(t++ * d, d));
            if (c.Distilled) Weights.DistToken!.CopyTo(dst.Slice(t++ * d, d));
            if (c.RegisterTokens > 0) { Weights.RegisterTokens!.CopyTo(dst.Slice(t * d, c.RegisterTokens * d)); }
            patchTokens.Slice(i * p * d, p * d).CopyTo(dst.Slice(prefix * d));
        }
    }

    void AddPositionEmbedding(Span<float> x, int b)
    {
        var c = Config;
        int n = c.NumTokens, d = c.EmbedDim;
        // With no_embed_class the embedding covers only the patch tokens.
        int offset = c.NoEmbedClass ? c.NumPrefixTokens * d : 0;
        int len = c.NumPositions * d;
        for (int i = 0; i < b; i++)
        {
            var s = x.Slice(i * n * d + offset, len);
            TensorPrimitives.Add(s, Weights.PosEmbed, s);
        }
    }

    void RunBlock(BlockWeights w, float[] x, BlockBuffers buf, float[] output, int b)
    {
        var c = Config;
        int n = c.NumTokens, d = c.EmbedDim, hm = c.MlpHidden, rows = b * n;
        LayerNorm.Forward(x, rows, d, w.Norm1Weight, w.Norm1Bias, c.LayerNormEps, buf.Norm1, buf.Norm1Mean, buf.Norm1Rstd);
        Gemm.Linear(buf.Norm1, w.QkvWeight, w.QkvBias, buf.Qkv, rows, d, 3 * d);
        Attention(buf.Qkv, buf.Attention.Length == 0 ? null : buf.Attention, buf.Context, b);
        Gemm.Linear(buf.Context, w.ProjWeight, w.ProjBias, buf.AttnBranch, rows, d, d);
        if (w.LayerScale1 != null) ScaleChannels(buf.AttnBranch, w.LayerScale1, rows, d);
        TensorPrimitives.Add(x, buf.AttnBranch, buf.Middle);
        LayerNorm.Forward(buf.Middle, rows, d, w.Norm2Weight, w.Norm2Bias, c.LayerNormEps, buf.Norm2, buf.Norm2Mean, buf.Norm2Rstd);
        Gemm.Linear(buf.Norm2, w.Fc1Weight, w.Fc1Bias, buf.Fc1, rows, d, hm);
        Gelu.Forward(buf.Fc1, buf.Hidden);
        Gemm.Linear(buf.Hidden, w.Fc2Weight, w.Fc2Bias, buf.MlpBranch, rows, hm, d);
        if (w.LayerScale2 != null) ScaleChannels(buf.MlpBranch, w.LayerScale2, rows, d);
        TensorPrimitives.Add(buf.Middle, buf.MlpBranch, output);
    }

    static void ScaleChannels(Span<float> x, ReadOnlySpan<float> gamma, int rows, int d)
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Multiply(x.Slice(r * d, d), gamma, x.Slice(r * d, d));
    }

    /// <summary>
    /// Multi-head self-attention core: per (sample, head) softmax(q·kᵀ/√d)·v, heads concatenated. Each head runs
    /// scores → softmax → ·v while its scores are in cache, and heads are shared among the worker threads.
    /// Without a trace the scores go to a per-thread scratch instead of <paramref name="attention"/>.
    /// </summary>
    unsafe void Attention(float[] qkv, float[]? attention, float[] context, int b)
    {
        var c = Config;
        int n = c.NumTokens, d = c.EmbedDim, h = c.NumHeads, hd = c.HeadDim;
        fixed (float* pq = qkv, pa = attention, pc = context)
        {
            var args = new AttentionArgs(pq, pa, pc, n, d, h, hd);
            if (b * h >= 2 && WorkerTeam.TryBegin())
            {
                try
                {
                    attentionJob.Args = args;
                    WorkerTeam.Run(attentionJob, b * h);
                }
                finally { WorkerTeam.End(); }
            }
            else
                for (int index = 0; index < b * h; index++) AttentionHead(args, index);
        }
    }

    readonly AttentionJob attentionJob = new();

    readonly unsafe struct AttentionArgs(float* qkv, float* attention, float* context, int n, int d, int h, int hd)
    {
        public readonly float* Qkv = qkv, Attention = attention, Context = context;
        public readonly int N = n, D = d, H = h, Hd = hd;
    }

    sealed class AttentionJob : TeamJob
    {
        public AttentionArgs Args;
        internal override void Execute(int index) => AttentionHead(Args, index);
    }

    [ThreadStatic] static float[]? scoreScratch;

    static unsafe void AttentionHead(in AttentionArgs a, int index)
    {
        int n = a.N, d = a.D, hd = a.Hd, i = index / a.H, head = index % a.H;
        float scale = 1f / MathF.Sqrt(hd);
        float[]? scratch = null;
        if (a.Attention == null)
        {
            scratch = scoreScratch;
            if (scratch == null || scratch.Length < n * n) scoreScratch = scratch = new float[n * n];
        }
        fixed (float* ps = scratch)
        {
            float* scores = a.Attention != null ? a.Attention + (long)index * n * n : ps;
            float* q = a.Qkv + (long)i * n * 3 * d + head * hd;
            var shape = GemmKernels.Resolve(GemmKernel.Auto);
            var qk = new GemmArgs(false, true, n, n, hd, scale, q, 3 * d, q + d, 3 * d, 0f, scores, n, null);
            GemmDriver.Serial(ref qk, shape);
            for (int r = 0; r < n; r++) Softmax.Row(scores + (long)r * n, n);
            var pv = new GemmArgs(false, false, n, hd, n, 1f, scores, n, q + 2 * d, 3 * d, 0f,
                a.Context + (long)i * n * d + head * hd, d, null);
            GemmDriver.Serial(ref pv, shape);
        }
    }

    /// <summary>Buffers of an unrecorded pass at one batch size, kept between calls.</summary>
    sealed class Workspace
    {
        public required int Batch;
        public required float[] Patches, PatchTokens, Tokens, X, PooledRaw, Pooled, PooledMean, PooledRstd, Logits;
        public required BlockBuffers Block;
    }

    Workspace? cachedWorkspace;

    Workspace TakeWorkspace(int b)
    {
        var ws = Interlocked.Exchange(ref cachedWorkspace, null);
        if (ws != null && ws.Batch == b) return ws;
        var c = Config;
        int rows = b * c.NumTokens, d = c.EmbedDim, heads = HeadCount;
        return new Workspace
        {
            Batch = b, Patches = new float[b * c.NumPatches * c.PatchDim], PatchTokens = new float[b * c.NumPatches * d],
            Tokens = new float[rows * d], X = new float[rows * d], PooledRaw = new float[b * heads * d],
            Pooled = new float[b * heads * d], PooledMean = new float[b * heads], PooledRstd = new float[b * heads],
            Logits = new float[b * c.NumClasses], Block = BlockBuffers.Allocate(b, c, withAttention: false),
        };
    }

    void ReturnWorkspace(Workspace ws) => Volatile.Write(ref cachedWorkspace, ws);

    /// <summary>Per-block working arrays; a recorded pass keeps one set per block.</summary>
    sealed class BlockBuffers
    {
        public required float[] Norm1, Norm1Mean, Norm1Rstd, Qkv, Attention, Context, AttnBranch, Middle,
            Norm2, Norm2Mean, Norm2Rstd, Fc1, Hidden, MlpBranch;

        /// <summary>Without attention the probabilities are not kept (an unrecorded pass).</summary>
        public static BlockBuffers Allocate(int b, VitConfig c, bool withAttention)
        {
            int n = c.NumTokens, d = c.EmbedDim, rows = b * n;
            return new BlockBuffers
            {
                Norm1 = new float[rows * d], Norm1Mean = new float[rows], Norm1Rstd = new float[rows],
                Qkv = new float[rows * 3 * d], Attention = withAttention ? new float[b * c.NumHeads * n * n] : [],
                Context = new float[rows * d], AttnBranch = new float[rows * d], Middle = new float[rows * d],
                Norm2 = new float[rows * d], Norm2Mean = new float[rows], Norm2Rstd = new float[rows],
                Fc1 = new float[rows * c.MlpHidden], Hidden = new float[rows * c.MlpHidden], MlpBranch = new float[rows * d],
            };
        }

        public BlockTrace ToTrace(float[] input) => new()
        {
            Input = input, Norm1 = Norm1, Norm1Mean = Norm1Mean, Norm1Rstd = Norm1Rstd, Qkv = Qkv,
            Attention = Attention, Context = Context, AttnBranch = AttnBranch, Middle = Middle, Norm2 = Norm2,
            Norm2Mean = Norm2Mean, Norm2Rstd = Norm2Rstd, Fc1 = Fc1, Hidden = Hidden, MlpBranch = MlpBranch,
        };
    }
}
