using Vitmix.Engine;

namespace Vitmix.Tests.Engine;

public class ElementwiseTests
{
    static float[] Random(int length, int seed, double range = 1)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((rng.NextDouble() * 2 - 1) * range);
        return x;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(197)]
    [InlineData(100_003)] // large enough for the worker team, odd tail
    public void Gelu_matches_the_double_erf_twin(int length)
    {
        var x = Random(length, 1, range: 6);
        x[0] = 0f;
        var y = new float[length];
        Gelu.Forward(x, y);
        for (int i = 0; i < length; i++)
        {
            double v = x[i];
            double expected = 0.5 * v * (1 + Erf.Evaluate(v / Math.Sqrt(2)));
            // A-S 7.1.26 has |erf error| ≤ 1.5e-7 in exact arithmetic; evaluated in float (rounded
            // coefficients, Horner steps, 1 - poly·exp(-z²)) it stays within 5e-7. GELU scales that
            // erf error by 0.5·|x|, plus its own rounding.
            Assert.True(Math.Abs(y[i] - expected) <= 0.5 * Math.Abs(v) * 5e-7 + 1.2e-7 * Math.Abs(expected) + 1e-12,
                $"GELU({v}) = {y[i]}, expected {expected}");
        }
    }

    [Fact]
    public void Gelu_backward_matches_finite_differences()
    {
        var x = Random(203, 2, range: 4);
        var dy = Random(203, 3);
        var dx = new float[203];
        Gelu.Backward(x, dy, dx);
        for (int i = 0; i < x.Length; i++)
        {
            // Central difference of the double-precision GELU.
            double v = x[i], h = 1e-4;
            static double G(double t) => 0.5 * t * (1 + Erf.Evaluate(t / Math.Sqrt(2)));
            double expected = dy[i] * (G(v + h) - G(v - h)) / (2 * h);
            Assert.True(Math.Abs(dx[i] - expected) <= 2e-6, $"dGELU at {v}: {dx[i]} vs {expected}");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(12, 197)]
    [InlineData(400, 197)]
    public void Softmax_rows_match_the_double_twin(int rows, int cols)
    {
        var x = Random(rows * cols, 4, range: 10);
        var y = (float[])x.Clone();
        Softmax.Rows(y, rows, cols);
        for (int r = 0; r < rows; r++)
        {
            double max = double.MinValue, sum = 0;
            for (int j = 0; j < cols; j++) max = Math.Max(max, x[r * cols + j]);
            for (int j = 0; j < cols; j++) sum += Math.Exp(x[r * cols + j] - max);
            for (int j = 0; j < cols; j++)
            {
                double expected = Math.Exp(x[r * cols + j] - max) / sum;
                Assert.True(Math.Abs(y[r * cols + j] - expected) <= 1e-6 * expected + 1e-9, $"row {r} col {j}: {y[r * cols + j]} vs {expected}");
            }
        }
    }

    [Fact]
    public void Softmax_backward_matches_finite_differences()
    {
        int rows = 3, cols = 11;
        var x = Random(rows * cols, 5, range: 2);
        var dp = Random(rows * cols, 6);
        var p = (float[])x.Clone();
        Softmax.Rows(p, rows, cols);
        var dx = new float[rows * cols];
        Softmax.RowsBackward(p, dp, dx, rows, cols);
        // L(x) = Σ dp·softmax(x), differentiated numerically in double.
        double Loss(double[] xs)
        {
            double total = 0;
            for (int r = 0; r < rows; r++)
            {
                double max = double.MinValue, sum = 0;
                for (int j = 0; j < cols; j++) max = Math.Max(max, xs[r * cols + j]);
                for (int j = 0; j < cols; j++) sum += Math.Exp(xs[r * cols + j] - max);
                for (int j = 0; j < cols; j++) total += dp[r * cols + j] * Math.Exp(xs[r * cols + j] - max) / sum;
            }
            return total;
        }
        var xd = x.Select(v => (double)v).ToArray();
        for (int i = 0; i < xd.Length; i++)
        {
            double h = 1e-5, keep = xd[i];
            xd[i] = keep + h; double up = Loss(xd);
            xd[i] = keep - h; double down = Loss(xd);
            xd[i] = keep;
            Assert.True(Math.Abs(dx[i] - (up - down) / (2 * h)) <= 1e-5, $"element {i}: {dx[i]} vs {(up - down) / (2 * h)}");
        }
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(5, 13)]
    [InlineData(197, 768)]
    public void LayerNorm_matches_the_double_twin(int rows, int dim)
    {
        var x = Random(rows * dim, 7, range: 3);
        var w = Random(dim, 8);
        var b = Random(dim, 9);
        var y = new float[rows * dim];
        var mean = new float[rows];
        var rstd = new float[rows];
        LayerNorm.Forward(x, rows, dim, w, b, 1e-6f, y, mean, rstd);
        for (int r = 0; r < rows; r++)
        {
            double mu = 0, var = 0;
            for (int i = 0; i < dim; i++) mu += x[r * dim + i];
            mu /= dim;
            for (int i = 0; i < dim; i++) var += (x[r * dim + i] - mu) * (x[r * dim + i] - mu);
            double rs = 1 / Math.Sqrt(var / dim + 1e-6);
            Assert.Equal(mu, mean[r], 1e-5);
            Assert.True(Math.Abs(rstd[r] - rs) <= 1e-5 * rs);
            for (int i = 0; i < dim; i++)
            {
                double expected = (x[r * dim + i] - mu) * rs * w[i] + b[i];
                Assert.True(Math.Abs(y[r * dim + i] - expected) <= 2e-5, $"row {r} col {i}: {y[r * dim + i]} vs {expected}");
            }
        }
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 21)]
    public void LayerNorm_backward_matches_finite_differences(int rows, int dim)
    {
        var x = Random(rows * dim, 10, range: 2);
        var w = Random(dim, 11);
        var bias = Random(dim, 12);
        var dy = Random(rows * dim, 13);
        var y = new float[rows * dim];
        var mean = new float[rows];
        var rstd = new float[rows];
        LayerNorm.Forward(x, rows, dim, w, bias, 1e-5f, y, mean, rstd);
        var dx = new float[rows * dim];
        var dw = new float[dim];
        var db = new float[dim];
        LayerNorm.Backward(x, dy, rows, dim, w, mean, rstd, dx, dw, db);

        // L = Σ dy · LN(x; w, b) in double.
        double Loss(double[] xs, double[] ws, double[] bs)
        {
            double total = 0;
            for (int r = 0; r < rows; r++)
            {
                double mu = 0, var = 0;
                for (int i = 0; i < dim; i++) mu += xs[r * dim + i];
                mu /= dim;
                for (int i = 0; i < dim; i++) var += (xs[r * dim + i] - mu) * (xs[r * dim + i] - mu);
                double rs = 1 / Math.Sqrt(var / dim + 1e-5);
                for (int i = 0; i < dim; i++) total += dy[r * dim + i] * ((xs[r * dim + i] - mu) * rs * ws[i] + bs[i]);
            }
            return total;
        }
        var xd = x.Select(v => (double)v).ToArray();
        var wd = w.Select(v => (double)v).ToArray();
        var bd = bias.Select(v => (double)v).ToArray();
        void CheckGradient(double[] p, float[] analytic, string name)
        {
            for (int i = 0; i < p.Length; i++)
            {
                double h = 1e-5, keep = p[i];
                p[i] = keep + h; double up = Loss(xd, wd, bd);
                p[i] = keep - h; double down = Loss(xd, wd, bd);
                p[i] = keep;
                double numeric = (up - down) / (2 * h);
                Assert.True(Math.Abs(analytic[i] - numeric) <= 1e-4 * Math.Max(1, Math.Abs(numeric)), $"{name}[{i}]: {analytic[i]} vs {numeric}");
            }
        }
        CheckGradient(xd, dx, "dx");
        CheckGradient(wd, dw, "dWeight");
        CheckGradient(bd, db, "dBias");

        // Without parameter gradients the (parallel-capable) path gives the same dx.
        var dx2 = new float[rows * dim];
        LayerNorm.Backward(x, dy, rows, dim, w, mean, rstd, dx2);
        Assert.Equal(dx, dx2);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(197, 197)]
    public void The_row_kernels_of_the_lrp_rules_match_their_naive_twins(int rows, int cols)
    {
        var ops = ComputeBackend.Cpu;
        var x = Random(rows * cols, 11);
        var other = Random(rows * cols, 12);
        var factors = Random(rows, 13);
        var scaled = new Tensor(rows, cols);
        var centered = new Tensor(rows, cols);
        var difference = new Tensor(rows, cols);
        ops.ScaleRows(new Tensor(x, rows, cols), new Tensor(factors, rows), rows, cols, scaled);
        ops.CenterRows(new Tensor(x, rows, cols), rows, cols, centered);
        ops.Subtract(new Tensor(x, rows, cols), new Tensor(other, rows, cols), difference);
        for (int r = 0; r < rows; r++)
        {
            double mean = 0;
            for (int c = 0; c < cols; c++) mean += x[r * cols + c];
            mean /= cols;
            for (int c = 0; c < cols; c++)
            {
                int i = r * cols + c;
                Assert.Equal(x[i] * factors[r], scaled.Data[i]);
                Assert.True(Math.Abs(x[i] - mean - centered.Data[i]) <= 1e-6, $"row {r}, column {c}: {centered.Data[i]} vs {x[i] - mean}");
                Assert.Equal(x[i] - other[i], difference.Data[i]);
            }
        }

        // A strided block cleared, everything around it kept.
        var y = new Tensor((float[])x.Clone(), rows, cols);
        int clearedCols = Math.Max(1, cols / 2), offset = cols - clearedCols;
        ops.ClearStrided(rows, clearedCols, y, offset, cols);
        for (int i = 0; i < rows * cols; i++) Assert.Equal(i % cols >= offset ? 0f : x[i], y.Data[i]);
    }
}
