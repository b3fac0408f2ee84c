using MarketingDsl.Engine.Data;

namespace MarketingDsl.Runtime;

/// <summary>Settings of the live runtime.</summary>
public sealed partial class LiveOptions
{
    public required string DbPath { get; init; }
    /// <summary>Where the file adapter appends `CHANNEL.jsonl`; null: actions stay in the outbox.</summary>
    public string? OutboxDir { get; init; }
    /// <summary>The wall clock of the timer loop (tests pin it).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    /// <summary>A timer fires by wall clock when now ≥ due + grace (room for late events at the due instant).</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.Zero;
    /// <summary>
    /// How far ahead of <see cref="Clock"/> an event's ts may be; a later event is rejected (its
    /// ts would move the runtime's clock and fire every timer up to it): <see cref="FutureEvents"/>.
    /// </summary>
    public TimeSpan MaxFutureSkew { get; init; } = FutureEvents.DefaultMaxSkew;
    /// <summary>How many users' profiles, events and journey states stay in memory (least recently used leave first).</summary>
    public int CachedUsers { get; init; } = DefaultCachedUsers;
    public const int DefaultCachedUsers = 100_000;
    /// <summary>How many events the cached users may hold in memory in all (a bound on memory: long histories leave first by recency).</summary>
    public int CachedEvents { get; init; } = DefaultCachedEvents;
    public const int DefaultCachedEvents = 1_000_000;
    /// <summary>
    /// How much memory the cached users may hold in all, by an estimate per user computed from the
    /// sizes of what it holds (profile row, journey states as stored and live, segment
    /// memberships, loaded events at their arrays' capacity): the bound that keeps the
    /// process's memory flat whatever mix of users the traffic brings. It bounds what the cached
    /// users keep reachable; the GC heap is larger by the rest of the process and by garbage (users
    /// the cache let go) until the collector's next full collection.
    /// </summary>
    public long CacheBytes { get; init; } = (long)DefaultCacheMegabytes << 20;
    /// <summary>
    /// Small on purpose: at 200,000 users a 128 MB cache (35,000 users) saved the committer no CPU at 5,000 events/s, while
    /// the users it kept for seconds and evicted old were most of what the collector copied; at 1 MB (about 500 users, the
    /// events of a session) the collector paused 265-292 ms in a 20 s part instead of 900-1,400, and the p99 fell from
    /// 95-509 ms to 42-63 ms (benchmarks/README.md, 2026-12-07). `--cache-mb` raises it.
    /// </summary>
    public const int DefaultCacheMegabytes = 1;

    /// <summary>
    /// How long the committer, with due timer work left over after a group of requests, waits for
    /// the next request so that the work rides in its commit instead of paying an fsync of its own
    /// (zero: it commits alone at once). Only timer work waits, never a request.
    /// </summary>
    public TimeSpan TimerRideWait { get; init; } = TimeSpan.FromMilliseconds(DefaultTimerRideWaitMilliseconds);
    public const int DefaultTimerRideWaitMilliseconds = 5;
    /// <summary>Timer work left over for longer than this commits alone between groups even while requests flow, so it is never starved.</summary>
    public TimeSpan TimerLateAfter { get; init; } = TimeSpan.FromMilliseconds(DefaultTimerLateAfterMilliseconds);
    public const int DefaultTimerLateAfterMilliseconds = 1_000;
    /// <summary>
    /// How many events one group commit takes at most: a backlog (after a stall) drains in groups
    /// of about this size, each answered as soon as it is durable, instead of one group every
    /// queued request waits for. A request is never split: one larger than this is a group alone.
    /// Bulk clients' batches still share a group's fsync (several requests of 100 events per group).
    /// </summary>
    public int MaxGroupEvents { get; init; } = DefaultMaxGroupEvents;
    public const int DefaultMaxGroupEvents = 512;
    /// <summary>
    /// How many items one POST to /api/events or /api/profiles may hold: a larger one is refused
    /// whole (413) once its items are counted past this, before any is read, so what one request
    /// does under the runtime's lock, and answers, is bounded.
    /// </summary>
    public int MaxRequestItems { get; init; } = DefaultMaxRequestItems;
    public const int DefaultMaxRequestItems = 10_000;
}
