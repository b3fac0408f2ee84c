namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The per-user cache's byte bound: the estimated bytes of the cached users stay under it (the
/// most recent user always stays), and grow with what a user holds (journey states, loaded events).
/// </summary>
public sealed class UserCacheTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    private const int Users = 60;

    private static string Profiles() =>
        "[" + string.Join(",", Enumerable.Range(0, Users).Select(u => $$"""{"user_id":"u{{u}}","level":{{u % 4}}}""")) + "]";

    /// <summary>Per user: a login (the welcome journey) and a cart (the cart journey's wait): journey states to cache.</summary>
    private static string Events(int round) =>
        "[" + string.Join(",", Enumerable.Range(0, Users).SelectMany(u => new[]
        {
            $$"""{"type":"login","user_id":"u{{u}}","ts":"2025-03-01T{{10 + round:00}}:{{u % 60:00}}:00Z","id":"L{{round}}-{{u}}"}""",
            $$"""{"type":"cart_add","user_id":"u{{u}}","ts":"2025-03-01T{{10 + round:00}}:{{u % 60:00}}:30Z","price":150,"id":"C{{round}}-{{u}}"}""",
        })) + "]";

    [Fact]
    public void The_byte_bound_holds_and_a_larger_bound_holds_every_user()
    {
        const long bound = 40_000;
        using (var live = _f.Open(cacheBytes: bound))
        {
            live.IngestProfiles(LiveFixture.Json(Profiles()));
            for (var round = 0; round < 4; round++)
            {
                Assert.All(live.IngestEvents(LiveFixture.Json(Events(round))), r => Assert.Equal(IngestResult.Accepted, r.Status));
                var (users, _, _, bytes) = live.CacheSize;
                Assert.True(bytes <= bound, $"round {round}: {bytes:N0} bytes cached for {users} users, bound {bound:N0}");
                Assert.True(users is > 1 and < Users, $"round {round}: {users} users cached");
            }
        }
        // The same traffic with the default bound: every user stays, and they need more than the bound above.
        using var roomy = new LiveFixture();
        using var all = roomy.Open();
        all.IngestProfiles(LiveFixture.Json(Profiles()));
        for (var round = 0; round < 4; round++) all.IngestEvents(LiveFixture.Json(Events(round)));
        var (allUsers, _, _, allBytes) = all.CacheSize;
        Assert.Equal(Users, allUsers);
        Assert.True(allBytes > bound, $"{allBytes:N0} bytes for every user");
    }

    [Fact]
    public void A_users_bytes_grow_with_its_states_and_its_loaded_events()
    {
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"a","level":1}]"""));
        var profileOnly = live.CacheSize.Bytes;
        live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"a","ts":"2025-03-01T10:00:00Z","id":"L0"}]"""));
        var withState = live.CacheSize.Bytes;
        Assert.True(withState > profileOnly, $"{profileOnly:N0} → {withState:N0} bytes after a journey state");
        live.Tags("a", new DateTime(2025, 3, 2, 0, 0, 0, DateTimeKind.Utc));   // loads the events
        var loaded = live.CacheSize.Bytes;
        Assert.True(loaded > withState, $"{withState:N0} → {loaded:N0} bytes with the events loaded");
        var orders = "[" + string.Join(",", Enumerable.Range(0, 40).Select(i =>
            $$"""{"type":"order","user_id":"a","ts":"2025-03-01T11:{{i:00}}:00Z","order_id":"o{{i}}","amount":10,"""
            + $"\"category\":\"category-{i}\"}}")) + "]";
        live.IngestEvents(LiveFixture.Json(orders));
        var (_, _, events, more) = live.CacheSize;
        Assert.Equal(41, events);
        // 40 orders: their arrays (ts, line, three fields and their null flags: 51 bytes a row) and 40 category strings.
        Assert.True(more - loaded >= 40 * (51 + 24 + 2 * "category-00".Length), $"{loaded:N0} → {more:N0} bytes with 40 more orders");
    }

    /// <summary>
    /// A schedule's fan-out reads every user once; with more users than the cache holds, a plain
    /// LRU would evict the users events arrive for and miss on every user of every pass. Users a
    /// fan-out reads join at the cold end and are not promoted: they evict each other.
    /// </summary>
    [Fact]
    public void A_fan_out_over_more_users_than_the_cache_holds_keeps_the_users_events_arrive_for()
    {
        var cache = new UserCache(capacity: 4, eventCapacity: 1_000, byteCapacity: long.MaxValue);
        foreach (var id in new[] { "a", "b", "c" }) cache.Add(new LiveUser(id, null, 1));
        for (var pass = 0; pass < 2; pass++)
            for (var i = 0; i < 20; i++)
            {
                if (cache.Get("f" + i, promote: false) is null) cache.Add(new LiveUser("f" + i, null, 1), cold: true);
                Assert.NotNull(cache.Get("f" + i, promote: false));   // the user being handled stays while it is handled
            }
        Assert.Equal(4, cache.Count);
        foreach (var id in new[] { "a", "b", "c" }) Assert.NotNull(cache.Get(id));

        // The same pass as ordinary reads (an event per user) does evict them, least recently used first.
        for (var i = 0; i < 20; i++) if (cache.Get("g" + i) is null) cache.Add(new LiveUser("g" + i, null, 1));
        foreach (var id in new[] { "a", "b", "c" }) Assert.Null(cache.Get(id));
    }
}
