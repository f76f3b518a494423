using Vitmix.Engine;

namespace Vitmix.Tests.Engine;

/// <summary><see cref="FiniteCheck"/> against its naive twin, on lengths around every vector width.</summary>
public class FiniteCheckTests
{
    static int NaiveIndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (float.IsNaN(values[i]) || float.IsInfinity(values[i])) return i;
        return -1;
    }

    [Fact]
    public void FindsTheFirstNonFiniteValueLikeTheNaiveScan()
    {
        var rng = new Random(7);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -float.NaN, BitConverter.Int32BitsToSingle(0x7FC00001)];
        for (int length = 0; length <= 70; length++)
        {
            for (int trial = 0; trial < 8; trial++)
            {
                var values = new float[length];
                for (int i = 0; i < length; i++) values[i] = (float)((rng.NextDouble() - 0.5) * 1e38); // large but finite
                if (length > 0 && trial > 0)
                {
                    int at = rng.Next(length);
                    values[at] = specials[rng.Next(specials.Length)];
                    if (trial % 3 == 0) values[rng.Next(length)] = specials[rng.Next(specials.Length)];
                }
                Assert.Equal(NaiveIndexOfNonFinite(values), FiniteCheck.IndexOfNonFinite(values));
            }
        }
        Assert.Equal(-1, FiniteCheck.IndexOfNonFinite([float.MaxValue, float.MinValue, float.Epsilon, -0f]));
    }

    [Fact]
    public void RequireNamesTheSubjectTheValueAndItsPosition()
    {
        FiniteCheck.Require([1f, 2f], "img.png", "the model's logits", "class");
        var e = Assert.Throws<InvalidDataException>(() => FiniteCheck.Require([1f, 2f, 3f, float.NaN], "img.png", "the model's logits", "class"));
        Assert.Equal("img.png: the model's logits are not finite (NaN at class 3)", e.Message);
        e = Assert.Throws<InvalidDataException>(() => FiniteCheck.Require([float.NegativeInfinity], "x.npy", "the rollout map"));
        Assert.Equal("x.npy: the rollout map are not finite (-Inf at element 0)", e.Message);
    }
}
