namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// A trigger's `where:` is decided on the event alone while the user's stored events are not yet
/// read (it sees only the event's fields); the audience after it still sees every stored event.
/// </summary>
public sealed class TriggerWhereTests : IDisposable
{
    private const string Main = """
        tag carts_all = count(cart_add)
        channel push { cost: 0.001 }
        journey cheap { trigger: cart_add where price < 10  audience: carts_all >= 3  steps { send push "cheap" } }
        """;

    private static readonly DateTime Day = new(2025, 3, 1, 9, 0, 0, DateTimeKind.Utc);
    private readonly LiveFixture _f = new(Main);

    public void Dispose() => _f.Dispose();

    private static string Cart(string user, int minute, decimal price) =>
        $$"""{"type":"cart_add","user_id":"{{user}}","ts":"{{LiveFixture.Ts(Day.AddMinutes(minute))}}","price":{{price}}}""";

    [Fact]
    public void Where_on_an_unloaded_user_fires_only_on_a_match_and_the_audience_sees_the_stored_events()
    {
        using (var live = _f.Open())
        {
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"}]"""));
            Assert.Equal("accepted,accepted",
                LiveFixture.Statuses(live.IngestEvents(LiveFixture.Json($"[{Cart("u1", 1, 50)},{Cart("u1", 2, 60)}]"))));
        }
        Assert.Empty(_f.OutboxLines());
        // After a restart no history is in memory: u1's match needs its two stored events for the audience.
        using (var live = _f.Open())
        {
            live.IngestEvents(LiveFixture.Json($"[{Cart("u2", 3, 5)}]"));   // matches, but 1 cart: not in the audience
            live.IngestEvents(LiveFixture.Json($"[{Cart("u2", 4, 50)}]"));   // no match
            live.IngestEvents(LiveFixture.Json($"[{Cart("u1", 5, 5)}]"));    // matches, 3 carts
        }
        var sends = _f.OutboxLines().Select(l => $"{l.Line.GetProperty("user_id").GetString()} {l.Line.GetProperty("template").GetString()}");
        Assert.Equal(["u1 cheap"], sends);
    }
}
