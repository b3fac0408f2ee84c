namespace MarketingDsl.Runtime.Tests;

/// <summary>SQLite's checkpoint of the write-ahead log under the runtime's control (LiveStore.CheckpointIfDue): when it
/// runs, that it empties the log, that nothing is lost.</summary>
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
                store.AddEvent("view", "v" + next, "u" + (next % 7), next, $$"""{"type":"view","user_id":"u{{next % 7}}","id":"v{{next}}","pad":"{{padding}}"}""");
            store.Commit();
        }
    }

    [Fact]
    public void The_log_is_copied_only_when_due_and_every_event_stays()
    {
        var next = 0;
        using (var store = new LiveStore(Db))
        {
            AddCommits(store, 2, ref next);
            Assert.InRange(store.LogBytes, 1, LiveStore.IdleCheckpointBytes - 1);
            Assert.False(store.CheckpointIfDue(idle: true));
            // Past the idle size: a busy runtime still waits, an idle one copies the log and empties it.
            while (store.LogBytes < LiveStore.IdleCheckpointBytes) AddCommits(store, 1, ref next);
            Assert.True(store.LogBytes < LiveStore.BusyCheckpointBytes, $"log {store.LogBytes} bytes after {next} events");
            Assert.False(store.CheckpointIfDue(idle: false));
            Assert.True(store.CheckpointIfDue(idle: true));
            Assert.True(store.LogBytes < LiveStore.IdleCheckpointBytes / 8, $"log after the checkpoint: {store.LogBytes} bytes");
            // Past the busy size it runs between groups whatever waits.
            while (store.LogBytes < LiveStore.BusyCheckpointBytes) AddCommits(store, 20, ref next);
            Assert.True(store.CheckpointIfDue(idle: false));
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
}
