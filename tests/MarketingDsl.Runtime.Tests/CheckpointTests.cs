namespace MarketingDsl.Runtime.Tests;

/// <summary>SQLite's checkpoints of the write-ahead log (LiveStore.Checkpoints.cs): beside the writer while commits come,
/// emptying the log's file once ingest pauses; that they run, that the log starts over, that nothing is lost.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-live-tests", "checkpoint-" + Guid.NewGuid().ToString("N"));
    private string Db => Path.Combine(_root, "live.db");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static void AddCommits(LiveStore store, int commits, ref int next)
    {
        var padding = new string('x', 2_000);
        for (var c = 0; c < commits; c++)
        {
            store.Begin();
            for (var i = 0; i < 10; i++, next++)
                store.AddEvent("view", "v" + next, "u" + (next % 7), next,
                    $$"""{"type":"view","user_id":"u{{next % 7}}","id":"v{{next}}","pad":"{{padding}}"}""");
            store.Commit();
        }
    }

    [Fact]
    public void A_paused_store_empties_the_log_only_once_due_and_every_event_stays()
    {
        var next = 0;
        using (var store = new LiveStore(Db))
        {
            AddCommits(store, 2, ref next);
            Assert.InRange(store.LogBytes, 1, LiveStore.IdleCheckpointBytes - 1);
            Assert.False(store.TruncateLogIfDue());
            while (store.LogBytes < LiveStore.IdleCheckpointBytes) AddCommits(store, 1, ref next);
            Assert.True(store.TruncateLogIfDue());
            Assert.True(store.LogBytes < LiveStore.IdleCheckpointBytes / 8, $"log after the checkpoint: {store.LogBytes} bytes");
            AddCommits(store, 1, ref next);
            Assert.True(store.HasEvent("view", "v0"));
            Assert.True(store.HasEvent("view", "v" + (next - 1)));
        }
        using (var store = new LiveStore(Db))
        {
            for (var i = 0; i < next; i++) Assert.True(store.HasEvent("view", "v" + i));
            Assert.Equal(next, Enumerable.Range(0, 7).Sum(u => store.EventsOf("u" + u).Count));
        }
    }

    /// <summary>
    /// A checkpoint from a second connection runs while the writer holds an open transaction (it
    /// neither waits for nor blocks the writer), copies every committed frame, and the writer then
    /// starts the log over: each round's checkpoint finds about one round of log, not all written so far.
    /// </summary>
    [Fact]
    public void A_checkpoint_beside_an_open_transaction_copies_the_log_and_the_writer_starts_it_over()
    {
        var next = 0;
        var found = new List<long>();
        using (var store = new LiveStore(Db))
        {
            for (var round = 0; round < 6; round++)
            {
                AddCommits(store, 10, ref next);
                store.Begin();
                store.AddEvent("view", "open" + round, "u0", 0, """{"type":"view","user_id":"u0"}""");
                var checkpoint = store.CheckpointBeside();   // the writer's transaction is open meanwhile
                store.Commit();
                Assert.True(checkpoint.LogFrames > 0);
                Assert.Equal(checkpoint.LogFrames, checkpoint.CopiedFrames);
                found.Add(checkpoint.LogFrames);
                // That commit's frames too: the log is then copied whole, and the next transaction starts it over.
                var after = store.CheckpointBeside();
                Assert.Equal(after.LogFrames, after.CopiedFrames);
            }
            // Without the log starting over, each round would find every earlier round's frames as well.
            Assert.True(found.Skip(1).All(f => f < found[0] * 2), $"frames found per round: {string.Join(", ", found)}");
            Assert.True(store.HasEvent("view", "open5"));
        }
        using (var store = new LiveStore(Db))
            for (var i = 0; i < next; i++) Assert.True(store.HasEvent("view", "v" + i));
    }

    /// <summary>While groups commit, the store's checkpoint thread copies the log beside the committer (none runs on it).</summary>
    [Fact]
    public void While_groups_commit_the_log_is_copied_beside_the_committer_and_every_event_stays()
    {
        using var fixture = new LiveFixture("""
            tag logins_7d = count(login, within: 7d)
            """);
        var padding = new string('x', 2_000);
        const int Requests = 40, EventsEach = 20;
        using (var live = fixture.Open())
        {
            live.Timings.Reset();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            // At least two checkpoint intervals of commits, however fast the machine.
            for (var r = 0; r < Requests || watch.Elapsed < LiveStore.BackgroundCheckpointEvery * 3; r++)
            {
                var batch = string.Join(",", Enumerable.Range(0, EventsEach).Select(n =>
                    $$"""{"type":"login","user_id":"u{{n % 3}}","ts":"2025-03-01T10:00:00Z","id":"L{{r}}-{{n}}","platform":"{{padding}}"}"""));
                Assert.All(live.IngestEvents(LiveFixture.Json($"[{batch}]")), x => Assert.Equal(IngestResult.Accepted, x.Status));
            }
            // The checkpoint thread runs beside: on a loaded machine give it time to be scheduled (polled generously).
            var wait = System.Diagnostics.Stopwatch.StartNew();
            while (live.Timings.BackgroundCheckpoints == 0 && wait.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
            Assert.True(live.Timings.BackgroundCheckpoints > 0, live.Timings.Summary());
        }
        using (var store = new LiveStore(fixture.Db))
            for (var n = 0; n < EventsEach; n++) Assert.True(store.HasEvent("login", $"L{Requests - 1}-{n}"));
    }

    [Fact]
    public void The_runtime_copies_a_small_log_once_ingest_pauses_and_keeps_every_event()
    {
        using var fixture = new LiveFixture("""
            tag logins_7d = count(login, within: 7d)
            """);
        var padding = new string('x', 2_000);
        const int Events = 600;   // about 1.2 MB of log in one group: past the idle size, short of the busy one
        using (var live = fixture.Open())
        {
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"}]"""));
            var batch = string.Join(",", Enumerable.Range(0, Events).Select(n =>
                $$"""{"type":"login","user_id":"u{{n % 2 + 1}}","ts":"2025-03-01T10:00:00Z","id":"L{{n}}","platform":"{{padding}}"}"""));
            Assert.All(live.IngestEvents(LiveFixture.Json($"[{batch}]")), r => Assert.Equal(IngestResult.Accepted, r.Status));
            // Ingest has paused: the committer copies the log (within LiveRuntime.IdleCheckpointAfter, polled generously).
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (live.Store.LogBytes >= LiveStore.IdleCheckpointBytes / 8 && watch.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
            Assert.True(live.Store.LogBytes < LiveStore.IdleCheckpointBytes / 8, $"log {live.Store.LogBytes} bytes after a pause");
        }
        using (var store = new LiveStore(fixture.Db))
            for (var n = 0; n < Events; n++) Assert.True(store.HasEvent("login", "L" + n));
    }

    [Fact]
    public void A_log_a_reader_held_through_the_pause_is_emptied_once_the_reader_ends()
    {
        using var fixture = new LiveFixture("""
            tag logins_7d = count(login, within: 7d)
            """);
        var padding = new string('x', 2_000);
        const int Events = 600;   // about 1.2 MB of log: past the idle size
        using var live = fixture.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"}]"""));
        // A reader's open transaction (a query on a second connection) keeps the log from starting over.
        using (var reader = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={fixture.Db}"))
        {
            reader.Open();
            using var read = reader.BeginTransaction(deferred: true);
            using (var query = reader.CreateCommand())
            {
                query.Transaction = read;
                query.CommandText = "SELECT count(*) FROM sqlite_master";
                query.ExecuteScalar();
            }
            var batch = string.Join(",", Enumerable.Range(0, Events).Select(n =>
                $$"""{"type":"login","user_id":"u{{n % 2 + 1}}","ts":"2025-03-01T10:00:00Z","id":"L{{n}}","platform":"{{padding}}"}"""));
            Assert.All(live.IngestEvents(LiveFixture.Json($"[{batch}]")), r => Assert.Equal(IngestResult.Accepted, r.Status));
            Thread.Sleep(LiveRuntime.IdleCheckpointAfter * 5);   // the pause's first tries meet the reader
            Assert.True(live.Store.LogBytes >= LiveStore.IdleCheckpointBytes, $"log {live.Store.LogBytes} bytes while the reader reads");
            read.Commit();
        }
        // The reader has ended, ingest is still paused: a later try empties the log (polled generously).
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (live.Store.LogBytes >= LiveStore.IdleCheckpointBytes / 8 && watch.Elapsed < TimeSpan.FromSeconds(8)) Thread.Sleep(20);
        Assert.True(live.Store.LogBytes < LiveStore.IdleCheckpointBytes / 8, $"log {live.Store.LogBytes} bytes after the reader ended");
    }

    /// <summary>
    /// Every commit wakes the checkpointing thread, and under load most find it woken already (it waits out its interval, or is
    /// checkpointing): those are done without an exception (each had been thrown and caught on the committer, 30–110 a second).
    /// </summary>
    [Fact]
    public void Commits_that_find_the_checkpointer_woken_already_throw_nothing()
    {
        var next = 0;
        using var first = new ManualResetEventSlim();   // outlives the store, whose checkpointing thread sets it
        using var store = new LiveStore(Db);
        store.StartBackgroundCheckpoints(_ => first.Set(), every: TimeSpan.FromHours(1));
        AddCommits(store, 1, ref next);
        Assert.True(first.Wait(TimeSpan.FromSeconds(10)), "the first commit's checkpoint ran");
        var thread = Environment.CurrentManagedThreadId;
        var thrown = 0;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (e.Exception is SemaphoreFullException && Environment.CurrentManagedThreadId == thread) Interlocked.Increment(ref thrown);
        }
        AppDomain.CurrentDomain.FirstChanceException += Count;
        try { AddCommits(store, 20, ref next); }   // the thread now waits out its hour: every wake after the first finds it woken
        finally { AppDomain.CurrentDomain.FirstChanceException -= Count; }
        Assert.Equal(0, thrown);
        Assert.True(store.HasEvent("view", "v" + (next - 1)));
    }
}
