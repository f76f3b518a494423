using Vitmix.Engine;

namespace Vitmix.Layers;

/// <summary>
/// What every pass gives its layers: the backend that computes, the arena buffers come from, the batch size and the
/// outputs kept for explainers. Buffers are rented with checked sizes, so a shape whose element count does not fit
/// an array is refused instead of wrapping around.
/// </summary>
public abstract class PassContext
{
    /// <param name="backend">Computes every tensor operation.</param>
    /// <param name="arena">Where buffers come from and go back to.</param>
    /// <param name="batch">Samples in the pass.</param>
    /// <param name="outputs">What explainers asked the pass to keep.</param>
    protected PassContext(ComputeBackend backend, BufferArena arena, int batch, PassOutputs outputs) =>
        (Backend, Arena, Batch, Outputs) = (backend, arena, batch, outputs);

    /// <summary>Computes every tensor operation of the pass.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>Where the pass's buffers come from.</summary>
    public BufferArena Arena { get; }

    /// <summary>Samples in the pass.</summary>
    public int Batch { get; }

    /// <summary>What the pass keeps for explainers.</summary>
    public PassOutputs Outputs { get; }

    /// <summary>A tensor of <paramref name="shape"/> from the arena, with unspecified contents.</summary>
    public virtual Tensor Rent(params int[] shape) => new(Arena.Rent(ElementCount(shape)), shape);

    /// <summary>Gives a rented tensor back (a no-op for tensors the caller owns, such as the input images).</summary>
    public virtual void Return(Tensor tensor) => Arena.Return(tensor.Data);

    /// <summary>The element count of <paramref name="shape"/>, refused when it does not fit one array.</summary>
    public static long ElementCount(int[] shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in [{string.Join(", ", shape)}]");
            n *= d;
            if (n > Array.MaxLength)
                throw new InvalidDataException($"an activation of shape [{string.Join(", ", shape)}] has more elements than an array can hold ({Array.MaxLength})");
        }
        return n;
    }
}
