namespace Vitmix.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019): Adam with decoupled weight decay, as torch.optim.AdamW. Decay applies to
/// matrices only (weights of linear layers and the patch embedding), not to biases, norms, tokens or position
/// embeddings — timm's default parameter grouping.
/// </summary>
public sealed class AdamW
{
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float Epsilon { get; init; } = 1e-8f;
    public float WeightDecay { get; init; } = 0.05f;
    /// <summary>Steps taken so far (bias correction), saved with checkpoints for --resume.</summary>
    public long Step { get; set; }

    readonly Dictionary<string, (float[] M, float[] V)> _state = new();

    /// <summary>First and second moments by parameter name, for saving and restoring.</summary>
    public IReadOnlyDictionary<string, (float[] M, float[] V)> State => _state;

    public static bool Decays(string name) =>
        name.EndsWith(".weight") && !name.Contains("norm") && name != "pos_embed";

    public void Update(IEnumerable<(string Name, float[] Param, float[] Grad)> parameters, float learningRate)
    {
        Step++;
        float bc1 = 1f - MathF.Pow(Beta1, Step), bc2 = 1f - MathF.Pow(Beta2, Step);
        foreach (var (name, p, g) in parameters)
        {
            if (!_state.TryGetValue(name, out var s)) _state[name] = s = (new float[p.Length], new float[p.Length]);
            float decay = Decays(name) ? 1f - learningRate * WeightDecay : 1f;
            var m = s.M; var v = s.V;
            for (int i = 0; i < p.Length; i++)
            {
                float gi = g[i];
                m[i] = Beta1 * m[i] + (1 - Beta1) * gi;
                v[i] = Beta2 * v[i] + (1 - Beta2) * gi * gi;
                float mHat = m[i] / bc1, vHat = v[i] / bc2;
                p[i] = p[i] * decay - learningRate * mHat / (MathF.Sqrt(vHat) + Epsilon);
            }
        }
    }

    public void Restore(string name, float[] m, float[] v) => _state[name] = (m, v);
}
