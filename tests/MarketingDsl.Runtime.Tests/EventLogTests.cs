namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The store's event log (LiveStore.Events.cs): events in one log document per commit, the
/// per-user index written by the indexer, the hand-over between them, the id directory, reopen.
/// </summary>
public sealed class EventLogTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-live-tests", "eventlog-" + Guid.NewGuid().ToString("N"));
    private string Db => Path.Combine(_root, "live.db");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    // A buffer of two events: the commits below index users early and often.
    private LiveStore Open(int buffer = 2) => new(Db, indexBuffer: buffer);

    private static void Add(LiveStore store, params (string Type, string? Id, string User)[] events)
    {
        store.Begin();
        foreach (var (type, id, user) in events) store.AddEvent(type, id, user, 1, $$"""{"type":"{{type}}","user_id":"{{user}}","id":"{{id}}"}""");
        store.Commit();
    }

    private static List<string?> IdsOf(LiveStore store, string user) =>
        [.. store.EventsOf(user).Select(e => System.Text.Json.JsonDocument.Parse(e.Json).RootElement.GetProperty("id").GetString())];

    [Fact]
    public void Ids_older_than_the_exact_window_are_found_through_the_filter_and_their_run_after_reopen_too()
    {
        using (var store = new LiveStore(Db, indexBuffer: 2, recentIds: 2))
        {
            Add(store, ("order", "o1", "u1"), ("order", "o2", "u2"));
            Add(store, ("view", "v1", "u1"));
            Assert.Equal(0, store.ArchiveOlderKeys().Ids);                 // 3 ids: not past 1.5 × the window
            Add(store, ("view", "v2", "u3"), ("order", "o3", "u1"), ("view", null, "u1"));
            Assert.Equal(3, store.ArchiveOlderKeys().Ids);                 // 5 ids: the 3 oldest go to a run
            Assert.Equal((2, 3L), store.IdDirectorySize);
            Assert.True(store.HasEvent("order", "o1"));
            Assert.True(store.HasEvent("order", "o2"));
            Assert.True(store.HasEvent("view", "v1"));
            Assert.True(store.HasEvent("view", "v2"));
            Assert.True(store.HasEvent("order", "o3"));
            Assert.False(store.HasEvent("view", "o1"));               // the type is part of the id
            Assert.False(store.HasEvent("order", "o9"));
            Add(store, ("order", "o4", "u2"));
            Assert.Equal(2, store.ArchiveOlderKeys(keep: 1).Ids);          // a second run
            Assert.Equal((1, 5L), store.IdDirectorySize);
        }
        using (var store = new LiveStore(Db, indexBuffer: 2, recentIds: 2))
        {
            Assert.Equal((1, 5L), store.IdDirectorySize);             // the runs' ids as filter bits, the rest exactly
            foreach (var (type, id) in new[] { ("order", "o1"), ("order", "o2"), ("view", "v1"), ("view", "v2"), ("order", "o3"), ("order", "o4") })
                Assert.True(store.HasEvent(type, id), $"{type} {id}");
            Assert.False(store.HasEvent("order", "o5"));
            Assert.False(store.HasEvent("view", "o2"));
        }
    }

    [Fact]
    public void Outbox_keys_older_than_the_exact_window_still_refuse_a_second_action_and_find_theirs_after_reopen_too()
    {
        using (var store = Open())
        {
            for (var i = 1; i <= 4; i++)
            {
                store.Begin();
                Assert.True(store.AddOutbox("k" + i, "push", $$"""{"key":"k{{i}}"}"""));
                store.Commit();
            }
            Assert.Equal(3, store.ArchiveOlderKeys(keep: 1).Keys);
            Assert.Equal((1, 3L, 4), store.OutboxMemorySize);
            store.Begin();
            Assert.False(store.AddOutbox("k1", "push", "{}"));   // in a run: still taken
            Assert.True(store.AddOutbox("k5", "push", "{}"));
            store.Commit();
            Assert.Equal("""{"key":"k2"}""", store.OutboxEntryOf("k2")!.Line);
            store.MarkDelivered("k2", 1);
            Assert.Equal(LiveStore.DeliveredStatus, store.OutboxEntryOf("k2")!.Status);
        }
        using (var store = Open())
        {
            Assert.Equal((2, 3L, 4), store.OutboxMemorySize);
            store.Begin();
            foreach (var key in new[] { "k1", "k2", "k3", "k4", "k5" }) Assert.False(store.AddOutbox(key, "push", "{}"), key);
            store.Commit();
            Assert.Equal(LiveStore.DeliveredStatus, store.OutboxEntryOf("k2")!.Status);
            Assert.Equal(LiveStore.Pending, store.OutboxEntryOf("k3")!.Status);
            Assert.Null(store.OutboxEntryOf("k9"));
        }
    }

    [Fact]
    public void A_crash_before_a_run_commits_leaves_its_ids_in_the_window_after_reopen()
    {
        using (var store = new LiveStore(Db, indexBuffer: 2, recentIds: 1))
        {
            Add(store, ("order", "o1", "u1"), ("order", "o2", "u2"), ("order", "o3", "u2"));
            // No run was written (the committer archives between groups): reopen rebuilds the window from the log.
        }
        using (var store = new LiveStore(Db, indexBuffer: 2, recentIds: 1))
        {
            Assert.Equal((3, 0L), store.IdDirectorySize);
            Assert.Equal(2, store.ArchiveOlderKeys().Ids);
            Assert.True(store.HasEvent("order", "o1") && store.HasEvent("order", "o2") && store.HasEvent("order", "o3"));
        }
    }

    [Fact]
    public void Events_read_the_same_when_buffered_indexed_and_after_reopen()
    {
        using (var store = Open())
        {
            Add(store, ("order", "o1", "u1"), ("order", "o2", "u2"), ("view", "v1", "u1"));
            Assert.Equal(3, store.UnindexedEvents);   // nothing was buffered before this commit: nothing to index
            Add(store, ("view", "v2", "u1"));          // over the bound: u1 (waited longest) is indexed, v2 buffered
            Assert.Equal(2, store.UnindexedEvents);
            Assert.Equal(["o1", "v1", "v2"], IdsOf(store, "u1"));
            Add(store, ("order", "o3", "u1"));         // u2 is indexed
            Assert.Equal(2, store.UnindexedEvents);
            Assert.Equal(["o1", "v1", "v2", "o3"], IdsOf(store, "u1"));
            Assert.Equal(["o2"], IdsOf(store, "u2"));
            Assert.True(store.HasEvent("order", "o1"));
            Assert.False(store.HasEvent("order", "v1"));
        }
        using (var store = Open())
        {
            Assert.Equal(2, store.UnindexedEvents);   // v2 and o3, rebuilt from the log
            Assert.Equal(["o1", "v1", "v2", "o3"], IdsOf(store, "u1"));
            Assert.Equal(["o2"], IdsOf(store, "u2"));
            Assert.True(store.HasEvent("order", "o3"));
            Assert.True(store.HasEvent("view", "v2"));
            Assert.False(store.HasEvent("view", "v9"));
            store.Begin();
            Assert.Equal(6, store.AddEvent("view", "v9", "u2", 1, """{"id":"v9"}"""));   // sequence numbers go on
            store.Commit();
        }
        using (var store = Open(buffer: 0))
        {
            Add(store, ("view", "v10", "u3"));   // a zero buffer indexes everyone buffered before
            Assert.Equal(1, store.UnindexedEvents);
            Assert.Equal(["o1", "v1", "v2", "o3"], IdsOf(store, "u1"));
            Assert.Equal(["o2", "v9"], IdsOf(store, "u2"));
        }
        using (var store = Open())
        {
            Assert.Equal(1, store.UnindexedEvents);
            Assert.Equal(["o2", "v9"], IdsOf(store, "u2"));
            Assert.Equal(["v10"], IdsOf(store, "u3"));
        }
    }

    [Fact]
    public void A_commit_that_indexes_keeps_every_event_readable_inside_and_after_it()
    {
        using var store = Open(buffer: 0);
        Add(store, ("order", "o1", "u1"), ("view", "v1", "u1"));
        store.Begin();
        Assert.Equal(["o1", "v1"], IdsOf(store, "u1"));
        store.AddEvent("view", "v2", "u1", 2, """{"id":"v2"}""");
        Assert.Equal(["o1", "v1", "v2"], IdsOf(store, "u1"));
        store.Commit();
        Assert.Equal(1, store.UnindexedEvents);
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
    public void A_merged_users_events_count_as_the_survivors_indexed_or_not()
    {
        using var store = Open(buffer: 0);
        Add(store, ("order", "o1", "b"), ("order", "o2", "a"));
        Add(store, ("view", "v1", "b"));   // indexes o1 and o2
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
            Assert.Equal(new Dictionary<string, int> { [LiveStore.Pending] = 1, [LiveStore.DeliveredStatus] = 1, [LiveStore.Failed] = 1 }, store.OutboxCounts());
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
        using (var old = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = Db, Connection = LiteDB.ConnectionType.Direct }))
            old.GetCollection("events").Insert(new LiteDB.BsonDocument { ["_id"] = "order\u001Fo1", ["user"] = "u1" });
        var error = Assert.Throws<InvalidOperationException>(() => Open());
        Assert.Contains("older version of mdsl (format 1", error.Message);
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

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 100)]
    [InlineData(100, 1)]
    [InlineData(100, 100)]
    public void Journey_states_read_the_same_written_behind_or_not_and_after_reopen(int bound, int lag)
    {
        LiveStore OpenStates() => new(Db, dirtyStatesBound: bound, maxStateLag: lag);
        using (var store = OpenStates())
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
            // A zero bound writes every older change at each commit (only the last commit's key waits);
            // large bounds write nothing yet.
            if (bound == 0) Assert.Equal(1, store.DirtyStates);
            if (bound == 100 && lag == 100) Assert.Equal(4, store.DirtyStates);
            Assert.Throws<InvalidOperationException>(() => store.SetState("j", "u9", new StoredJourneyState()));   // outside a transaction
        }
        using (var store = OpenStates())
        {
            Assert.Equal(new Dictionary<string, int> { ["j/u1"] = 3, ["j/u2"] = 1, ["k/u1"] = 1, ["j/u3"] = 1 }, Entries(store));
            Assert.Equal(3, store.State("j", "u1")!.Entries);
            Assert.Null(store.State("j", "u9"));
            SetStates(store, ("j", "u2", 2));
            for (var i = 0; i < 5; i++) SetStates(store, ("k", "u" + i, 10 + i));   // commits that push the others out
        }
        using (var store = OpenStates())
        {
            var entries = Entries(store);
            Assert.Equal((3, 2, 11), (entries["j/u1"], entries["j/u2"], entries["k/u1"]));
            Assert.Equal(14, store.State("k", "u4")!.Entries);
            Assert.Equal(8, entries.Count);
        }
    }

    [Fact]
    public void A_commit_record_holds_events_states_marks_and_counters_and_reopens_with_the_newest_counters()
    {
        LiveStore OpenBehind() => new(Db, indexBuffer: 100, dirtyStatesBound: 100, maxStateLag: 100);
        using (var store = OpenBehind())
        {
            store.Begin();
            Assert.True(store.AddOutbox("k1", "push", "{}"));
            store.Commit();
            store.MarkDelivered([store.OutboxEntryOf("k1")!]);
            store.Begin();   // one commit with an event, a state change and the queued mark: one record
            store.AddEvent("order", "o1", "u1", 1, """{"id":"o1"}""");
            store.SetState("j", "u1", new StoredJourneyState { Entries = 1 });
            store.SetCounter("clock", 7);
            store.Commit();
            store.Begin();   // a commit without events: its state change and counters go to their own documents
            store.SetState("j", "u2", new StoredJourneyState { Entries = 2 });
            store.SetCounter("clock", 9);
            store.Commit();
        }
        using (var store = OpenBehind())
        {
            Assert.Equal(1, store.State("j", "u1")!.Entries);
            Assert.Equal(2, store.State("j", "u2")!.Entries);
            Assert.Equal(2, store.DirtyStates);   // still written behind: replayed from the record and the state log
            Assert.Equal(LiveStore.DeliveredStatus, store.OutboxEntryOf("k1")!.Status);
            Assert.Equal(9, store.Counter("clock"));   // the meta document is newer than the last record
            Assert.True(store.HasEvent("order", "o1"));
            store.Begin();
            store.AddEvent("order", "o2", "u1", 2, """{"id":"o2"}""");
            store.SetCounter("clock", 11);
            store.Commit();
        }
        using (var store = OpenBehind())
        {
            Assert.Equal(11, store.Counter("clock"));   // now the last record is newer
            store.Begin();
            Assert.Equal(3, store.AddEvent("view", "v1", "u1", 3, """{"id":"v1"}"""));   // the event sequence went on from the record's counters
            store.Commit();
        }
    }

    /// <summary>Entries in LiteDB's static caches of compiled expressions (LiteDB 5.0.20's private fields; they only grow).</summary>
    private static int CompiledExpressions() =>
        new[] { "_cacheScalar", "_cacheEnumerable" }
            .Select(name => typeof(LiteDB.BsonExpression).GetField(name, System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)
                ?? throw new InvalidOperationException($"LiteDB.BsonExpression.{name} is gone: this test needs updating with the LiteDB version"))
            .Sum(field => ((System.Collections.ICollection)field.GetValue(null)!).Count);

    [Fact]
    public void Reading_many_users_compiles_no_query_per_user()
    {
        using var store = Open(buffer: 0);
        void Touch(int i)
        {
            Add(store, ("order", "o" + i, "u" + i));
            store.Begin();
            store.SetState("j", "u" + i, new StoredJourneyState { Entries = i });
            store.AddOutbox("k" + i, "push", "{}");
            store.Commit();
            Assert.Single(store.EventsOf("u" + i));
            Assert.Equal(i, store.State("j", "u" + i)!.Entries);
            Assert.NotNull(store.OutboxEntryOf("k" + i));
        }
        for (var i = 0; i < 5; i++) Touch(i);   // every query text compiled once
        var before = CompiledExpressions();
        for (var i = 5; i < 205; i++) Touch(i);
        // A value written into the expression text (LiteDB's Query.EQ) compiled and cached one expression per user.
        Assert.True(CompiledExpressions() - before < 5, $"{CompiledExpressions() - before} expressions compiled for 200 users");
    }

    [Fact]
    public void Outbox_actions_in_commit_records_and_in_documents_read_change_and_reopen_alike()
    {
        using (var store = Open())
        {
            store.Begin();   // with an event: the actions go into the commit record
            store.AddEvent("order", "o1", "u1", 1, """{"id":"o1"}""");
            Assert.True(store.AddOutbox("r1", "push", """{"n":1}"""));
            Assert.True(store.AddOutbox("r2", "sms", """{"n":2}"""));
            Assert.Equal(LiveStore.Pending, store.OutboxEntryOf("r1")!.Status);   // readable inside its transaction
            store.Commit();
            store.Begin();   // without events: a document of its own
            Assert.True(store.AddOutbox("d1", "push", """{"n":3}"""));
            Assert.False(store.AddOutbox("r2", "sms", "{}"));
            store.Commit();
            Assert.Equal("""{"n":2}""", store.OutboxEntryOf("r2")!.Line);
            store.RecordFailedAttempt("r2", 8, 0, "refused", park: true);   // a record's action changed: a document overrides it
            store.MarkDelivered([store.OutboxEntryOf("r1")!]);
            store.Begin();
            store.Commit();
        }
        using (var store = Open())
        {
            Assert.Equal(new Dictionary<string, int> { [LiveStore.Pending] = 1, [LiveStore.DeliveredStatus] = 1, [LiveStore.Failed] = 1 }, store.OutboxCounts());
            Assert.Equal((LiveStore.Failed, 8, "refused"), (store.OutboxEntryOf("r2")!.Status, store.OutboxEntryOf("r2")!.Attempts, store.OutboxEntryOf("r2")!.LastError));
            Assert.Equal(LiveStore.DeliveredStatus, store.OutboxEntryOf("r1")!.Status);
            Assert.Equal(["r1", "r2", "d1"], store.OutboxEntries(null, 10).Select(e => e.Key));
            Assert.Equal(["d1"], store.DueForDelivery(long.MaxValue, 10, _ => true).Select(e => e.Key));
            Assert.True(store.Requeue("r2", 0));
            Assert.Equal(["r2", "d1"], store.DueForDelivery(long.MaxValue, 10, _ => true).Select(e => e.Key));
            store.Begin();
            Assert.False(store.AddOutbox("r1", "push", "{}"));   // keys of record actions are known after reopen
            store.Commit();
        }
    }
}
