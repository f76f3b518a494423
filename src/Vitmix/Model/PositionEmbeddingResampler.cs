using System.Numerics.Tensors;

namespace Vitmix.Model;

/// <summary>
/// Resizes a learned absolute position embedding to another patch grid, as timm, transformers and torchvision do when
/// a checkpoint trained at one resolution is run at another (Dosovitskiy et al., 2021, §3.2 "2D interpolation of the
/// pre-trained position embeddings"): the prefix-token rows (class / distillation / register tokens) are kept as they
/// are, the patch rows are viewed as an (oldH, oldW, D) image and resized per channel with bicubic
/// <c>F.interpolate(size=(newH, newW))</c> in the library's flavour.
/// </summary>
/// <remarks>
/// The three flavours of <see cref="PositionEmbeddingInterpolation"/>, all separable (width first, then height):
/// <list type="bullet">
/// <item>antialiased (timm): PyTorch's anti-aliased kernel, the same as PIL's: Keys cubic with a = -0.5,
/// support 2·max(1, in/out) source pixels around the centre (dst + 0.5)·in/out, taps outside the image dropped and
/// the remaining weights renormalised to sum 1.</item>
/// <item>plain (transformers): cubic convolution with a = -0.75, source coordinate (dst + 0.5)·in/out − 0.5 (not
/// clamped at 0), four taps with indices clamped to the border.</item>
/// <item>align corners (torchvision): the same four clamped taps, source coordinate dst·(in − 1)/(out − 1)
/// (0 when out = 1), so the first and last rows and columns land exactly on the old ones.</item>
/// </list>
/// </remarks>
public static class PositionEmbeddingResampler
{
    /// <summary>
    /// Resamples <paramref name="posEmbed"/>, laid out (numPrefix + oldH·oldW, dim) row-major with the patch rows in
    /// raster order, to (numPrefix + newH·newW, dim). Returns a new array; equal grids return a copy.
    /// </summary>
    public static float[] Resample(float[] posEmbed, int numPrefix, int oldH, int oldW, int newH, int newW, int dim,
        PositionEmbeddingInterpolation interpolation)
    {
        ArgumentNullException.ThrowIfNull(posEmbed);
        if (numPrefix < 0 || oldH <= 0 || oldW <= 0 || newH <= 0 || newW <= 0 || dim <= 0)
            throw new ArgumentException(
                $"pos_embed resample needs numPrefix >= 0 and positive sizes, got numPrefix={numPrefix}, old grid {oldH}x{oldW}, new grid {newH}x{newW}, dim={dim}");
        long expected = ModelMemory.Multiply(numPrefix + (long)oldH * oldW, dim);
        if (posEmbed.Length != expected)
            throw new ArgumentException(
                $"pos_embed has {posEmbed.Length} values, expected (numPrefix {numPrefix} + {oldH}x{oldW} patches) x dim {dim} = {expected}",
                nameof(posEmbed));

        if (oldH == newH && oldW == newW)
            return (float[])posEmbed.Clone();

        // Both new arrays are sized in 64 bits first: every int offset below then stays inside them.
        long resultLength = ModelMemory.Multiply(numPrefix + (long)newH * newW, dim);
        long wideLength = ModelMemory.Multiply((long)oldH * newW, dim);
        // The tap tables hold about 4·max(in, out) entries per axis (antialiased: 2·support per output).
        long taps = 4L * Math.Max(Math.Max(oldW, newW), Math.Max(oldH, newH)) + 8;
        if (Math.Max(Math.Max(resultLength, wideLength), taps) > Array.MaxLength)
            throw new ArgumentException(
                $"resampling pos_embed from a {oldH}x{oldW} to a {newH}x{newW} grid at dim {dim} needs {Math.Max(Math.Max(resultLength, wideLength), taps)} values, more than an array can hold ({Array.MaxLength})");

        var result = new float[resultLength];
        posEmbed.AsSpan(0, numPrefix * dim).CopyTo(result);

        ReadOnlySpan<float> grid = posEmbed.AsSpan(numPrefix * dim);
        AxisWeights alongW = AxisWeights.For(interpolation, oldW, newW);
        AxisWeights alongH = AxisWeights.For(interpolation, oldH, newH);

        // Width pass: (oldH, oldW, D) → (oldH, newW, D).
        var wide = new float[wideLength];
        for (int y = 0; y < oldH; y++)
            for (int x = 0; x < newW; x++)
            {
                Span<float> dst = wide.AsSpan((y * newW + x) * dim, dim);
                for (int t = alongW.Start[x]; t < alongW.Start[x + 1]; t++)
                    TensorPrimitives.MultiplyAdd(grid.Slice((y * oldW + alongW.Index[t]) * dim, dim), alongW.Weight[t], dst, dst);
            }

        // Height pass: (oldH, newW, D) → (newH, newW, D).
        Span<float> output = result.AsSpan(numPrefix * dim);
        for (int y = 0; y < newH; y++)
            for (int x = 0; x < newW; x++)
            {
                Span<float> dst = output.Slice((y * newW + x) * dim, dim);
                for (int t = alongH.Start[y]; t < alongH.Start[y + 1]; t++)
                    TensorPrimitives.MultiplyAdd(wide.AsSpan((alongH.Index[t] * newW + x) * dim, dim), alongH.Weight[t], dst, dst);
            }
        return result;
    }

    /// <summary>For each output index i, the source taps Index[Start[i]..Start[i+1]) with their Weight.</summary>
    sealed class AxisWeights(int[] start, int[] index, float[] weight)
    {
        public readonly int[] Start = start;
        public readonly int[] Index = index;
        public readonly float[] Weight = weight;

        public static AxisWeights For(PositionEmbeddingInterpolation interpolation, int inSize, int outSize) =>
            interpolation switch
            {
                PositionEmbeddingInterpolation.AntialiasedBicubic => Antialiased(inSize, outSize),
                PositionEmbeddingInterpolation.Bicubic => Cubic(inSize, outSize, alignCorners: false),
                PositionEmbeddingInterpolation.BicubicAlignCorners => Cubic(inSize, outSize, alignCorners: true),
                PositionEmbeddingInterpolation.BicubicScaleOffset => Cubic(inSize, outSize, alignCorners: false, (float)(1.0 / ((outSize + 0.1) / inSize))),
                _ => throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, "unknown interpolation"),
            };

        /// <summary>PyTorch <c>upsample_bicubic2d</c>: A = -0.75, four border-clamped taps.</summary>
        static AxisWeights Cubic(int inSize, int outSize, bool alignCorners, float? givenScale = null)
        {
            const float A = -0.75f;
            // area_pixel_compute_scale: (in − 1)/(out − 1) with align_corners (0 for a single output), else in/out,
            // or 1 / scale_factor when F.interpolate was given a scale factor (DINOv2's offset).
            float scale = givenScale ?? (alignCorners ? (outSize > 1 ? (inSize - 1f) / (outSize - 1) : 0f) : (float)inSize / outSize);
            var start = new int[outSize + 1];
            var index = new int[outSize * 4];
            var weight = new float[outSize * 4];
            for (int i = 0; i < outSize; i++)
            {
                // area_pixel_compute_source_index with cubic=true: no clamp at 0, so the first outputs of an
                // upsampling without aligned corners look left of pixel 0 and lean on the clamped border taps.
                float real = alignCorners ? scale * i : scale * (i + 0.5f) - 0.5f;
                int floor = Math.Min((int)MathF.Floor(real), inSize - 1);
                float t = Math.Clamp(real - floor, 0f, 1f);
                ReadOnlySpan<float> w = [Far(t + 1, A), Near(t, A), Near(1 - t, A), Far(2 - t, A)];
                start[i] = 4 * i;
                for (int k = 0; k < 4; k++)
                {
                    index[4 * i + k] = Math.Clamp(floor - 1 + k, 0, inSize - 1);
                    weight[4 * i + k] = w[k];
                }
            }
            start[outSize] = 4 * outSize;
            return new AxisWeights(start, index, weight);
        }

        /// <summary>PyTorch <c>_upsample_bicubic2d_aa</c> (PIL's resampling): Keys a = -0.5, renormalised window.</summary>
        static AxisWeights Antialiased(int inSize, int outSize)
        {
            const double A = -0.5;
            double scale = (double)inSize / outSize;
            double support = 2.0 * Math.Max(scale, 1.0);
            double invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
            var start = new int[outSize + 1];
            var index = new List<int>();
            var weight = new List<float>();
            for (int i = 0; i < outSize; i++)
            {
                start[i] = index.Count;
                double center = scale * (i + 0.5);
                int lo = Math.Max((int)(center - support + 0.5), 0);
                int hi = Math.Min((int)(center + support + 0.5), inSize);
                double total = 0;
                int first = weight.Count;
                for (int j = lo; j < hi; j++)
                {
                    double x = Math.Abs((j - center + 0.5) * invScale);
                    double w = x < 1 ? Near(x, A) : x < 2 ? Far(x, A) : 0;
                    index.Add(j);
                    weight.Add((float)w);
                    total += w;
                }
                if (total != 0)
                    for (int k = first; k < weight.Count; k++)
                        weight[k] = (float)(weight[k] / total);
            }
            start[outSize] = index.Count;
            return new AxisWeights(start, [.. index], [.. weight]);
        }

        // Keys (1981) cubic convolution kernel: |x| ≤ 1 and 1 < |x| < 2 pieces.
        static float Near(float x, float a) => ((a + 2) * x - (a + 3)) * x * x + 1;
        static float Far(float x, float a) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        static double Near(double x, double a) => ((a + 2) * x - (a + 3)) * x * x + 1;
        static double Far(double x, double a) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    }
}
