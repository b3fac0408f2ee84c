namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// Group commit under a backlog (LiveOptions.MaxGroupEvents): requests queued while the committer
/// is held drain in several groups, each within the cap of events, in arrival order, every
/// request answered and nothing lost.
/// </summary>
public sealed class GroupCommitBacklogTests : IDisposable
{
    private readonly LiveFixture _f = new("""
        tag logins_7d = count(login, within: 7d)
        """);

    public void Dispose() => _f.Dispose();

    private LiveRuntime Open(int maxGroupEvents) => new(_f.Compilation.Model, new LiveOptions
    {
        DbPath = _f.Db, OutboxDir = _f.Outbox, Clock = _f.WallClock, MaxFutureSkew = TimeSpan.MaxValue, MaxGroupEvents = maxGroupEvents,
    });

    private static System.Text.Json.JsonElement Logins(int request, int events) => LiveFixture.Json("[" + string.Join(",",
        Enumerable.Range(0, events).Select(e =>
            $$"""{"type":"login","user_id":"u{{request % 5}}","ts":"2025-03-01T10:00:00Z","id":"L{{request}}-{{e}}"}""")) + "]");

    [Fact]
    public async Task A_backlog_drains_in_groups_within_the_cap_in_arrival_order_with_nothing_lost()
    {
        const int Cap = 10, Requests = 60, EventsEach = 3;
        using (var live = Open(Cap))
        {
            live.Timings.Reset();
            var tasks = new List<Task<IReadOnlyList<IngestResult>>>();
            // The runtime's lock held on another thread keeps the committer out of its next
            // transaction, as a long group or a stall would; requests queue meanwhile.
            using var held = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            var holder = Task.Run(() => live.Locked(_ =>
            {
                held.Set();
                release.Wait();
                return 0;
            }));
            held.Wait();
            for (var r = 0; r < Requests; r++) tasks.Add(live.IngestEventsAsync(Logins(r, EventsEach)));
            // A request larger than the cap is a group of its own, never split.
            tasks.Add(live.IngestEventsAsync(Logins(Requests, 25)));
            release.Set();
            await holder;
            var answers = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.All(answers, a => Assert.All(a, r => Assert.Equal(IngestResult.Accepted, r.Status)));

            var groups = live.Timings.GroupSizes();
            Assert.Equal(Requests * EventsEach + 25, groups.Sum());
            Assert.Equal(25, groups[^1]);
            // Whole requests in arrival order: each group is some next requests of three events, the large one last.
            Assert.All(groups[..^1], size => Assert.True(size is > 0 and <= Cap && size % EventsEach == 0, $"groups: {string.Join(",", groups)}"));
            Assert.True(groups.Length >= Requests * EventsEach / Cap + 1, $"groups: {string.Join(",", groups)}");
        }
        using var store = new LiveStore(_f.Db);
        for (var r = 0; r <= Requests; r++)
            for (var e = 0; e < (r == Requests ? 25 : EventsEach); e++) Assert.True(store.HasEvent("login", $"L{r}-{e}"), $"L{r}-{e}");
        // Stored in arrival order: each user's events by sequence follow the requests' order.
        for (var u = 0; u < 5; u++)
        {
            var ids = store.EventsOf("u" + u)
                .Select(e => System.Text.Json.JsonDocument.Parse(e.Json).RootElement.GetProperty("id").GetString()!).ToList();
            var expected = Enumerable.Range(0, Requests + 1).Where(r => r % 5 == u)
                .SelectMany(r => Enumerable.Range(0, r == Requests ? 25 : EventsEach).Select(e => $"L{r}-{e}")).ToList();
            Assert.Equal(expected, ids);
        }
    }
}
