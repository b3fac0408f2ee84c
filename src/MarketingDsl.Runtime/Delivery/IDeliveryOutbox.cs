namespace MarketingDsl.Runtime;

/// <summary>
/// What the <see cref="OutboxDispatcher"/> needs of the runtime: the outbox's due actions, the
/// outcome of each attempt made durable, and the wall clock retries are scheduled on.
/// <see cref="LiveRuntime"/> implements it over its store and lock (LiveRuntime.Delivery.cs).
/// Reads and queued marks are memory only and must not wait for the runtime's lock (an ingest
/// commit holds it through its fsync); the Commit members are durable when they return.
/// </summary>
public interface IDeliveryOutbox
{
    /// <summary>The wall clock of delivery retries (not event time).</summary>
    TimeProvider WallClock { get; }

    /// <summary>Pending actions of routed channels due at <paramref name="nowTicks"/>, at most <paramref name="max"/> (those due longest
    /// first), in outbox order.</summary>
    List<OutboxEntry> DueForDelivery(long nowTicks, int max, Func<string, bool> routed);

    /// <summary>The earliest next attempt among pending actions of routed channels (wall-clock ticks), null when none.</summary>
    long? NextDeliveryDue(Func<string, bool> routed);

    /// <summary>How many delivered marks wait for a commit (<see cref="QueueDelivered"/>).</summary>
    int QueuedMarkCount { get; }

    /// <summary>
    /// Marks actions delivered (each after one more attempt) without a commit of its own: they leave
    /// the due actions now and are written by the next commit; a crash before it leaves them pending.
    /// </summary>
    void QueueDelivered(IReadOnlyList<OutboxEntry> items);

    /// <summary>Commits an action delivered after <paramref name="attempts"/> attempts.</summary>
    void CommitDelivered(string key, int attempts);

    /// <summary>Commits a failed attempt: pending again at <paramref name="nextAttemptAt"/> (wall-clock ticks), or parked as failed.</summary>
    void CommitFailedAttempt(string key, int attempts, long nextAttemptAt, string error, bool park);

    /// <summary>Commits the queued marks unless an ingest commit is running or about to (it writes them at no extra cost).</summary>
    void CommitQueuedMarksIfIdle();
}
