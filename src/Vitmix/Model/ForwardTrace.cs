namespace Vitmix.Model;

/// <summary>
/// Activations of one block kept for a later backward or relevance pass. Shapes use B = batch,
/// N = tokens, D = embed dim, Hm = MLP hidden, H = heads; all row-major.
/// </summary>
public sealed class BlockTrace
{
    public required float[] Input;             // (B,N,D) residual stream entering the block
    public required float[] Norm1;             // (B,N,D) LN1 output = qkv input
    public required float[] Norm1Mean, Norm1Rstd; // (B·N)
    public required float[] Qkv;               // (B,N,3D)
    public required float[] Attention;         // (B,H,N,N) post-softmax probabilities
    public required float[] Context;           // (B,N,D) heads concatenated = proj input
    public required float[] AttnBranch;        // (B,N,D) proj output (× ls1 when present)
    public required float[] Middle;            // (B,N,D) Input + AttnBranch
    public required float[] Norm2;             // (B,N,D)
    public required float[] Norm2Mean, Norm2Rstd;
    public required float[] Fc1;               // (B,N,Hm) before GELU
    public required float[] Hidden;            // (B,N,Hm) after GELU = fc2 input
    public required float[] MlpBranch;         // (B,N,D) fc2 output (× ls2 when present)
    // Output of the block = Middle + MlpBranch = next block's Input (or ForwardTrace.Output).
}

/// <summary>
/// Everything one forward pass recorded for explanation: the attention probabilities of every block
/// and the activations a backward or relevance pass reuses. Recorded only when asked for.
/// </summary>
public sealed class ForwardTrace
{
    public required int Batch;
    public required float[] Input;        // (B,C,H,W) the normalised image batch
    public required float[] Patches;      // (B·P, C·p·p) unfolded patches = patch-embedding input
    public required float[] PatchTokens;  // (B,P,D) patch-embedding output before position embedding
    public required float[] Tokens;       // (B,N,D) prefix + patch tokens before position embedding
    /// <summary>Per-block activations; an explanation pass releases (nulls) each block once it is done with it.</summary>
    public required BlockTrace?[] Blocks;
    public required float[] Output;       // (B,N,D) residual stream after the last block
    /// <summary>(B, heads, D): what each classifier head reads before its LayerNorm (pooled token or patch mean).</summary>
    public required float[] PooledRaw;
    public required float[] PooledMean, PooledRstd; // (B·heads)
    /// <summary>(B, heads, D): the normalised classifier input.</summary>
    public required float[] Pooled;
    public required float[] Logits;       // (B,K)
}
