namespace MarketingDsl.Runtime;

/// <summary>
/// Takes due outbox actions and hands them to their channel's adapter (webhook, else file), up to
/// <see cref="Parallelism"/> at a time, outside the runtime's lock: a slow receiver never holds up
/// ingest. Each outcome is committed on its own: delivered, retried after
/// <see cref="DeliveryPolicy.DelayAfter"/> (on <see cref="IDeliveryOutbox.WallClock"/>), or
/// parked as failed after <see cref="DeliveryPolicy.MaxAttempts"/> attempts or a refusal. It sees
/// the runtime only as an <see cref="IDeliveryOutbox"/>, so it runs alone over a fake one in tests.
/// </summary>
public sealed class OutboxDispatcher : IDisposable
{
    public const int Parallelism = 8;
    /// <summary>Actions per round (4,096): a quarter of the file adapter's window of keys, so a round always fits under
    /// the half the dispatcher allows to wait for marks.</summary>
    private const int RoundSize = FileChannelAdapter.RecentKeys / 4;

    private readonly IDeliveryOutbox _outbox;
    private readonly DeliveryPolicy _policy;
    private readonly FileChannelAdapter? _file;
    private readonly Dictionary<string, IChannelAdapter> _adapters;
    private readonly SemaphoreSlim _oneRound = new(1, 1);

    /// <summary>
    /// A dispatcher over <paramref name="outbox"/>: channels with an adapter in <paramref name="adapters"/> (the key `*`
    /// serves every channel without its own) go to it, the others to <paramref name="file"/> or stay pending. The
    /// dispatcher owns the adapters (disposes them).
    /// </summary>
    public OutboxDispatcher(IDeliveryOutbox outbox, DeliveryPolicy policy, IReadOnlyDictionary<string, IChannelAdapter> adapters,
        FileChannelAdapter? file)
    {
        _outbox = outbox;
        _policy = policy;
        _adapters = new Dictionary<string, IChannelAdapter>(adapters, StringComparer.Ordinal);
        _file = file;
    }

    /// <summary>The runtime's dispatcher: a webhook adapter per configured channel, the file adapter when an outbox folder is set.</summary>
    public static OutboxDispatcher For(IDeliveryOutbox outbox, LiveOptions options) => new(outbox, options.Delivery,
        options.Webhooks.ToDictionary(w => w.Key, IChannelAdapter (w) => new WebhookChannelAdapter(w.Value, options.Delivery.Timeout)),
        options.OutboxDir is { } dir ? new FileChannelAdapter(dir) : null);

    /// <summary>The adapter of a channel; null: the channel's actions stay pending in the outbox.</summary>
    public IChannelAdapter? AdapterOf(string channel) =>
        _adapters.TryGetValue(channel, out var own) ? own : _adapters.TryGetValue("*", out var any) ? any : _file;

    /// <summary>One round: the actions due now (up to <see cref="RoundSize"/>). Returns how many were delivered.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellation)
    {
        await _oneRound.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var now = _outbox.WallClock.GetUtcNow().UtcTicks;
            // The pending queue is memory of its own (LiveStore.Delivery.cs): reading it and queueing
            // file marks do not wait for the runtime's lock, which an ingest commit holds through its fsync.
            var due = _outbox.DueForDelivery(now, RoundSize, c => AdapterOf(c) is not null);
            var delivered = 0;
            // Local files keep the outbox order: per channel one append and one fsync for the round's
            // actions, then their marks in one commit; webhooks go in parallel.
            foreach (var channel in due.Where(i => AdapterOf(i.Channel) is FileChannelAdapter).GroupBy(i => i.Channel, StringComparer.Ordinal))
            {
                // The adapter remembers only a file's last RecentKeys lines: the lines that may come
                // again after a crash (written, marks not committed) must stay fewer than that. Past
                // half of it, the round leaves the channel's actions pending until the marks are
                // committed (the next ingest commit, or the idle commit below, within ~50 ms).
                if (_outbox.QueuedMarkCount + channel.Count() > FileChannelAdapter.RecentKeys / 2) continue;
                delivered += DeliverToFile((FileChannelAdapter)AdapterOf(channel.Key)!, channel.Key, [.. channel]);
            }
            await Parallel.ForEachAsync(due.Where(i => AdapterOf(i.Channel) is not FileChannelAdapter),
                new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellation }, async (item, ct) =>
                {
                    if (await AttemptAsync(item, ct).ConfigureAwait(false)) Interlocked.Increment(ref delivered);
                }).ConfigureAwait(false);
            _outbox.CommitQueuedMarksIfIdle();
            return delivered;
        }
        finally { _oneRound.Release(); }
    }

    /// <summary>One attempt and its committed outcome; true when delivered.</summary>
    private async Task<bool> AttemptAsync(OutboxEntry item, CancellationToken cancellation)
    {
        var attempt = item.Attempts + 1;
        DeliveryOutcome outcome;
        try { outcome = await AdapterOf(item.Channel)!.DeliverAsync(item, attempt, cancellation).ConfigureAwait(false); }
        catch (Exception ex) when (ex is not OperationCanceledException) { outcome = DeliveryOutcome.Retry(ex.GetType().Name + ": " + ex.Message); }
        if (outcome.Ok)
        {
            _outbox.CommitDelivered(item.Key, attempt);
            return true;
        }
        RecordFailure(item, attempt, outcome);
        return false;
    }

    /// <summary>
    /// A channel file's share of a round: the lines are on disk (fsynced) before any is marked
    /// delivered (the mark is committed later, see <see cref="IDeliveryOutbox.QueueDelivered"/>),
    /// so a crash in between leaves them pending, and the adapter skips their keys when they come
    /// again. A failed write is a failed attempt of each action (retried, or parked).
    /// </summary>
    private int DeliverToFile(FileChannelAdapter file, string channel, List<OutboxEntry> items)
    {
        try { file.AppendAll(channel, [.. items.Select(i => (i.Key, i.Line))]); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var reason = ex is IOException or UnauthorizedAccessException ? "file: " + ex.Message : ex.GetType().Name + ": " + ex.Message;
            foreach (var item in items) RecordFailure(item, item.Attempts + 1, DeliveryOutcome.Retry(reason));
            return 0;
        }
        _outbox.QueueDelivered(items);
        return items.Count;
    }

    private void RecordFailure(OutboxEntry item, int attempt, DeliveryOutcome outcome)
    {
        var park = outcome.Permanent || attempt >= _policy.MaxAttempts;
        var next = _outbox.WallClock.GetUtcNow().UtcTicks + (park ? 0 : _policy.DelayAfter(attempt).Ticks);
        _outbox.CommitFailedAttempt(item.Key, attempt, next, outcome.Error ?? "failed", park);
    }

    /// <summary>When the next pending action is due (wall clock), null when nothing deliverable is pending.</summary>
    public DateTimeOffset? NextDue()
    {
        var ticks = _outbox.NextDeliveryDue(c => AdapterOf(c) is not null);
        return ticks is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : null;
    }

    public void Dispose()
    {
        foreach (var adapter in _adapters.Values) (adapter as IDisposable)?.Dispose();
    }
}
