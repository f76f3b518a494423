namespace Vitmix.Evaluation;

/// <summary>
/// ROAD's noisy linear imputation (Rong et al., ICML 2022; tleemann/road_evaluation, NoisyLinearImputer): every
/// removed pixel becomes the weighted mean of its in-image 8 neighbours — weight 1/6 for the 4 direct neighbours,
/// 1/12 for the 4 diagonal ones, renormalised at the image border by dividing by the weights that exist — where a
/// removed neighbour is itself an unknown, so all removed pixels are solved together as one sparse linear system per
/// channel; Gaussian noise is then added to the imputed values only.
/// <para>
/// The system: for removed pixel i with in-image neighbour weights w_ij summing to S_i,
/// S_i·x_i − Σ_{j removed} w_ij·x_j = Σ_{k known} w_ik·v_k. The weights are symmetric (w_ij = w_ji: the offsets come
/// in ± pairs of equal weight) and the matrix is weakly diagonally dominant, strictly in every row that touches a known
/// pixel; every 8-connected group of removed pixels touches one unless the whole image is removed, so the matrix is a
/// nonsingular symmetric M-matrix, i.e. positive definite, and conjugate gradients converge. CG runs in double
/// precision from the mean of the channel's known pixels (exact when the known pixels are constant) until ‖b − Ax‖₂ ≤ <see cref="Tolerance"/>·‖b‖₂; not preconditioned, because the diagonal S_i is 1
/// everywhere but at the border, so Jacobi scaling would change nothing.
/// </para>
/// <para>
/// The imputation is equivariant under a per-channel affine map (both sides of each equation gain S_i times the
/// offset), so it can run on the normalised input; noise of σ in the reference's [0, 1] pixel space is σ/std_c there,
/// which the caller's noise field carries.
/// </para>
/// An instance reuses its buffers between calls (the solve's loops allocate nothing) and is not thread-safe.
/// </summary>
public sealed class NoisyLinearImputer
{
    /// <summary>Weight of a direct (up, down, left, right) neighbour, as the reference's.</summary>
    public const double DirectWeight = 1.0 / 6;
    /// <summary>Weight of a diagonal neighbour, as the reference's.</summary>
    public const double DiagonalWeight = 1.0 / 12;
    /// <summary>The reference's noise: σ = 0.01 in [0, 1] pixel space, added to the imputed pixels after the solve.</summary>
    public const float DefaultNoise = 0.01f;
    /// <summary>CG stops when the residual's 2-norm is at most this share of the right-hand side's.</summary>
    public const double Tolerance = 1e-8;

    static readonly (int Dy, int Dx, double Weight)[] Stencil =
    [
        (-1, -1, DiagonalWeight), (-1, 0, DirectWeight), (-1, 1, DiagonalWeight),
        (0, -1, DirectWeight), (0, 1, DirectWeight),
        (1, -1, DiagonalWeight), (1, 0, DirectWeight), (1, 1, DiagonalWeight),
    ];

    // The matrix in compressed rows: unknown i's removed neighbours are columns[rows[i]..rows[i + 1]) with their
    // weights, its known neighbours the pixels known[knownRows[i]..knownRows[i + 1]) (for the right-hand side), so the
    // solve's loops touch only real entries, without branches on the stencil.
    int[] unknownOf = [], pixelOf = [], rows = [], columns = [], knownRows = [], known = [];
    double[] diagonal = [], weights = [], knownWeights = [], b = [], x = [], r = [], p = [], ap = [];

    /// <summary>CG iterations of the last call, the most over its channels (0 when nothing was removed).</summary>
    public int LastIterations { get; private set; }

    /// <summary>
    /// Fills the pixels of <paramref name="image"/> (C·H·W, channel-major, changed in place) where
    /// <paramref name="removed"/> (H·W) is true, then adds <paramref name="noise"/> (C·H·W, already scaled; empty for
    /// none) to those pixels.
    /// </summary>
    public void Impute(Span<float> image, int channels, int height, int width, ReadOnlySpan<bool> removed, ReadOnlySpan<float> noise = default)
    {
        int plane = height * width;
        if (image.Length != channels * plane) throw new ArgumentException($"image has {image.Length} values, expected {channels}x{height}x{width}");
        if (removed.Length != plane) throw new ArgumentException($"removed mask has {removed.Length} values, expected {height}x{width}");
        if (noise.Length != 0 && noise.Length != image.Length) throw new ArgumentException($"noise has {noise.Length} values, expected {image.Length} or none");
        int n = Setup(height, width, removed);
        LastIterations = 0;
        if (n == 0) return;
        if (n == plane) throw new ArgumentException("noisy linear imputation: every pixel is removed, none is left to impute from");
        for (int c = 0; c < channels; c++)
        {
            var values = image.Slice(c * plane, plane);
            LastIterations = Math.Max(LastIterations, Solve(values, n));
            for (int i = 0; i < n; i++)
            {
                int pixel = pixelOf[i];
                values[pixel] = (float)x[i] + (noise.Length == 0 ? 0f : noise[c * plane + pixel]);
            }
        }
    }

    /// <summary>Numbers the removed pixels and records their neighbours; returns how many there are.</summary>
    int Setup(int height, int width, ReadOnlySpan<bool> removed)
    {
        int plane = height * width, n = 0;
        Grow(ref unknownOf, plane);
        for (int i = 0; i < plane; i++) unknownOf[i] = removed[i] ? n++ : -1;
        Grow(ref pixelOf, n); Grow(ref diagonal, n); Grow(ref rows, n + 1); Grow(ref knownRows, n + 1);
        Grow(ref columns, 8 * n); Grow(ref weights, 8 * n); Grow(ref known, 8 * n); Grow(ref knownWeights, 8 * n);
        Grow(ref b, n); Grow(ref x, n); Grow(ref r, n); Grow(ref p, n); Grow(ref ap, n);
        int entries = 0, knownEntries = 0;
        for (int pixel = 0; pixel < plane; pixel++)
        {
            int i = unknownOf[pixel];
            if (i < 0) continue;
            pixelOf[i] = pixel;
            rows[i] = entries;
            knownRows[i] = knownEntries;
            int y = pixel / width, xx = pixel % width;
            double sum = 0;
            foreach (var (dy, dx, weight) in Stencil)
            {
                int ny = y + dy, nx = xx + dx;
                if (ny < 0 || ny >= height || nx < 0 || nx >= width) continue;
                sum += weight;
                int q = ny * width + nx;
                if (unknownOf[q] >= 0) { columns[entries] = unknownOf[q]; weights[entries++] = weight; }
                else { known[knownEntries] = q; knownWeights[knownEntries++] = weight; }
            }
            diagonal[i] = sum;
        }
        rows[n] = entries;
        knownRows[n] = knownEntries;
        return n;
    }

    /// <summary>Solves one channel into <see cref="x"/> by conjugate gradients; returns the iterations.</summary>
    int Solve(ReadOnlySpan<float> values, int n)
    {
        // Right-hand side from the known neighbours, and the start: the mean of the channel's known pixels.
        double knownSum = 0;
        int knownCount = 0;
        for (int q = 0; q < values.Length; q++) if (unknownOf[q] < 0) { knownSum += values[q]; knownCount++; }
        double start = knownSum / knownCount, bb = 0;
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int e = knownRows[i]; e < knownRows[i + 1]; e++) s += knownWeights[e] * values[known[e]];
            b[i] = s;
            bb += s * s;
            x[i] = start;
        }
        // All known neighbours are 0: x = 0 solves it exactly (and the relative test below could never pass).
        if (bb == 0) { Array.Clear(x, 0, n); return 0; }
        Multiply(x, ap, n);
        double rr = 0;
        for (int i = 0; i < n; i++) { r[i] = b[i] - ap[i]; p[i] = r[i]; rr += r[i] * r[i]; }
        double goal = Tolerance * Tolerance * bb;
        // In exact arithmetic CG ends within n steps; rounding may add some: 10·n + 100 only catches a broken system.
        int limit = 10 * n + 100, iterations = 0;
        while (rr > goal)
        {
            if (++iterations > limit) throw new InvalidOperationException($"noisy linear imputation did not converge in {limit} conjugate-gradient iterations");
            Multiply(p, ap, n);
            double pap = 0;
            for (int i = 0; i < n; i++) pap += p[i] * ap[i];
            double alpha = rr / pap, next = 0;
            for (int i = 0; i < n; i++)
            {
                x[i] += alpha * p[i];
                r[i] -= alpha * ap[i];
                next += r[i] * r[i];
            }
            double beta = next / rr;
            for (int i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
            rr = next;
        }
        return iterations;
    }

    /// <summary>result = A·v on the unknowns: S_i·v_i − Σ_{j removed} w_ij·v_j.</summary>
    void Multiply(double[] v, double[] result, int n)
    {
        for (int i = 0; i < n; i++)
        {
            double s = diagonal[i] * v[i];
            for (int e = rows[i]; e < rows[i + 1]; e++) s -= weights[e] * v[columns[e]];
            result[i] = s;
        }
    }

    static void Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length) array = new T[length];
    }
}
