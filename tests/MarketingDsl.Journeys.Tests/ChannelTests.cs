namespace MarketingDsl.Journeys.Tests;

/// <summary>Caps across journeys, quiet hours (deferral, cap re-check, the user's zone), holdout.</summary>
public sealed class ChannelTests
{
    private const string From = "2025-06-01T00:00:00Z";
    private const string To = "2025-06-10T00:00:00Z";

    [Fact]
    public void Cap_counts_delivered_sends_from_every_journey_in_the_window()
    {
        var s = new JourneyScenario("""
            channel sms { cost: 0.05  cap: 1 per 1d }
            journey a { trigger: cart_add  steps { send sms "a" } }
            journey b { trigger: login  steps { send sms "b" } }
            """);
        s.Users("u1");
        s.Event("cart_add", "u1", "2025-06-01T10:00:00Z", 1m)
         .Event("login", "u1", "2025-06-01T20:00:00Z", "ios")
         .Event("login", "u1", "2025-06-02T10:00:00Z", "ios")     // (t − 1d, t] no longer holds 06-01 10:00
         .Event("login", "u1", "2025-06-02T10:01:00Z", "ios");    // but holds 06-02 10:00
        Assert.Equal(
        [
            "2025-06-01 10:00 u1 a send sms a delivered",
            "2025-06-01 20:00 u1 b send sms b capped",
            "2025-06-02 10:00 u1 b send sms b delivered",
            "2025-06-02 10:01 u1 b send sms b capped",
        ], s.Trace(From, To).Where(l => l.Contains("send")));
        var stats = s.Replay(From, To);
        Assert.Equal(0.05m, stats.Journeys.Single(j => j.Journey.Name == "b").Cost);
        Assert.Equal([0, 0, 1, 0], stats.Journeys.Single(j => j.Journey.Name == "b").Sends[("sms", new DateOnly(2025, 6, 1))]);
    }

    [Fact]
    public void Quiet_hours_defer_to_the_end_of_the_window_in_the_users_zone_and_recheck_the_cap()
    {
        // No settings: quiet hours are in Asia/Shanghai (UTC+8) unless the profile says otherwise.
        // 22:00-08:00 local = 14:00Z-00:00Z.
        var s = new JourneyScenario("""
            channel sms { cost: 0.05  cap: 1 per 1d  quiet: 22:00-08:00 }
            journey a { trigger: cart_add  steps { send sms "a" } }
            journey b { trigger: login  steps { send sms "b" } }
            """);
        s.Profile("u1").Profile("u2").Profile("u3", timezone: "UTC").Profile("u4", timezone: "Not/AZone").Profile("u5");
        s.Event("cart_add", "u1", "2025-06-01T15:00:00Z", 1m)          // 23:00 local: deferred, then delivered
         .Event("cart_add", "u2", "2025-06-01T15:00:00Z", 1m)          // both deferred; the second is capped when it goes
         .Event("login", "u2", "2025-06-01T16:00:00Z", "ios")
         .Event("cart_add", "u3", "2025-06-01T15:00:00Z", 1m)          // 15:00 in UTC: not quiet
         .Event("cart_add", "u4", "2025-06-01T15:00:00Z", 1m)          // unknown zone: the default
         .Event("cart_add", "u5", "2025-06-02T00:00:00Z", 1m)          // 08:00 local: the end is exclusive
         .Event("login", "u5", "2025-06-03T14:00:00Z", "ios");         // 22:00 local: inside; the cap window no longer holds 06-02 00:00
        Assert.Equal(
        [
            "2025-06-01 15:00 u1 a send sms a deferred until 2025-06-02 00:00",
            "2025-06-01 15:00 u2 a send sms a deferred until 2025-06-02 00:00",
            "2025-06-01 15:00 u3 a send sms a delivered",
            "2025-06-01 15:00 u4 a send sms a deferred until 2025-06-02 00:00",
            "2025-06-01 16:00 u2 b send sms b deferred until 2025-06-02 00:00",
            "2025-06-02 00:00 u5 a send sms a delivered",
            "2025-06-02 00:00 u1 a send sms a delivered",
            "2025-06-02 00:00 u2 a send sms a delivered",
            "2025-06-02 00:00 u4 a send sms a delivered",
            "2025-06-02 00:00 u2 b send sms b capped",
            "2025-06-03 14:00 u5 b send sms b deferred until 2025-06-04 00:00",
            "2025-06-04 00:00 u5 b send sms b delivered",
        ], s.Trace(From, To).Where(l => l.Contains("send")));
        // Per day [delivered, deferred, capped, held out]: a deferred send counts as deferred on its
        // day and again as delivered or capped on the day it goes.
        var stats = s.Replay(From, To);
        var a = stats.Journeys.Single(j => j.Journey.Name == "a").Sends;
        var b = stats.Journeys.Single(j => j.Journey.Name == "b").Sends;
        Assert.Equal([1, 3, 0, 0], a[("sms", new DateOnly(2025, 6, 1))]);
        Assert.Equal([4, 0, 0, 0], a[("sms", new DateOnly(2025, 6, 2))]);
        Assert.Equal([0, 1, 0, 0], b[("sms", new DateOnly(2025, 6, 1))]);
        Assert.Equal([0, 0, 1, 0], b[("sms", new DateOnly(2025, 6, 2))]);
        Assert.Equal([1, 1, 0, 0], b[("sms", new DateOnly(2025, 6, 4))].Zip(b[("sms", new DateOnly(2025, 6, 3))], (x, y) => x + y));
    }

    [Fact]
    public void Workspace_zone_is_used_for_quiet_hours_when_declared()
    {
        var s = new JourneyScenario("""
            channel sms { cost: 0.05  quiet: 22:00-08:00 }
            journey a { trigger: cart_add  steps { send sms "a" } }
            """, settings: "settings { timezone: \"UTC\" }\n");
        s.Users("u1");
        s.Event("cart_add", "u1", "2025-06-01T15:00:00Z", 1m).Event("cart_add", "u1", "2025-06-01T23:00:00Z", 1m);
        Assert.Equal(
        [
            "2025-06-01 15:00 u1 a send sms a delivered",
            "2025-06-01 23:00 u1 a send sms a deferred until 2025-06-02 08:00",
            "2025-06-02 08:00 u1 a send sms a delivered",
        ], s.Trace(From, To).Where(l => l.Contains("send")));
    }

    [Fact]
    public void Held_out_users_walk_the_steps_get_no_sends_and_are_tracked()
    {
        var s = new JourneyScenario("""
            channel sms { cost: 1  cap: 1 per 1d }
            journey h { trigger: cart_add  holdout: 50%  goal: order within 1d  steps { send sms "x"  wait 1h  send sms "y" } }
            """);
        var users = Enumerable.Range(1, 40).Select(i => $"u{i}").ToArray();
        s.Users(users);
        foreach (var u in users) s.Event("cart_add", u, "2025-06-01T10:00:00Z", 1m).Event("order", u, "2025-06-01T12:00:00Z");
        var stats = s.Replay(From, To).Journeys.Single();
        var heldOut = users.Where(u => Hashing.Bucket(u, "h", "") < 0.5m).ToHashSet();
        Assert.InRange(heldOut.Count, 5, 35);
        Assert.Equal((40, heldOut.Count), (stats.Entered, stats.EnteredHeldOut));
        Assert.Equal((40 - heldOut.Count, heldOut.Count), (stats.ConvertedTreated, stats.ConvertedHeldOut));
        foreach (var send in s.Actions.OfType<SendAction>())
            Assert.Equal(heldOut.Contains(send.User.Id) ? SendOutcome.HeldOut : send.Send.Template == "x" ? SendOutcome.Delivered
                : SendOutcome.Capped, send.Outcome);
        Assert.Equal(40 - heldOut.Count, stats.Cost); // only "x" to treated users; "y" is capped
        Assert.All(s.Actions.OfType<EnteredAction>(), e => Assert.Equal(heldOut.Contains(e.User.Id), e.HeldOut));
    }
}
