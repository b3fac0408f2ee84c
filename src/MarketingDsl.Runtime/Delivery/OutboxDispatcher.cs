namespace MarketingDsl.Runtime;

/// <summary>
/// Takes due outbox actions and hands them to their channel's adapter (webhook, else file), up to
/// <see cref="Parallelism"/> at a time, outside the runtime's lock: a slow receiver never holds up
/// ingest. Each outcome is committed on its own: delivered, retried after
/// <see cref="DeliveryPolicy.DelayAfter"/> (wall clock of <see cref="LiveOptions.Clock"/>), or
/// parked as failed after <see cref="DeliveryPolicy.MaxAttempts"/> attempts or a refusal.
/// </summary>
public sealed class OutboxDispatcher : IDisposable
{
    public const int Parallelism = 8;
    /// <summary>Actions per round (4,096): a quarter of the file adapter's window of keys, so a round always fits under
    /// the half the dispatcher allows to wait for marks.</summary>
    private const int RoundSize = FileChannelAdapter.RecentKeys / 4;

    private readonly LiveRuntime _runtime;
    private readonly LiveOptions _options;
    private readonly FileChannelAdapter? _file;
    private readonly Dictionary<string, WebhookChannelAdapter> _webhooks = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _oneRound = new(1, 1);

    public OutboxDispatcher(LiveRuntime runtime, LiveOptions options)
    {
        _runtime = runtime;
        _options = options;
        if (options.OutboxDir is { } dir) _file = new FileChannelAdapter(dir);
        foreach (var (channel, url) in options.Webhooks) _webhooks[channel] = new WebhookChannelAdapter(url, options.Delivery.Timeout);
    }

    /// <summary>The adapter of a channel; null: the channel's actions stay pending in the outbox.</summary>
    public IChannelAdapter? AdapterOf(string channel) =>
        _webhooks.TryGetValue(channel, out var own) ? own : _webhooks.TryGetValue("*", out var any) ? any : _file;

    /// <summary>One round: the actions due now (up to <see cref="RoundSize"/>). Returns how many were delivered.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellation)
    {
        await _oneRound.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var now = _options.Clock.GetUtcNow().UtcTicks;
            // The pending queue is memory of its own (LiveStore.Delivery.cs): reading it and queueing
            // file marks do not wait for the runtime's lock, which an ingest commit holds through its fsync.
            var due = _runtime.Store.DueForDelivery(now, RoundSize, c => AdapterOf(c) is not null);
            var delivered = 0;
            // Local files keep the outbox order: per channel one append and one fsync for the round's
            // actions, then their marks in one commit; webhooks go in parallel.
            foreach (var channel in due.Where(i => AdapterOf(i.Channel) is FileChannelAdapter).GroupBy(i => i.Channel, StringComparer.Ordinal))
            {
                // The adapter remembers only a file's last RecentKeys lines: the lines that may come
                // again after a crash (written, marks not committed) must stay fewer than that. Past
                // half of it, the round leaves the channel's actions pending until the marks are
                // committed (the next ingest commit, or the idle commit below, within ~50 ms).
                if (_runtime.Store.QueuedMarkCount + channel.Count() > FileChannelAdapter.RecentKeys / 2) continue;
                delivered += DeliverToFile((FileChannelAdapter)AdapterOf(channel.Key)!, channel.Key, [.. channel]);
            }
            await Parallel.ForEachAsync(due.Where(i => AdapterOf(i.Channel) is not FileChannelAdapter),
                new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellation }, async (item, ct) =>
                {
                    if (await AttemptAsync(item, ct).ConfigureAwait(false)) Interlocked.Increment(ref delivered);
                }).ConfigureAwait(false);
            _runtime.CommitQueuedMarksIfIdle();
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
            _runtime.Locked(s => { s.MarkDelivered(item.Key, attempt); return 0; });
            return true;
        }
        RecordFailure(item, attempt, outcome);
        return false;
    }

    /// <summary>
    /// A channel file's share of a round: the lines are on disk (fsynced) before any is marked
    /// delivered (the mark is committed later, see <see cref="LiveStore.MarkDelivered(IReadOnlyList{OutboxEntry})"/>),
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
        _runtime.Store.MarkDelivered(items);
        return items.Count;
    }

    private void RecordFailure(OutboxEntry item, int attempt, DeliveryOutcome outcome)
    {
        var park = outcome.Permanent || attempt >= _options.Delivery.MaxAttempts;
        var next = _options.Clock.GetUtcNow().UtcTicks + (park ? 0 : _options.Delivery.DelayAfter(attempt).Ticks);
        _runtime.Locked(s => { s.RecordFailedAttempt(item.Key, attempt, next, outcome.Error ?? "failed", park); return 0; });
    }

    /// <summary>When the next pending action is due (wall clock), null when nothing deliverable is pending.</summary>
    public DateTimeOffset? NextDue()
    {
        var ticks = _runtime.Store.NextDeliveryDue(c => AdapterOf(c) is not null);
        return ticks is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : null;
    }

    public void Dispose()
    {
        foreach (var webhook in _webhooks.Values) webhook.Dispose();
    }
}
