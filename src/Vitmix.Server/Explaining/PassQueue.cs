namespace Vitmix.Server.Explaining;

/// <summary>
/// The model's one lane: a pass uses every core (the engine's worker team) and the model's buffer arena, so passes
/// run one at a time, first come first served. A waiter learns its place in the line as it changes (1 = next), and a
/// waiter whose request is cancelled leaves the line without ever running.
/// </summary>
public sealed class PassQueue
{
    readonly object gate = new();
    readonly LinkedList<Waiter> line = new();
    bool busy;

    sealed class Waiter
    {
        public readonly TaskCompletionSource Turn = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Requests waiting now (not counting the one running).</summary>
    public int Waiting { get { lock (gate) return line.Count; } }

    /// <summary>
    /// Waits for the lane; <paramref name="position"/> hears the waiter's place (1 = next) whenever it changes, at most
    /// every <paramref name="pollInterval"/>. Dispose the lease to hand the lane on.
    /// </summary>
    public async Task<IDisposable> EnterAsync(Action<int>? position, CancellationToken cancel, TimeSpan? pollInterval = null)
    {
        var me = new Waiter();
        LinkedListNode<Waiter> node;
        lock (gate)
        {
            if (!busy)
            {
                busy = true;
                return new Lease(this);
            }
            node = line.AddLast(me);
        }
        try
        {
            int told = -1;
            var poll = pollInterval ?? TimeSpan.FromMilliseconds(200);
            while (true)
            {
                int place = PlaceOf(me);
                if (place == 0) break; // handed the lane
                if (place != told) { position?.Invoke(place); told = place; }
                var tick = Task.Delay(poll, cancel);
                await Task.WhenAny(me.Turn.Task, tick).ConfigureAwait(false);
                if (me.Turn.Task.IsCompleted) break;
                cancel.ThrowIfCancellationRequested();
            }
            return new Lease(this);
        }
        catch (OperationCanceledException)
        {
            lock (gate)
            {
                // Cancelled while still in line: leave it. Cancelled just as the lane was handed over: pass it on.
                if (node.List != null) line.Remove(node);
                else if (me.Turn.Task.IsCompleted) ReleaseLocked();
            }
            throw;
        }
    }

    int PlaceOf(Waiter me)
    {
        lock (gate)
        {
            int i = 1;
            for (var n = line.First; n != null; n = n.Next, i++)
                if (ReferenceEquals(n.Value, me)) return i;
            return 0;
        }
    }

    void Release()
    {
        lock (gate) ReleaseLocked();
    }

    void ReleaseLocked()
    {
        if (line.First is { } next)
        {
            line.RemoveFirst();
            next.Value.Turn.SetResult(); // the lane stays busy: it passes straight to the next waiter
        }
        else busy = false;
    }

    sealed class Lease(PassQueue queue) : IDisposable
    {
        int disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) queue.Release();
        }
    }
}
