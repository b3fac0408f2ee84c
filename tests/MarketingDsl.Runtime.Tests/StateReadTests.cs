namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// An event reads a user's journey states only for the journeys it can change: those whose goal or `wait … until` is for its
/// type, and those it triggers. Most events (views, a cart that matches no trigger's `where:`) of a user the cache let go
/// read no state from the store.
/// </summary>
public sealed class StateReadTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    private static readonly DateTime Start = new(2025, 3, 1, 9, 0, 0, DateTimeKind.Utc);

    private static string Event(string type, string fields, int minute) =>
        $$"""[{"type":"{{type}}","user_id":"u1",{{fields}}"ts":"{{LiveFixture.Ts(Start.AddMinutes(minute))}}"}]""";

    [Fact]
    public void An_event_no_state_waits_for_and_that_triggers_nothing_reads_no_state()
    {
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1","level":1}]"""));
        // `cart` enters u1 and waits an hour for an order (its goal too).
        Assert.Equal(IngestResult.Accepted, live.IngestEvents(LiveFixture.Json(Event("cart_add", "\"price\":150,", 0)))[0].Status);

        live.DropUserCache();
        var before = live.StateReads;
        // A cart of 50 matches neither `late` (price < 10) nor `cart` (price > 100); no state waits for carts.
        Assert.Equal(IngestResult.Accepted, live.IngestEvents(LiveFixture.Json(Event("cart_add", "\"price\":50,", 10)))[0].Status);
        Assert.Equal(before, live.StateReads);

        // An order: `cart`'s wait and goal are for it, so u1's states are read, and the order ends the wait.
        Assert.Equal(IngestResult.Accepted, live.IngestEvents(LiveFixture.Json(Event("order", "\"order_id\":\"o1\",\"amount\":20,", 20)))[0].Status);
        Assert.Equal(before + 1, live.StateReads);
        var state = live.Store.AllStates().Single(s => s.Journey == "cart" && s.User == "u1").State;
        Assert.False(state.Active);   // converted: the goal's order came within 2 days
    }
}
