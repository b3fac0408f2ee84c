namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// A cached user's history holds only the event types some evaluation read (UserStates.EnsureEvents): a user read back on
/// a miss loads the orders an audience reads, not its logins; a type loaded later brings every stored event of it, those
/// stored while it was not loaded included, and from then on each new event of it joins the history.
/// </summary>
public sealed class LoadedEventTypesTests : IDisposable
{
    private const string Main = """
        tag logins_7d = count(login, within: 7d)
        tag orders_7d = count(order, within: 7d)
        channel push { cost: 0 }
        journey loyal { trigger: order  audience: orders_7d >= 3  steps { send push "loyal" } }
        journey active { trigger: cart_add  audience: logins_7d >= 2  steps { send push "active" } }
        journey big { trigger: cart_add where price > 100  steps { send push "big" } }
        """;

    private readonly LiveFixture _f = new(Main);
    public void Dispose() => _f.Dispose();

    private static string Event(string type, string user, int minute, string? id = null, int? price = null) =>
        $$"""{"type":"{{type}}","user_id":"{{user}}","ts":"2025-03-01T10:{{minute:00}}:00Z"{{(id is null ? "" : $",\"order_id\":\"{id}\"")}}"""
        + (price is null ? "}" : $",\"price\":{price}}}");

    private static void Ingest(LiveRuntime live, params string[] events) =>
        Assert.All(live.IngestEvents(LiveFixture.Json("[" + string.Join(",", events) + "]")), r => Assert.Equal(IngestResult.Accepted, r.Status));

    [Fact]
    public void A_history_loads_the_types_its_evaluations_read_and_a_type_loaded_later_has_every_event_of_it()
    {
        using (var live = _f.Open())
        {
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"a"},{"user_id":"b"}]"""));
            Ingest(live, Event("login", "a", 0), Event("login", "a", 1), Event("order", "a", 2, "o1"), Event("order", "a", 3, "o2"));
            // The orders' audience read orders: a's two orders are loaded, its logins are not.
            Assert.Equal(2, live.CacheSize.Events);

            // A cart's audience reads logins: the two stored before are loaded now, and the cart (a type nothing read) is not.
            Ingest(live, Event("cart_add", "a", 4));
            Assert.Equal(4, live.CacheSize.Events);
            // A third order joins the loaded orders and lets a into `loyal`.
            Ingest(live, Event("order", "a", 5, "o3"));
            Assert.Equal(5, live.CacheSize.Events);
            live.Deliver();
        }

        // Read back after a restart (an empty cache): every type, for the user's tags.
        using (var again = _f.Open())
        {
            Ingest(again, Event("login", "a", 6));
            var tags = again.Tags("a", new DateTime(2025, 3, 1, 11, 0, 0, DateTimeKind.Utc))!;
            Assert.Equal(3L, Convert.ToInt64(tags["logins_7d"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(3L, Convert.ToInt64(tags["orders_7d"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(7, again.CacheSize.Events);

            // A cart's `where:` reads the cart alone: b's carts, a type nothing loaded, run over one scratch history in turn.
            Ingest(again, Event("cart_add", "b", 7, price: 150), Event("cart_add", "b", 8, price: 5), Event("cart_add", "b", 9));
            Assert.Equal(7, again.CacheSize.Events);   // b's logins were read for `active` (none), its carts were not
            again.Deliver();
        }
        Assert.Equal(["active", "big", "loyal"],
            _f.OutboxLines().Select(l => l.Line.GetProperty("template").GetString()).Order(StringComparer.Ordinal));
    }
}
