namespace MarketingDsl.Runtime;

public sealed partial class LiveOptions
{
    /// <summary>
    /// Webhook URL per channel name; the key `*` serves every channel without its own entry.
    /// Channels with a webhook are delivered by <see cref="WebhookChannelAdapter"/>, the others by
    /// the file adapter (when <see cref="OutboxDir"/> is set) or kept pending in the outbox.
    /// </summary>
    public IReadOnlyDictionary<string, Uri> Webhooks { get; init; } = new Dictionary<string, Uri>(StringComparer.Ordinal);
    /// <summary>Retries, backoff and timeout of channel deliveries.</summary>
    public DeliveryPolicy Delivery { get; init; } = new();
}

/// <summary>
/// The outbox side of the runtime: delivery happens outside ingest's lock and transaction. The
/// dispatcher sees the runtime only as its <see cref="IDeliveryOutbox"/>: the store's outbox, the
/// runtime's lock for committing outcomes, and the wall clock.
/// </summary>
public sealed partial class LiveRuntime : IDeliveryOutbox
{
    private readonly OutboxDispatcher _dispatcher;
    private Action? _wakeDelivery;

    public OutboxDispatcher Dispatcher => _dispatcher;

    /// <summary>The wall clock of timers and delivery retries.</summary>
    public TimeProvider WallClock => _options.Clock;

    /// <summary>
    /// From now on ingest and timer rounds only wake <paramref name="wake"/> (the hosted
    /// <see cref="DeliveryLoop"/>) instead of delivering before they return.
    /// </summary>
    public void UseBackgroundDelivery(Action wake) => _wakeDelivery = wake;

    /// <summary>
    /// Delivers what is due now through the channel adapters; returns how many were delivered.
    /// With a background loop attached it only wakes the loop (and returns 0), so delivery never
    /// holds up ingest; without one (embedded use, tests) it delivers before returning.
    /// </summary>
    public int Deliver()
    {
        if (_wakeDelivery is { } wake) { wake(); return 0; }
        return _dispatcher.RunOnceAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    List<OutboxEntry> IDeliveryOutbox.DueForDelivery(long nowTicks, int max, Func<string, bool> routed) =>
        _store.DueForDelivery(nowTicks, max, routed);

    long? IDeliveryOutbox.NextDeliveryDue(Func<string, bool> routed) => _store.NextDeliveryDue(routed);

    int IDeliveryOutbox.QueuedMarkCount => _store.QueuedMarkCount;

    void IDeliveryOutbox.QueueDelivered(IReadOnlyList<OutboxEntry> items) => _store.MarkDelivered(items);

    void IDeliveryOutbox.CommitDelivered(string key, int attempts) => Locked(s => { s.MarkDelivered(key, attempts); return 0; });

    void IDeliveryOutbox.CommitFailedAttempt(string key, int attempts, long nextAttemptAt, string error, bool park) =>
        Locked(s => { s.RecordFailedAttempt(key, attempts, nextAttemptAt, error, park); return 0; });

    /// <summary>
    /// Commits the delivery marks a round queued, unless an ingest commit is running or queued
    /// (it writes them at no extra cost); so marks are durable soon when the runtime is idle.
    /// </summary>
    void IDeliveryOutbox.CommitQueuedMarksIfIdle()
    {
        // With the background loop, wait for ingest to pause (IdleBeforeMarks): under load an ingest
        // commit comes within milliseconds and writes the marks with no commit of their own. The
        // loop comes back at least every DeliveryLoop.MaxIdle, so idle marks are durable within that.
        if (_wakeDelivery is not null && Environment.TickCount64 - Volatile.Read(ref _lastIngestCommit) < IdleBeforeMarks.TotalMilliseconds) return;
        lock (_queue) if (_committing || _disposed) return;
        lock (_gate) if (_store.HasQueuedMarks) Transaction(() => { });
    }

    /// <summary>How long ingest must have paused before a delivery round commits its marks itself.</summary>
    public static readonly TimeSpan IdleBeforeMarks = TimeSpan.FromMilliseconds(50);
    private long _lastIngestCommit;

    /// <summary>Runs <paramref name="body"/> on the store under the runtime's lock (outside any ingest transaction).</summary>
    internal T Locked<T>(Func<LiveStore, T> body)
    {
        lock (_gate) return body(_store);
    }
}

public sealed partial class LiveOptions
{
    /// <summary>The workspace folder that POST /api/workspace/reload compiles again; null: reload is not offered.</summary>
    public string? Workspace { get; init; }
    /// <summary>
    /// The bearer token of the admin endpoints (reload, outbox retry) and of member data. Null:
    /// admin calls are disabled (403), whatever the caller's address.
    /// </summary>
    public string? AdminToken { get; init; }
}
