namespace Vitmix.Server;

/// <summary>
/// A least-recently-used cache bounded by the bytes its values hold, not by their count: one explained ViT-B image
/// holds tens of megabytes of attention, a tiny model's a few hundred kilobytes, and a count would fit neither.
/// A value larger than the whole budget is handed back but not kept. Thread-safe.
/// </summary>
public sealed class BoundedCache<TKey, TValue>(long capacityBytes, Func<TValue, long> sizeOf) where TKey : notnull
{
    readonly object gate = new();
    readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value, long Bytes)>> index = new();
    readonly LinkedList<(TKey Key, TValue Value, long Bytes)> order = new(); // most recent first
    long bytes;

    /// <summary>The bytes the values kept hold now.</summary>
    public long Bytes { get { lock (gate) return bytes; } }

    /// <summary>Number of values kept.</summary>
    public int Count { get { lock (gate) return index.Count; } }

    /// <summary>The value of <paramref name="key"/>, marked as just used, if it is kept.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        lock (gate)
        {
            if (index.TryGetValue(key, out var node))
            {
                order.Remove(node);
                order.AddFirst(node);
                value = node.Value.Value;
                return true;
            }
        }
        value = default!;
        return false;
    }

    /// <summary>Keeps <paramref name="value"/> under <paramref name="key"/>, dropping the least recently used values it does not fit beside.</summary>
    public TValue Add(TKey key, TValue value)
    {
        long size = Math.Max(1, sizeOf(value));
        lock (gate)
        {
            if (index.Remove(key, out var old))
            {
                order.Remove(old);
                bytes -= old.Value.Bytes;
            }
            if (size > capacityBytes) return value;
            while (bytes + size > capacityBytes && order.Last is { } last)
            {
                order.RemoveLast();
                index.Remove(last.Value.Key);
                bytes -= last.Value.Bytes;
            }
            index[key] = order.AddFirst((key, value, size));
            bytes += size;
        }
        return value;
    }
}
