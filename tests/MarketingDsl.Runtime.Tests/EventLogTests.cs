namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The live store (LiveStore*.cs, SQLite): events, their dedupe and per-user reads, journey
/// states, the outbox and counters in one transaction per commit; rollback, reopen, no size cliff.
/// </summary>
public sealed class EventLogTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-live-tests", "eventlog-" + Guid.NewGuid().ToString("N"));
    private string Db => Path.Combine(_root, "live.db");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private LiveStore Open() => new(Db);

    private static void Add(LiveStore store, params (string Type, string? Id, string User)[] events)
    {
        store.Begin();
        foreach (var (type, id, user) in events) store.AddEvent(type, id, user, 1, $$"""{"type":"{{type}}","user_id":"{{user}}","id":"{{id}}"}""");
        store.Commit();
    }

    private static List<string?> IdsOf(LiveStore store, string user) =>
        [.. store.EventsOf(user).Select(e => System.Text.Json.JsonDocument.Parse(e.Json).RootElement.GetProperty("id").GetString())];

    [Fact]
    public void Events_read_the_same_in_their_transaction_after_it_and_after_reopen()
    {
        using (var store = Open())
        {
            Add(store, ("order", "o1", "u1"), ("order", "o2", "u2"), ("view", "v1", "u1"));
            Add(store, ("view", "v2", "u1"));
            Assert.Equal(["o1", "v1", "v2"], IdsOf(store, "u1"));
            Add(store, ("order", "o3", "u1"));
            Assert.Equal(["o1", "v1", "v2", "o3"], IdsOf(store, "u1"));
            Assert.Equal(["o2"], IdsOf(store, "u2"));
            Assert.True(store.HasEvent("order", "o1"));
            Assert.False(store.HasEvent("order", "v1"));
        }
        using (var store = Open())
        {
            Assert.Equal(["o1", "v1", "v2", "o3"], IdsOf(store, "u1"));
            Assert.Equal(["o2"], IdsOf(store, "u2"));
            Assert.True(store.HasEvent("order", "o3"));
            Assert.True(store.HasEvent("view", "v2"));
            Assert.False(store.HasEvent("view", "v9"));
            store.Begin();
            Assert.Equal(6, store.AddEvent("view", "v9", "u2", 1, """{"id":"v9"}"""));   // sequence numbers go on
            store.Commit();
        }
        using (var store = Open())
        {
            Add(store, ("view", "v10", "u3"));
            Assert.Equal(["o1", "v1", "v2", "o3"], IdsOf(store, "u1"));
            Assert.Equal(["o2", "v9"], IdsOf(store, "u2"));
        }
        using (var store = Open())
        {
            Assert.Equal(["o2", "v9"], IdsOf(store, "u2"));
            Assert.Equal(["v10"], IdsOf(store, "u3"));
        }
    }

    [Fact]
    public void A_transaction_reads_its_own_events_with_the_committed_ones()
    {
        using var store = Open();
        Add(store, ("order", "o1", "u1"), ("view", "v1", "u1"));
        store.Begin();
        Assert.Equal(["o1", "v1"], IdsOf(store, "u1"));
        store.AddEvent("view", "v2", "u1", 2, """{"id":"v2"}""");
        Assert.Equal(["o1", "v1", "v2"], IdsOf(store, "u1"));
        store.Commit();
        Assert.Equal(["o1", "v1", "v2"], IdsOf(store, "u1"));
    }

    [Fact]
    public void A_rolled_back_event_is_forgotten()
    {
        using var store = Open();
        store.Begin();
        var seq = store.AddEvent("order", "o1", "u1", 1, """{"id":"o1"}""");
        Assert.True(store.HasEvent("order", "o1"));
        Assert.Single(store.EventsOf("u1"));
        store.Rollback();
        Assert.False(store.HasEvent("order", "o1"));
        Assert.Empty(store.EventsOf("u1"));
        store.Begin();
        Assert.Equal(seq, store.AddEvent("order", "o1", "u1", 1, """{"id":"o1"}"""));
        store.Commit();
        Assert.True(store.HasEvent("order", "o1"));
    }

    [Fact]
    public void Ids_that_differ_only_in_case_are_different()
    {
        using var store = Open();
        Add(store, ("order", "A1", "Ab"));
        Assert.False(store.HasEvent("order", "a1"));
        Assert.Empty(store.EventsOf("ab"));
        store.Begin();
        store.SetProfile("Ab", """{"user_id":"Ab"}""");
        store.SetProfile("ab", """{"user_id":"ab"}""");
        store.Commit();
        Assert.Equal("""{"user_id":"Ab"}""", store.Profile("Ab"));
        Assert.Equal("""{"user_id":"ab"}""", store.Profile("ab"));
    }

    [Fact]
    public void A_merged_users_events_count_as_the_survivors()
    {
        using var store = Open();
        Add(store, ("order", "o1", "b"), ("order", "o2", "a"));
        Add(store, ("view", "v1", "b"));
        store.Begin();
        Assert.Equal(2, store.EventCount("b"));
        store.RecordMerge(new IdentityMergeRecord("a", "b", "phone", "1", 0, 2, 0));
        Assert.Equal(["o1", "o2", "v1"], IdsOf(store, "a"));   // the merge is visible inside its transaction
        store.Commit();
        Assert.Equal(["o1", "o2", "v1"], IdsOf(store, "a"));
    }

    [Fact]
    public void The_outbox_keeps_keys_statuses_and_pending_order_across_rollback_and_reopen()
    {
        using (var store = Open())
        {
            store.Begin();
            Assert.True(store.AddOutbox("k1", "push", "{}"));
            Assert.False(store.AddOutbox("k1", "push", "{}"));   // the same key within the transaction
            store.Rollback();
            Assert.Null(store.OutboxEntryOf("k1"));
            Assert.Equal(0, store.OutboxCounts()[LiveStore.Pending]);

            store.Begin();
            Assert.True(store.AddOutbox("k1", "push", """{"n":1}"""));
            Assert.True(store.AddOutbox("k2", "sms", """{"n":2}"""));
            Assert.True(store.AddOutbox("K1", "push", """{"n":3}"""));   // keys are case-sensitive
            store.Commit();
            store.Begin();
            Assert.False(store.AddOutbox("k2", "sms", "{}"));
            store.Commit();
            store.MarkDelivered([store.OutboxEntryOf("k1")!]);
            Assert.Equal(LiveStore.DeliveredStatus, store.OutboxEntryOf("k1")!.Status);   // queued: written by the next commit
            Assert.Equal(3, store.OutboxCounts()[LiveStore.Pending]);
            store.Begin();
            store.Commit();
            Assert.Equal(2, store.OutboxCounts()[LiveStore.Pending]);
            store.RecordFailedAttempt("k2", 3, 0, "refused", park: true);
            Assert.Equal(["K1"], store.DueForDelivery(long.MaxValue, 10, _ => true).Select(e => e.Key));
        }
        using (var store = Open())
        {
            Assert.Equal(new Dictionary<string, int> { [LiveStore.Pending] = 1, [LiveStore.DeliveredStatus] = 1, [LiveStore.Failed] = 1 },
                store.OutboxCounts());
            Assert.Equal(["K1"], store.DueForDelivery(long.MaxValue, 10, _ => true).Select(e => e.Key));
            Assert.Equal(("refused", 3), (store.OutboxEntryOf("k2")!.LastError, store.OutboxEntryOf("k2")!.Attempts));
            Assert.True(store.Requeue("k2", 5));
            Assert.False(store.Requeue("k1", 5));   // delivered, not parked
            Assert.Equal(["k2", "K1"], store.DueForDelivery(long.MaxValue, 10, _ => true).Select(e => e.Key));
            Assert.Equal(["k1", "k2", "K1"], store.OutboxEntries(null, 10).Select(e => e.Key));
            store.Begin();
            Assert.False(store.AddOutbox("k1", "push", "{}"));   // known after reopen
            store.Commit();
        }
    }

    [Fact]
    public void A_file_of_the_older_layout_is_refused_with_a_clear_message()
    {
        Directory.CreateDirectory(_root);
        // The first page of a LiteDB 5 file (formats 1 and 2 of the live store): its header text at byte 32.
        var page = new byte[8192];
        "** This is a LiteDB file **"u8.CopyTo(page.AsSpan(32));
        File.WriteAllBytes(Db, page);
        var error = Assert.Throws<IOException>(() => Open());
        Assert.Contains("older version of mdsl (format 2 or older", error.Message);
        Assert.Contains("start with a new file", error.Message);
    }

    private static void SetStates(LiveStore store, params (string Journey, string User, int Entries)[] states)
    {
        store.Begin();
        foreach (var (journey, user, entries) in states) store.SetState(journey, user, new StoredJourneyState { Entries = entries });
        store.Commit();
    }

    private static Dictionary<string, int> Entries(LiveStore store) =>
        store.AllStates().ToDictionary(s => s.Journey + "/" + s.User, s => s.State.Entries);

    [Fact]
    public void Journey_states_read_the_same_in_their_transaction_after_rollback_and_after_reopen()
    {
        using (var store = Open())
        {
            SetStates(store, ("j", "u1", 1), ("j", "u2", 1));
            SetStates(store, ("j", "u1", 2), ("k", "u1", 1));
            SetStates(store, ("j", "u3", 1));
            SetStates(store, ("j", "u1", 3));
            store.Begin();
            store.SetState("j", "u2", new StoredJourneyState { Entries = 9 });
            Assert.Equal(9, store.State("j", "u2")!.Entries);   // seen inside its transaction
            store.Rollback();
            Assert.Equal(1, store.State("j", "u2")!.Entries);
            Assert.Equal(new Dictionary<string, int> { ["j/u1"] = 3, ["j/u2"] = 1, ["k/u1"] = 1, ["j/u3"] = 1 }, Entries(store));
            Assert.Throws<InvalidOperationException>(() => store.SetState("j", "u9", new StoredJourneyState()));   // outside a transaction
        }
        using (var store = Open())
        {
            Assert.Equal(new Dictionary<string, int> { ["j/u1"] = 3, ["j/u2"] = 1, ["k/u1"] = 1, ["j/u3"] = 1 }, Entries(store));
            Assert.Equal(3, store.State("j", "u1")!.Entries);
            Assert.Null(store.State("j", "u9"));
        }
    }

    [Fact]
    public void A_commit_holds_events_states_marks_and_counters_and_reopens_with_the_newest_counters()
    {
        LiveStore OpenBehind() => Open();
        using (var store = OpenBehind())
        {
            store.Begin();
            Assert.True(store.AddOutbox("k1", "push", "{}"));
            store.Commit();
            store.MarkDelivered([store.OutboxEntryOf("k1")!]);
            store.Begin();   // one commit with an event, a state change and the queued mark
            store.AddEvent("order", "o1", "u1", 1, """{"id":"o1"}""");
            store.SetState("j", "u1", new StoredJourneyState { Entries = 1 });
            store.SetCounter("clock", 7);
            store.Commit();
            store.Begin();   // a commit without events
            store.SetState("j", "u2", new StoredJourneyState { Entries = 2 });
            store.SetCounter("clock", 9);
            store.Commit();
        }
        using (var store = OpenBehind())
        {
            Assert.Equal(1, store.State("j", "u1")!.Entries);
            Assert.Equal(2, store.State("j", "u2")!.Entries);
            Assert.Equal(LiveStore.DeliveredStatus, store.OutboxEntryOf("k1")!.Status);
            Assert.Equal(9, store.Counter("clock"));
            Assert.True(store.HasEvent("order", "o1"));
            store.Begin();
            store.AddEvent("order", "o2", "u1", 2, """{"id":"o2"}""");
            store.SetCounter("clock", 11);
            store.Commit();
        }
        using (var store = OpenBehind())
        {
            Assert.Equal(11, store.Counter("clock"));
            store.Begin();
            Assert.Equal(3, store.AddEvent("view", "v1", "u1", 3, """{"id":"v1"}"""));   // the event sequence goes on
            store.Commit();
        }
    }

    [Fact]
    public void Outbox_actions_of_commits_with_and_without_events_read_change_and_reopen_alike()
    {
        using (var store = Open())
        {
            store.Begin();   // with an event
            store.AddEvent("order", "o1", "u1", 1, """{"id":"o1"}""");
            Assert.True(store.AddOutbox("r1", "push", """{"n":1}"""));
            Assert.True(store.AddOutbox("r2", "sms", """{"n":2}"""));
            Assert.Equal(LiveStore.Pending, store.OutboxEntryOf("r1")!.Status);   // readable inside its transaction
            store.Commit();
            store.Begin();   // without events
            Assert.True(store.AddOutbox("d1", "push", """{"n":3}"""));
            Assert.False(store.AddOutbox("r2", "sms", "{}"));
            store.Commit();
            Assert.Equal("""{"n":2}""", store.OutboxEntryOf("r2")!.Line);
            store.RecordFailedAttempt("r2", 8, 0, "refused", park: true);
            store.MarkDelivered([store.OutboxEntryOf("r1")!]);
            store.Begin();
            store.Commit();
        }
        using (var store = Open())
        {
            Assert.Equal(new Dictionary<string, int> { [LiveStore.Pending] = 1, [LiveStore.DeliveredStatus] = 1, [LiveStore.Failed] = 1 },
                store.OutboxCounts());
            Assert.Equal((LiveStore.Failed, 8, "refused"), (store.OutboxEntryOf("r2")!.Status, store.OutboxEntryOf("r2")!.Attempts,
                store.OutboxEntryOf("r2")!.LastError));
            Assert.Equal(LiveStore.DeliveredStatus, store.OutboxEntryOf("r1")!.Status);
            Assert.Equal(["r1", "r2", "d1"], store.OutboxEntries(null, 10).Select(e => e.Key));
            Assert.Equal(["d1"], store.DueForDelivery(long.MaxValue, 10, _ => true).Select(e => e.Key));
            Assert.True(store.Requeue("r2", 0));
            Assert.Equal(["r2", "d1"], store.DueForDelivery(long.MaxValue, 10, _ => true).Select(e => e.Key));
            store.Begin();
            Assert.False(store.AddOutbox("r1", "push", "{}"));   // keys are known after reopen
            store.Commit();
        }
    }

    /// <summary>
    /// LiteDB held a commit's events in one document and a user's indexed events in another, both
    /// under its 16 MB document limit: a large batch, or a user with a long history, failed the
    /// whole commit. Each event is a row now.
    /// </summary>
    [Fact]
    public void A_large_commit_and_a_user_with_a_long_history_meet_no_size_limit()
    {
        var big = new string('x', 700_000);
        string Event(int i) => $$"""{"type":"view","user_id":"u1","id":"b{{i}}","pad":"{{big}}"}""";
        using (var store = Open())
        {
            store.Begin();   // one commit of about 21 MB
            for (var i = 0; i < 30; i++) store.AddEvent("view", "b" + i, "u1", i, Event(i));
            store.Commit();
            for (var i = 30; i < 60; i++) Add1(store, i);   // the same user's history grows past 40 MB
        }
        using (var store = Open())
        {
            var events = store.EventsOf("u1");
            Assert.Equal(60, events.Count);
            Assert.Equal(Event(59), events[^1].Json);
            Assert.True(store.HasEvent("view", "b0") && store.HasEvent("view", "b59"));
        }

        void Add1(LiveStore store, int i)
        {
            store.Begin();
            store.AddEvent("view", "b" + i, "u1", i, Event(i));
            store.Commit();
        }
    }

    /// <summary>A resend is answered by the UNIQUE index of ids: after a reopen, in the resending transaction, for ids of every age.</summary>
    [Fact]
    public void Every_stored_id_is_a_duplicate_after_reopen_and_inside_the_transaction_that_stored_it()
    {
        using (var store = Open())
        {
            store.Begin();
            for (var i = 0; i < 2_000; i++) store.AddEvent("view", "v" + i, "u" + (i % 50), i, "{}");
            Assert.True(store.HasEvent("view", "v1999"));
            store.Commit();
            Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() =>
            {
                store.Begin();
                try { store.AddEvent("view", "v7", "u1", 1, "{}"); }   // the index refuses a second row under an id
                finally { store.Rollback(); }
            });
        }
        using (var store = Open())
        {
            for (var i = 0; i < 2_000; i++) Assert.True(store.HasEvent("view", "v" + i));
            Assert.False(store.HasEvent("view", "v2000"));
            Assert.False(store.HasEvent("order", "v1"));
            Assert.Equal(2_000, Enumerable.Range(0, 50).Sum(u => store.EventCount("u" + u)));
        }
    }

    /// <summary>One runtime per store: its counters and pending outbox are in its memory, so a second writer is refused, not interleaved.</summary>
    [Fact]
    public void A_second_opener_of_a_store_in_use_is_refused_and_the_store_opens_once_it_is_closed()
    {
        using (var store = Open())
        {
            Add(store, ("order", "o1", "u1"));
            var error = Assert.Throws<IOException>(() => Open());
            Assert.Contains("another process has this live store open", error.Message);
            Add(store, ("order", "o2", "u1"));
        }
        using (var store = Open()) Assert.Equal(["o1", "o2"], IdsOf(store, "u1"));
    }
}
