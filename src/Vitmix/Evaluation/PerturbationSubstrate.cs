namespace Vitmix.Evaluation;

/// <summary>What a perturbed pixel becomes (all in the network's normalised input space).</summary>
public enum PerturbationSubstrate
{
    /// <summary>0 in every channel of the normalised tensor — the mean colour (mid-grey for mean = std = 0.5); RISE's deletion substrate and the ViTmiX script's.</summary>
    Zeros,
    /// <summary>The normalised value of RGB (0, 0, 0): −mean/std per channel.</summary>
    Black,
    /// <summary>RISE's Gaussian blur of the image (kernel 11, σ 5, zero padding); the insertion default.</summary>
    Blur,
    /// <summary>The image's own per-channel mean.</summary>
    Mean,
}

/// <summary>Builds the substrate image of a <see cref="PerturbationSubstrate"/>.</summary>
public static class Substrates
{
    /// <summary>
    /// The substrate for a normalised image (C, H, W) laid out flat; <paramref name="mean"/>/<paramref name="std"/>
    /// (per channel, in [0, 1] pixel units) are only used by <see cref="PerturbationSubstrate.Black"/>.
    /// </summary>
    public static float[] Create(PerturbationSubstrate kind, ReadOnlySpan<float> image, int channels, int height, int width,
        IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        int plane = height * width;
        if (image.Length != channels * plane) throw new ArgumentException($"image has {image.Length} values, expected {channels}x{height}x{width}");
        var s = new float[image.Length];
        switch (kind)
        {
            case PerturbationSubstrate.Zeros: break;
            case PerturbationSubstrate.Black:
                for (int c = 0; c < channels; c++)
                {
                    float m = mean is null ? 0.5f : mean[c % mean.Count], sd = std is null ? 0.5f : std[c % std.Count];
                    s.AsSpan(c * plane, plane).Fill((0f - m) / sd);
                }
                break;
            case PerturbationSubstrate.Mean:
                for (int c = 0; c < channels; c++)
                {
                    double sum = 0;
                    foreach (float v in image.Slice(c * plane, plane)) sum += v;
                    s.AsSpan(c * plane, plane).Fill((float)(sum / plane));
                }
                break;
            case PerturbationSubstrate.Blur:
                GaussianBlur(image, s, channels, height, width, RiseKernel());
                break;
            default: throw new ArgumentException($"unknown substrate {kind}");
        }
        return s;
    }

    /// <summary>
    /// RISE's gkern(11, 5) as one separable 1-D factor: a unit impulse at the centre of 11 samples filtered by
    /// scipy's gaussian_filter (σ 5, truncate 4 → radius 20, mode "reflect": d c b a | a b c d | d c b a). Because
    /// the reflections fold the tails back in, the 11 weights sum to 1 and the 2-D kernel is their outer product.
    /// </summary>
    internal static double[] RiseKernel(int length = 11, double sigma = 5)
    {
        int radius = (int)(4.0 * sigma + 0.5);
        var g = new double[2 * radius + 1];
        double total = 0;
        for (int j = -radius; j <= radius; j++) { g[j + radius] = Math.Exp(-0.5 * j * j / (sigma * sigma)); total += g[j + radius]; }
        for (int j = 0; j < g.Length; j++) g[j] /= total;
        var k = new double[length];
        int centre = length / 2;
        for (int i = 0; i < length; i++)
        {
            for (int j = -radius; j <= radius; j++)
                if (Reflect(i + j, length) == centre) k[i] += g[j + radius];
        }
        return k;
    }

    static int Reflect(int i, int n)
    {
        int period = 2 * n;
        int m = ((i % period) + period) % period;
        return m < n ? m : period - 1 - m;
    }

    // Per-channel 2-D convolution with the outer-product kernel, zero padding (conv2d padding = len/2).
    static void GaussianBlur(ReadOnlySpan<float> src, Span<float> dst, int channels, int h, int w, double[] k1)
    {
        int r = k1.Length / 2, plane = h * w;
        var k2 = new float[k1.Length * k1.Length];
        for (int a = 0; a < k1.Length; a++)
            for (int b = 0; b < k1.Length; b++) k2[a * k1.Length + b] = (float)(k1[a] * k1[b]);
        for (int c = 0; c < channels; c++)
        {
            var s = src.Slice(c * plane, plane);
            var d = dst.Slice(c * plane, plane);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float acc = 0f;
                    for (int dy = -r; dy <= r; dy++)
                    {
                        int yy = y + dy;
                        if ((uint)yy >= (uint)h) continue;
                        int krow = (dy + r) * k1.Length + r;
                        for (int dx = -r; dx <= r; dx++)
                        {
                            int xx = x + dx;
                            if ((uint)xx >= (uint)w) continue;
                            acc += k2[krow + dx] * s[yy * w + xx];
                        }
                    }
                    d[y * w + x] = acc;
                }
        }
    }
}
