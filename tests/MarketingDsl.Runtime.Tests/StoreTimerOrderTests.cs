namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The store hands out due timers from the group at the earliest instant, read once
/// (LiveStore.FirstTimer): checked against the table itself, sorted in replay's order, after every
/// step of random adds, firings, deletions, commits and rollbacks. And the segment due index keeps
/// the transaction discipline of everything else.
/// </summary>
public sealed class StoreTimerOrderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-live-tests", "timers-" + Guid.NewGuid().ToString("N"));
    private string Db => Path.Combine(_root, "live.db");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static readonly string[] Kinds =
        [LiveStore.WaitTimer, LiveStore.DeferredTimer, LiveStore.WinnerTimer, LiveStore.SegmentCheckTimer, LiveStore.ScheduleTimer];

    private static int TieRank(string kind) => kind switch
    {
        LiveStore.WinnerTimer => 1, LiveStore.SegmentCheckTimer => 2, LiveStore.ScheduleTimer => 3, _ => 0,
    };

    /// <summary>The oracle: every pending timer, from the table, in replay's firing order.</summary>
    private static StoredTimer? Expected(LiveStore store, long maxDue) => store.AllTimers().Where(t => t.Due <= maxDue)
        .OrderBy(t => t.Due).ThenBy(t => TieRank(t.Kind)).ThenBy(t => t.Kind == LiveStore.ScheduleTimer ? t.Token : 0).ThenBy(t => t.Id)
        .FirstOrDefault();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void The_first_timer_is_replays_first_through_adds_firings_deletions_and_rollbacks(int seed)
    {
        var random = new Random(seed);
        using var store = new LiveStore(Db);
        store.Begin();
        for (var step = 0; step < 1_500; step++)
        {
            var maxDue = random.Next(0, 8) * 10L;
            switch (random.Next(10))
            {
                case < 4:   // few instants, so groups at one instant are large and ties common
                    store.AddTimer(random.Next(0, 6) * 10L, Kinds[random.Next(Kinds.Length)], "j", user: "u" + random.Next(5), token: random.Next(3));
                    break;
                case < 7:   // fire: the first due timer is deleted
                    if (store.FirstTimer(maxDue) is { } first) store.DeleteTimer(first.Id);
                    break;
                case 7:     // a timer cancelled out of order (a wait ended by its goal)
                    var all = store.AllTimers();
                    if (all.Count > 0) store.DeleteTimer(all[random.Next(all.Count)].Id);
                    break;
                case 8:
                    store.DeleteTimersOf("u" + random.Next(5));
                    break;
                default:
                    if (random.Next(2) == 0) store.Commit();
                    else store.Rollback();
                    store.Begin();
                    break;
            }
            Assert.Equal(Expected(store, maxDue), store.FirstTimer(maxDue));
            Assert.Equal(store.AllTimers().Count, store.TimerCount());
        }
        store.Commit();
    }

    /// <summary>The users due at or before <paramref name="t"/> as the 00:00 check reads them: in (due, user) order, two a page, each
    /// page after the last user of the one before (users in code point order: in UTF-8's a surrogate pair goes after U+E000; in
    /// UTF-16's, before).</summary>
    private static List<string> DueBy(LiveStore store, long t)
    {
        var users = new List<string>();
        (long Due, string User)? after = null;
        for (var page = store.UsersDueBy(t, after, 2); page.Count > 0; page = store.UsersDueBy(t, after, 2))
        {
            users.AddRange(page.Select(d => d.User));
            after = (page[^1].Due, page[^1].User);
        }
        return users;
    }

    [Fact]
    public void A_merged_away_users_timers_go_but_a_fan_out_stopped_at_that_user_keeps_its_timer()
    {
        using var store = new LiveStore(Db);
        store.Begin();
        store.AddTimer(10, LiveStore.WaitTimer, "watch", user: "u5");
        store.AddTimer(10, LiveStore.DeferredTimer, "watch", user: "u5");
        store.AddTimer(20, LiveStore.ScheduleTimer, "daily", user: "u5");
        store.AddTimer(30, LiveStore.SegmentCheckTimer, "", user: "u5", entryAt: 7);
        store.AddTimer(10, LiveStore.WaitTimer, "watch", user: "u6");
        store.DeleteTimersOf("u5");
        store.Commit();
        Assert.Equal([(LiveStore.WaitTimer, "u6"), (LiveStore.ScheduleTimer, "u5"), (LiveStore.SegmentCheckTimer, "u5")],
            store.AllTimers().OrderBy(t => t.Due).Select(t => (t.Kind, t.User)).ToList());
        Assert.Equal(3, store.TimerCount());
    }

    [Fact]
    public void Segment_dues_are_written_in_the_transaction_and_read_back()
    {
        using (var store = new LiveStore(Db))
        {
            store.Begin();
            store.SetSegmentDue("b", 20);
            store.SetSegmentDue("\uE000", 10);
            store.SetSegmentDue("\U0001F600", 10);
            store.SetSegmentDue("a", 30);
            store.Commit();
            store.Begin();
            store.SetSegmentDue("a", 5);
            store.SetSegmentDue("b", long.MaxValue);
            store.SetSegmentDue("c", 1);
            Assert.Equal(["c", "a", "\uE000", "\U0001F600"], DueBy(store, 20));
            Assert.Equal(5, store.SegmentDueOf("a"));
            Assert.Equal(long.MaxValue, store.SegmentDueOf("b"));
            store.Rollback();
            Assert.Equal(["\uE000", "\U0001F600", "b"], DueBy(store, 20));
            Assert.Equal(30, store.SegmentDueOf("a"));
        }
        using (var store = new LiveStore(Db))
            Assert.Equal([("a", 30L), ("b", 20L), ("\U0001F600", 10L), ("\uE000", 10L)],
                store.SegmentDues().OrderBy(d => d.User, StringComparer.Ordinal).ToList());
    }
}
