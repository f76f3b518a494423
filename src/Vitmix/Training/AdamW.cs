namespace Vitmix.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019): Adam with decoupled weight decay, as torch.optim.AdamW. Decay applies to
/// matrices only (weights of linear layers and the patch embedding), not to biases, norms, tokens or position
/// embeddings — timm's default parameter grouping.
/// </summary>
public sealed class AdamW
{
    /// <summary>Decay rate β₁ of the first-moment (mean) estimate.</summary>
    public float Beta1 { get; init; } = 0.9f;
    /// <summary>Decay rate β₂ of the second-moment (uncentred variance) estimate.</summary>
    public float Beta2 { get; init; } = 0.999f;
    /// <summary>Added to √v̂ in the denominator, against division by zero.</summary>
    public float Epsilon { get; init; } = 1e-8f;
    /// <summary>Decoupled weight decay λ: each step multiplies a decayed parameter by 1 − learning rate · λ.</summary>
    public float WeightDecay { get; init; } = 0.05f;
    /// <summary>Steps taken so far (bias correction), saved with checkpoints for --resume.</summary>
    public long Step { get; set; }

    readonly Dictionary<string, (float[] M, float[] V)> _state = new();

    /// <summary>First and second moments by parameter name, for saving and restoring.</summary>
    public IReadOnlyDictionary<string, (float[] M, float[] V)> State => _state;

    /// <summary>Whether the parameter with timm name <paramref name="name"/> is decayed: a ".weight" that is not a norm's.</summary>
    public static bool Decays(string name) =>
        name.EndsWith(".weight") && !name.Contains("norm") && name != "pos_embed";

    /// <summary>
    /// One step: increments <see cref="Step"/> and updates every parameter in place from its gradient at
    /// <paramref name="learningRate"/>. Moments are keyed by name and start at zero the first time a name is seen.
    /// </summary>
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

    /// <summary>Sets the first (<paramref name="m"/>) and second (<paramref name="v"/>) moments of a parameter, as saved in a checkpoint; the arrays are kept, not copied.</summary>
    public void Restore(string name, float[] m, float[] v) => _state[name] = (m, v);
}
