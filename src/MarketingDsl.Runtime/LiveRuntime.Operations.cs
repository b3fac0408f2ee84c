namespace MarketingDsl.Runtime;

/// <summary>
/// What the runtime's operators read and do through the host (Hosting/: /api/health, the outbox,
/// journey ends, identity merges): each a read or a write of the store under the runtime's lock,
/// so a host never holds the store or the lock itself; except what /api/health reads, counts kept
/// in memory as their commits land, so a health check never waits for the committer nor scans a table.
/// </summary>
public sealed partial class LiveRuntime
{
    /// <summary>How many timers are pending (committed; counted in memory, so a health check never waits for a commit).</summary>
    public int PendingTimers => _store.TimerCount();

    /// <summary>Outbox actions per status (pending, delivered, failed): committed, counted in memory (no lock of the runtime).</summary>
    public IReadOnlyDictionary<string, int> OutboxCounts() => _store.OutboxCounts();

    /// <summary>The counts per status and up to <paramref name="max"/> outbox actions, of <paramref name="status"/> (null: any).</summary>
    public (IReadOnlyDictionary<string, int> Counts, IReadOnlyList<OutboxEntry> Items) Outbox(string? status, int max)
    {
        lock (_gate) return (_store.OutboxCounts(), _store.OutboxEntries(status, max));
    }

    /// <summary>Puts a parked (failed) outbox action back in the queue, due at <paramref name="nowTicks"/>; false when there is none with
    /// that key.</summary>
    public bool RequeueOutbox(string key, long nowTicks)
    {
        lock (_gate) return _store.Requeue(key, nowTicks);
    }

    /// <summary>Every journey state the runtime ended (a reload, a merge), oldest first.</summary>
    public IReadOnlyList<JourneyEnd> JourneyEnds()
    {
        lock (_gate) return _store.JourneyEnds();
    }

    /// <summary>How many identity values are known and how many merges they made: committed, counted in memory (no lock of the runtime,
    /// no scan: /api/health asks).</summary>
    public (int Values, int Merges) IdentityCounts() => (_store.IdentityCount(), (int)_store.MergeCount);

    /// <summary>Every identity merge, in the order they happened.</summary>
    public IReadOnlyList<IdentityMergeRecord> IdentityMerges()
    {
        lock (_gate) return _store.IdentityMerges();
    }
}
