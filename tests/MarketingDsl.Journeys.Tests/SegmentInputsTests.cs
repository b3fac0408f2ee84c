using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys.Tests;

/// <summary>What a segment reads (SegmentInputs), transitively, and the first instant at which it can change by time alone.</summary>
public sealed class SegmentInputsTests
{
    private const string Main = """
        tag orders_2d = count(order, within: 2d)
        tag spend_7d = sum(order.amount, within: 7d)
        tag carts = count(cart_add)
        tag idle_days = days_since(last(login.ts))
        segment buyer = orders_2d >= 1
        segment big = buyer and spend_7d > 50 and level >= 2
        segment carter = carts >= 2
        segment idle = idle_days >= 2
        segment gold = level >= 3
        segment recent_view = exists(view, where: ts > now() - 1h)
        """;

    private static readonly JourneyScenario Scenario = new(Main);

    private static SegmentInputs Inputs(string name, JourneyScenario? scenario = null) =>
        SegmentInputs.Of((scenario ?? Scenario).Model.Segments.Single(s => s.Name == name));

    private static EventTypeSymbol Type(string name) => Scenario.Model.Schema.FindEvent(name)!;

    [Fact]
    public void Inputs_are_found_through_tags_and_segments_and_the_clock_is_recognised()
    {
        var big = Inputs("big");
        Assert.Equal(["order"], big.Events.Select(e => e.Name));
        Assert.True(big.ReadsProfile);
        Assert.False(big.ReadsClock);
        Assert.True(big.Reads(Type("order")));
        Assert.False(big.Reads(Type("login")));

        Assert.Equal(["cart_add"], Inputs("carter").Events.Select(e => e.Name));
        Assert.False(Inputs("carter").ReadsProfile);
        var gold = Inputs("gold");
        Assert.Empty(gold.Events);
        Assert.True(gold.ReadsProfile);
        // days_since and now() read the clock: such a segment may change at any instant, after any event.
        Assert.True(Inputs("idle").ReadsClock);
        Assert.True(Inputs("idle").Reads(Type("order")));
        Assert.True(Inputs("recent_view").ReadsClock);
    }

    [Fact]
    public void The_next_change_is_the_first_window_exit_or_late_event_entry()
    {
        var scenario = new JourneyScenario(Main).Profile("u1", level: 3)
            .Event("order", "u1", "2025-03-01T10:00:00Z").Event("order", "u1", "2025-03-02T08:00:00Z")
            .Event("order", "u1", "2025-03-09T12:00:00Z").Event("cart_add", "u1", "2025-03-01T11:00:00Z", 5m);
        scenario.Replay("2025-03-01T00:00:00Z", "2025-03-01T00:00:00Z");
        var data = scenario.Data!;
        SegmentInputs Inputs(string name) => SegmentInputsTests.Inputs(name, scenario);
        static long T(string s) => JourneyScenario.Instant(s).Ticks;
        var at = T("2025-03-03T00:00:00Z");
        // buyer (2d window over orders): the order of 03-01 10:00 leaves the window at 03-03 10:00.
        Assert.Equal(T("2025-03-03T10:00:00Z"), Inputs("buyer").NextChange(data, 0, at));
        Assert.Equal(T("2025-03-04T08:00:00Z"), Inputs("buyer").NextChange(data, 0, T("2025-03-03T10:00:00Z")));
        // big also reads a 7-day window: once the 2-day one is empty, the order of 03-01 10:00 leaves it at 03-08 10:00.
        Assert.Equal(T("2025-03-03T10:00:00Z"), Inputs("big").NextChange(data, 0, at));
        Assert.Equal(T("2025-03-08T10:00:00Z"), Inputs("big").NextChange(data, 0, T("2025-03-05T00:00:00Z")));
        // After every window has emptied, the order stored for 03-09 (stored before the clock got there) enters at its ts.
        Assert.Equal(T("2025-03-09T12:00:00Z"), Inputs("buyer").NextChange(data, 0, T("2025-03-08T11:00:00Z")));
        // A count without a window and a profile-only segment never change by time alone.
        Assert.Equal(long.MaxValue, Inputs("carter").NextChange(data, 0, at));
        Assert.Equal(long.MaxValue, Inputs("gold").NextChange(data, 0, at));
        Assert.Equal(at + 1, Inputs("idle").NextChange(data, 0, at));
    }
}
