namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The dispatcher alone, over a fake <see cref="IDeliveryOutbox"/> and scripted adapters (no store,
/// no runtime): routing by channel, the committed outcome of each attempt (delivered, retried on the
/// backoff, parked after the last attempt or a refusal, an adapter's exception as a retry), at most
/// <see cref="OutboxDispatcher.Parallelism"/> attempts in flight, and a channel file's round
/// (lines on disk before its marks are queued, held back while half the adapter's window waits).
/// </summary>
public sealed class OutboxDispatcherTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mdsl-dispatch-" + Guid.NewGuid().ToString("N"));
    private readonly FakeOutbox _outbox = new();

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Backoff 10 s doubling, cap 40 s, jitter pinned at 0.5 (delay·0.75), three attempts.</summary>
    private static readonly DeliveryPolicy Policy = new()
    {
        MaxAttempts = 3, BaseDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(40), Jitter = () => 0.5,
    };

    private OutboxDispatcher Dispatcher(Dictionary<string, IChannelAdapter> adapters, bool file = false) =>
        new(_outbox, Policy, adapters, file ? new FileChannelAdapter(_dir) : null);

    private static Task<int> Round(OutboxDispatcher dispatcher) => dispatcher.RunOnceAsync(CancellationToken.None);

    private void Advance(double seconds) => _outbox.Clock.Now = _outbox.Clock.Now.AddSeconds(seconds);

    [Fact]
    public async Task Each_channel_goes_to_its_own_adapter_else_the_catch_all_and_a_channel_without_one_stays_pending()
    {
        var email = new ScriptedAdapter((_, _) => DeliveryOutcome.Delivered);
        var any = new ScriptedAdapter((_, _) => DeliveryOutcome.Delivered);
        _outbox.Add("e1", "email");
        _outbox.Add("p1", "push");
        using var dispatcher = Dispatcher(new() { ["email"] = email, ["*"] = any });
        Assert.Equal(2, await Round(dispatcher));
        Assert.Equal(["e1"], email.Keys);
        Assert.Equal(["p1"], any.Keys);
        Assert.Equal([("e1", 1), ("p1", 1)], _outbox.Delivered.Order());

        using var emailOnly = Dispatcher(new() { ["email"] = email });
        _outbox.Add("s1", "sms", dueTicks: _outbox.Now - 1);
        Assert.Equal(0, await Round(emailOnly));
        Assert.Equal(FakeOutbox.Pending, _outbox.Entry("s1").Status);
        Assert.Null(emailOnly.NextDue());   // nothing deliverable: the loop sleeps its longest
    }

    [Fact]
    public async Task A_failed_attempt_is_retried_on_the_backoff_then_parked_after_the_last_attempt()
    {
        var webhook = new ScriptedAdapter((_, _) => DeliveryOutcome.Retry("HTTP 503"));
        _outbox.Add("k", "email");
        using var dispatcher = Dispatcher(new() { ["email"] = webhook });

        Assert.Equal(0, await Round(dispatcher));
        var start = _outbox.Now;
        Assert.Equal((FakeOutbox.Pending, 1, "HTTP 503", start + TimeSpan.FromSeconds(7.5).Ticks), _outbox.State("k"));
        Assert.Equal(new DateTimeOffset(start + TimeSpan.FromSeconds(7.5).Ticks, TimeSpan.Zero), dispatcher.NextDue());
        Advance(7.4);
        Assert.Equal(0, await Round(dispatcher));
        Assert.Single(webhook.Keys);   // not due yet
        Advance(0.1);
        Assert.Equal(0, await Round(dispatcher));   // attempt 2: next after 20 s · 0.75
        Assert.Equal((FakeOutbox.Pending, 2, "HTTP 503", _outbox.Now + TimeSpan.FromSeconds(15).Ticks), _outbox.State("k"));
        Advance(15);
        Assert.Equal(0, await Round(dispatcher));   // attempt 3 of 3: parked, never dropped
        Assert.Equal((FakeOutbox.Failed, 3, "HTTP 503", _outbox.Now), _outbox.State("k"));
        Assert.Equal([1, 2, 3], webhook.Attempts);
        Advance(3600);
        Assert.Equal(0, await Round(dispatcher));
        Assert.Equal(3, webhook.Keys.Count);
    }

    [Fact]
    public async Task A_refusal_parks_at_once_and_an_adapters_exception_is_a_retry_naming_it()
    {
        var refusing = new ScriptedAdapter((_, _) => DeliveryOutcome.Refused("HTTP 400"));
        var throwing = new ScriptedAdapter(DeliveryOutcome (_, _) => throw new InvalidOperationException("broken adapter"));
        _outbox.Add("r", "refusing");
        _outbox.Add("t", "throwing");
        using var dispatcher = Dispatcher(new() { ["refusing"] = refusing, ["throwing"] = throwing });
        Assert.Equal(0, await Round(dispatcher));
        Assert.Equal((FakeOutbox.Failed, 1, "HTTP 400", _outbox.Now), _outbox.State("r"));
        Assert.Equal((FakeOutbox.Pending, 1, "InvalidOperationException: broken adapter", _outbox.Now + TimeSpan.FromSeconds(7.5).Ticks),
            _outbox.State("t"));
    }

    [Fact]
    public async Task At_most_Parallelism_attempts_are_in_flight_and_each_outcome_is_committed_once()
    {
        var inFlight = 0;
        var most = 0;
        var webhook = new ScriptedAdapter(async (_, _) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            await Task.Delay(20);
            Interlocked.Decrement(ref inFlight);
            return DeliveryOutcome.Delivered;
        });
        for (var i = 0; i < 40; i++) _outbox.Add($"k{i:00}", "email");
        using var dispatcher = Dispatcher(new() { ["*"] = webhook });
        Assert.Equal(40, await Round(dispatcher));
        Assert.InRange(most, 2, OutboxDispatcher.Parallelism);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => ($"k{i:00}", 1)), _outbox.Delivered.Order());
        Assert.Equal(0, await Round(dispatcher));
    }

    [Fact]
    public async Task A_channel_files_lines_are_on_disk_before_their_marks_are_queued_and_the_round_asks_for_the_idle_commit()
    {
        for (var i = 0; i < 5; i++) _outbox.Add($"k{i}", "email", line: $$"""{"key":"k{{i}}"}""");
        using var dispatcher = Dispatcher([], file: true);
        _outbox.OnQueue = items => Assert.Equal(items.Select(e => e.Line), File.ReadAllLines(Path.Combine(_dir, "email.jsonl")));
        Assert.Equal(5, await Round(dispatcher));
        Assert.Equal(["k0", "k1", "k2", "k3", "k4"], _outbox.Queued.Select(e => e.Key));
        Assert.Empty(_outbox.Delivered);   // queued marks are written by the next commit, not one per action
        Assert.Equal(1, _outbox.IdleCommitRequests);
    }

    [Fact]
    public async Task A_channel_file_gets_no_lines_while_half_the_adapters_window_of_marks_waits_for_a_commit()
    {
        _outbox.Add("k", "email");
        _outbox.QueuedMarkCount = FileChannelAdapter.RecentKeys / 2;
        using var dispatcher = Dispatcher([], file: true);
        Assert.Equal(0, await Round(dispatcher));
        Assert.False(File.Exists(Path.Combine(_dir, "email.jsonl")));
        Assert.Equal(FakeOutbox.Pending, _outbox.Entry("k").Status);
        _outbox.QueuedMarkCount = FileChannelAdapter.RecentKeys / 2 - 1;
        Assert.Equal(1, await Round(dispatcher));
    }

    [Fact]
    public async Task A_failed_file_write_is_a_failed_attempt_of_each_action_in_the_round()
    {
        File.WriteAllText(_dir, "a file where the folder should be");
        try
        {
            _outbox.Add("a", "email");
            _outbox.Add("b", "email");
            using var dispatcher = Dispatcher([], file: true);
            Assert.Equal(0, await Round(dispatcher));
            Assert.All(["a", "b"], key => Assert.Equal((FakeOutbox.Pending, 1), (_outbox.State(key).Status, _outbox.State(key).Attempts)));
            Assert.All(["a", "b"], key => Assert.StartsWith("file: ", _outbox.State(key).Error));
            Assert.Empty(_outbox.Queued);
        }
        finally { File.Delete(_dir); }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }

    private sealed class ScriptedAdapter(Func<OutboxEntry, int, Task<DeliveryOutcome>> deliver) : IChannelAdapter
    {
        public ScriptedAdapter(Func<OutboxEntry, int, DeliveryOutcome> deliver) : this((e, a) => Task.FromResult(deliver(e, a))) { }

        private readonly Lock _gate = new();
        public List<string> Keys { get; } = [];
        public List<int> Attempts { get; } = [];

        public Task<DeliveryOutcome> DeliverAsync(OutboxEntry item, int attempt, CancellationToken cancellation)
        {
            lock (_gate)
            {
                Keys.Add(item.Key);
                Attempts.Add(attempt);
            }
            return deliver(item, attempt);
        }
    }

    /// <summary>The outbox in memory, as the store keeps its pending queue: commits recorded, marks queued apart.</summary>
    private sealed class FakeOutbox : IDeliveryOutbox
    {
        public const string Pending = "pending";
        public const string Failed = "failed";
        private const string Delivered_ = "delivered";

        private readonly Lock _gate = new();
        private readonly List<OutboxEntry> _entries = [];

        public FixedClock Clock { get; } = new(new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero));
        public long Now => Clock.GetUtcNow().UtcTicks;
        public TimeProvider WallClock => Clock;
        public List<(string Key, int Attempts)> Delivered { get; } = [];
        public List<OutboxEntry> Queued { get; } = [];
        public int QueuedMarkCount { get; set; }
        public int IdleCommitRequests { get; private set; }
        public Action<IReadOnlyList<OutboxEntry>>? OnQueue { get; set; }

        public void Add(string key, string channel, string? line = null, long dueTicks = 0) =>
            _entries.Add(new OutboxEntry(key, channel, line ?? $$"""{"key":"{{key}}"}""", Pending, 0, dueTicks, null, _entries.Count + 1));

        public OutboxEntry Entry(string key)
        {
            lock (_gate) return _entries.Single(e => e.Key == key);
        }

        public (string Status, int Attempts, string? Error, long Next) State(string key)
        {
            var e = Entry(key);
            return (e.Status, e.Attempts, e.LastError, e.NextAttemptAt);
        }

        public List<OutboxEntry> DueForDelivery(long nowTicks, int max, Func<string, bool> routed)
        {
            lock (_gate) return [.. _entries.Where(e => e.Status == Pending && e.NextAttemptAt <= nowTicks && routed(e.Channel)).Take(max)];
        }

        public long? NextDeliveryDue(Func<string, bool> routed)
        {
            lock (_gate) return _entries.Where(e => e.Status == Pending && routed(e.Channel)).Select(e => (long?)e.NextAttemptAt).Min();
        }

        public void QueueDelivered(IReadOnlyList<OutboxEntry> items)
        {
            OnQueue?.Invoke(items);
            lock (_gate)
                foreach (var item in items)
                {
                    Replace(item.Key, e => e with { Status = Delivered_, Attempts = e.Attempts + 1, LastError = null });
                    Queued.Add(item);
                }
        }

        public void CommitDelivered(string key, int attempts)
        {
            lock (_gate)
            {
                Replace(key, e => e with { Status = Delivered_, Attempts = attempts, LastError = null });
                Delivered.Add((key, attempts));
            }
        }

        public void CommitFailedAttempt(string key, int attempts, long nextAttemptAt, string error, bool park)
        {
            lock (_gate)
                Replace(key, e => e with { Status = park ? Failed : Pending, Attempts = attempts, NextAttemptAt = nextAttemptAt, LastError = error });
        }

        public void CommitQueuedMarksIfIdle() => IdleCommitRequests++;

        private void Replace(string key, Func<OutboxEntry, OutboxEntry> change)
        {
            var at = _entries.FindIndex(e => e.Key == key);
            Assert.True(at >= 0 && _entries[at].Status != Delivered_, $"{key}: an outcome committed twice");
            _entries[at] = change(_entries[at]);
        }
    }
}
