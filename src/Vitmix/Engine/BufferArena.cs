namespace Vitmix.Engine;

/// <summary>
/// Recycles the float arrays of activations between passes. A ViT-B pass at batch 16 touches gigabytes of
/// activations; allocating them afresh every call made the garbage collector zero and the kernel fault in every
/// page again, so the batched backward and relevance passes ran at a fraction of the forward's speed. An arena
/// hands back an array of exactly the requested length (its contents are stale: callers overwrite them) and keeps
/// returned arrays, up to <see cref="Capacity"/> bytes, for the next request of that length. Thread-safe.
/// </summary>
public sealed class BufferArena
{
    readonly Dictionary<long, Stack<float[]>> free = [];
    // The arrays held, by reference: returning one twice would hand it to two renters at once.
    readonly HashSet<float[]> held = new(ReferenceEqualityComparer.Instance);
    long freeBytes, rentedBytes, peakRentedBytes;

    /// <summary>An arena keeping at most <paramref name="capacityBytes"/> bytes of returned arrays.</summary>
    public BufferArena(long capacityBytes) => Capacity = capacityBytes;

    /// <summary>An arena sized for this machine: a quarter of the memory the runtime may use, at most 8 GiB.</summary>
    public static BufferArena ForThisMachine() =>
        new(Math.Min(8L << 30, Math.Max(256L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4)));

    /// <summary>How many bytes of returned arrays are kept at most; arrays returned beyond it are left to the collector.</summary>
    public long Capacity { get; }

    /// <summary>Bytes currently held for reuse.</summary>
    public long HeldBytes { get { lock (free) return freeBytes; } }

    /// <summary>Bytes of the arrays rented and not yet returned (arrays handed to a caller for good stay counted).</summary>
    public long RentedBytes => Interlocked.Read(ref rentedBytes);

    /// <summary>The most <see cref="RentedBytes"/> has been since the arena was made or <see cref="ResetPeak"/>: a pass's working set.</summary>
    public long PeakRentedBytes => Interlocked.Read(ref peakRentedBytes);

    /// <summary>Starts measuring <see cref="PeakRentedBytes"/> afresh from what is rented now.</summary>
    public void ResetPeak() => Interlocked.Exchange(ref peakRentedBytes, RentedBytes);

    void Track(long bytes)
    {
        long now = Interlocked.Add(ref rentedBytes, bytes);
        long peak;
        while (now > (peak = Interlocked.Read(ref peakRentedBytes)) && Interlocked.CompareExchange(ref peakRentedBytes, now, peak) != peak) { }
    }

    /// <summary>An array of exactly <paramref name="length"/> floats with unspecified contents.</summary>
    public float[] Rent(long length)
    {
        if (length < 0 || length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), $"a buffer of {length} floats cannot be allocated (at most {Array.MaxLength})");
        if (length == 0) return [];
        Track(length * sizeof(float));
        lock (free)
        {
            if (free.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                freeBytes -= length * sizeof(float);
                var buffer = stack.Pop();
                held.Remove(buffer);
                return buffer;
            }
        }
        return GC.AllocateUninitializedArray<float>((int)length);
    }

    /// <summary>Gives <paramref name="buffer"/> back for reuse; the caller must not touch it afterwards.</summary>
    public void Return(float[] buffer)
    {
        if (buffer.Length == 0) return;
        long bytes = (long)buffer.Length * sizeof(float);
        lock (free)
        {
            if (held.Contains(buffer)) throw new InvalidOperationException("a buffer was returned to the arena twice");
            Track(-bytes);
            if (freeBytes + bytes > Capacity) return;
            held.Add(buffer);
            if (!free.TryGetValue(buffer.Length, out var stack)) free[buffer.Length] = stack = new Stack<float[]>();
            stack.Push(buffer);
            freeBytes += bytes;
        }
    }

    /// <summary>Drops every held array (they become garbage).</summary>
    public void Clear()
    {
        lock (free)
        {
            free.Clear();
            held.Clear();
            freeBytes = 0;
        }
    }
}
