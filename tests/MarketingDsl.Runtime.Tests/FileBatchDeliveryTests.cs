namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The file adapter delivers a round's actions of one channel with one append and one fsync, then
/// marks them in one commit: order kept, a failed write is a failed attempt of each (nothing lost
/// or doubled), keys already in the file are skipped.
/// </summary>
public sealed class FileBatchDeliveryTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    private static string Logins(int from, int count) =>
        "[" + string.Join(",", Enumerable.Range(from, count).Select(i =>
            $$"""{"type":"login","user_id":"u{{i % 3}}","ts":"2025-03-01T10:{{i:00}}:00Z","id":"L{{i}}"}""")) + "]";

    [Fact]
    public void A_round_appends_every_pending_action_of_a_channel_in_outbox_order_and_marks_them_all()
    {
        // Committed with no adapter: every action of both batches waits for one round.
        using (var live = new LiveRuntime(_f.Compilation.Model, new LiveOptions { DbPath = _f.Db, Clock = _f.WallClock,
            MaxFutureSkew = TimeSpan.MaxValue }))
        {
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u0"},{"user_id":"u1"},{"user_id":"u2"}]"""));
            live.IngestEvents(LiveFixture.Json(Logins(0, 5)));
            live.IngestEvents(LiveFixture.Json(Logins(5, 5)));
            Assert.Equal(10, live.Store.OutboxCounts()[LiveStore.Pending]);
        }
        using (var live = _f.Open())
        {
            var expected = live.Store.OutboxEntries(null, 100).Select(e => e.Key).ToList();
            Assert.Equal(10, live.Deliver());
            Assert.Equal(10, live.Store.OutboxCounts()[LiveStore.DeliveredStatus]);
            Assert.All(live.Store.OutboxEntries(null, 100), e => Assert.Equal(1, e.Attempts));
            Assert.Equal(expected, _f.OutboxLines().Select(l => l.Line.GetProperty("key").GetString()));
            Assert.Equal(0, live.Deliver());
        }
    }

    [Fact]
    public async Task Requests_answered_after_the_delivery_loop_was_disposed_still_end_well()
    {
        // The host disposes its delivery loop before the runtime; the runtime's flusher thread
        // wakes the loop after every group it answers. An ObjectDisposedException thrown there
        // ended the whole process (the load benchmark died that way between two runs).
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u0"},{"user_id":"u1"},{"user_id":"u2"}]"""));
        var loop = new DeliveryLoop(live, Microsoft.Extensions.Logging.Abstractions.NullLogger<DeliveryLoop>.Instance);
        await loop.StartAsync(CancellationToken.None);
        await loop.StopAsync(CancellationToken.None);
        loop.Dispose();
        for (var batch = 0; batch < 3; batch++)
        {
            var answer = await live.IngestEventsAsync(LiveFixture.Json(Logins(batch * 5, 5)));
            Assert.All(answer, r => Assert.Equal(IngestResult.Accepted, r.Status));
        }
    }

    [Fact]
    public void A_failed_write_is_a_failed_attempt_of_each_action_and_the_next_round_writes_each_once()
    {
        // The outbox folder's path is taken by a file: every append fails.
        Directory.CreateDirectory(Path.GetDirectoryName(_f.Outbox)!);
        File.WriteAllText(_f.Outbox, "not a folder");
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u0"},{"user_id":"u1"},{"user_id":"u2"}]"""));
        live.IngestEvents(LiveFixture.Json(Logins(0, 4)));
        var entries = live.Store.OutboxEntries(null, 100);
        Assert.Equal(4, entries.Count);
        Assert.All(entries, e => Assert.Equal((LiveStore.Pending, 1), (e.Status, e.Attempts)));
        Assert.All(entries, e => Assert.StartsWith("file: ", e.LastError));

        File.Delete(_f.Outbox);
        _f.WallClock.Now = _f.WallClock.Now.AddMinutes(10);   // past the first backoff
        Assert.Equal(4, live.Deliver());
        Assert.All(live.Store.OutboxEntries(null, 100), e => Assert.Equal((LiveStore.DeliveredStatus, 2), (e.Status, e.Attempts)));
        var keys = _f.OutboxLines().Select(l => l.Line.GetProperty("key").GetString()).ToList();
        Assert.Equal(entries.Select(e => e.Key), keys);
    }

    [Fact]
    public void AppendAll_skips_keys_already_in_the_file_and_repeats_within_the_batch()
    {
        var adapter = new FileChannelAdapter(_f.Outbox);
        Assert.True(adapter.Append("push", "a", """{"key":"a"}"""));
        Assert.Equal(2, adapter.AppendAll("push",
            [("a", """{"key":"a"}"""), ("b", """{"key":"b"}"""), ("b", """{"key":"b"}"""), ("c", """{"key":"c"}""")]));
        // A new adapter (a restart) reads the keys back from the file.
        Assert.Equal(1, new FileChannelAdapter(_f.Outbox).AppendAll("push", [("c", """{"key":"c"}"""), ("d", """{"key":"d"}""")]));
        Assert.Equal(["a", "b", "c", "d"], _f.OutboxLines().Select(l => l.Line.GetProperty("key").GetString()));
    }

    [Fact]
    public void The_adapter_remembers_the_keys_of_a_files_last_lines_only()
    {
        const int extra = 1000;
        var total = FileChannelAdapter.RecentKeys + extra;
        string Line(int i) => $$"""{"key":"k{{i}}","pad":"{{new string('x', 80)}}"}""";   // ~100 bytes: the file spans two 1 MB chunks
        var adapter = new FileChannelAdapter(_f.Outbox);
        for (var from = 0; from < total; from += 4096)
            adapter.AppendAll("push", [.. Enumerable.Range(from, Math.Min(4096, total - from)).Select(i => ($"k{i}", Line(i)))]);
        Assert.Equal(FileChannelAdapter.RecentKeys, adapter.RememberedKeys("push"));

        // A restart reads back the keys of the last RecentKeys lines, whatever the file's length.
        var restarted = new FileChannelAdapter(_f.Outbox);
        Assert.Equal(0, restarted.AppendAll("push", [($"k{total - 1}", Line(total - 1)), ($"k{extra}", Line(extra))]));
        Assert.Equal(FileChannelAdapter.RecentKeys, restarted.RememberedKeys("push"));
        // An older key is no longer remembered: the outbox never presents it again (its mark was committed long ago).
        Assert.Equal(1, restarted.AppendAll("push", [($"k{extra - 1}", Line(extra - 1))]));
    }

    [Fact]
    public void Reading_the_last_lines_cuts_a_torn_line_and_skips_a_partial_first_line()
    {
        Directory.CreateDirectory(_f.Outbox);
        var path = Path.Combine(_f.Outbox, "t.jsonl");
        File.WriteAllText(path, "a\nb\n\nc\n{\"torn");
        Assert.Equal(["b", "c"], FileChannelAdapter.LastLines(path, 2));
        Assert.Equal("a\nb\n\nc\n", File.ReadAllText(path));   // the torn line is gone
        Assert.Equal(["a", "b", "c"], FileChannelAdapter.LastLines(path, 10));
        File.WriteAllText(path, "{\"only torn");
        Assert.Empty(FileChannelAdapter.LastLines(path, 10));
        Assert.Equal("", File.ReadAllText(path));
        var big = string.Join("\n", Enumerable.Range(0, 30_000).Select(i => $"line-{i}-{new string('y', 60)}")) + "\n";   // > 1 MB: several chunks
        File.WriteAllText(path, big);
        var last = FileChannelAdapter.LastLines(path, 20_000);
        Assert.Equal(20_000, last.Count);
        Assert.StartsWith("line-10000-", last[0]);
        Assert.StartsWith("line-29999-", last[^1]);
    }

    [Fact]
    public async Task Files_get_no_more_lines_while_half_the_adapters_window_of_marks_waits_for_a_commit()
    {
        var half = FileChannelAdapter.RecentKeys / 2;
        var sends = half + 200;
        // Committed with no adapter: the sends wait in the outbox.
        using (var live = new LiveRuntime(_f.Compilation.Model, new LiveOptions { DbPath = _f.Db, Clock = _f.WallClock,
            MaxFutureSkew = TimeSpan.MaxValue }))
        {
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u0"}]"""));
            var start = new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
            for (var from = 0; from < sends; from += 2000)
                live.IngestEvents(LiveFixture.Json("[" + string.Join(",", Enumerable.Range(from, Math.Min(2000, sends - from)).Select(i =>
                    $$"""{"type":"login","user_id":"u0","ts":"{{start.AddSeconds(i):yyyy-MM-ddTHH:mm:ssZ}}","id":"L{{i}}"}""")) + "]"));
            Assert.Equal(sends, live.Store.OutboxCounts()[LiveStore.Pending]);
        }
        using (var live = _f.Open())
        {
            // Marks queued and not committed for all but 300 of them (as a round leaves them under load).
            var pending = live.Store.OutboxEntries(LiveStore.Pending, sends);
            live.Store.MarkDelivered(pending.Take(sends - 300).ToList());
            Assert.Equal(sends - 300, live.Store.QueuedMarkCount);
            // 300 more would leave more than half the window waiting for marks: the round holds them back,
            // and commits the queued marks (idle).
            Assert.Equal(0, await live.Dispatcher.RunOnceAsync(CancellationToken.None));
            Assert.False(File.Exists(Path.Combine(_f.Outbox, "push.jsonl")));
            Assert.Equal(0, live.Store.QueuedMarkCount);
            // With the marks committed, the next round writes them.
            Assert.Equal(300, await live.Dispatcher.RunOnceAsync(CancellationToken.None));
            Assert.Equal(300, _f.OutboxLines().Count);
        }
    }
}
