namespace MarketingDsl.Journeys.Tests;

/// <summary>Schedule and segment triggers, and users reached by several journeys on one day.</summary>
public sealed class TriggerTests
{
    [Fact]
    public void Schedules_fire_in_the_workspace_zone_for_every_user()
    {
        // 2025-06-01 is a Sunday. Asia/Shanghai is UTC+8: 10:00 local = 02:00Z, Monday 09:00 local = Monday 01:00Z.
        var s = new JourneyScenario("""
            channel push { cost: 0 }
            journey d { trigger: every day at 10:00  steps { send push "d" } }
            journey m { trigger: every monday at 09:00  steps { send push "m" } }
            journey h { trigger: every 12h  steps { send push "h" } }
            """, settings: "settings { timezone: \"Asia/Shanghai\" }\n");
        s.Users("u1", "u2");
        var trace = s.Trace("2025-06-01T00:00:00Z", "2025-06-03T00:00:00Z").Where(l => l.Contains(" u1 ") && l.Contains("send")).ToList();
        Assert.Equal(
        [
            "2025-06-01 02:00 u1 d send push d delivered",
            "2025-06-01 12:00 u1 h send push h delivered",
            "2025-06-02 00:00 u1 h send push h delivered",
            "2025-06-02 01:00 u1 m send push m delivered",
            "2025-06-02 02:00 u1 d send push d delivered",
            "2025-06-02 12:00 u1 h send push h delivered",
            "2025-06-03 00:00 u1 h send push h delivered",
        ], trace);
        Assert.Equal(14, s.Actions.OfType<EnteredAction>().Count());
    }

    [Fact]
    public void Schedule_entry_respects_audience_and_reentry()
    {
        var s = new JourneyScenario("""
            journey d { trigger: every day at 10:00  audience: level >= 2  reentry: once per 2d  steps { wait 1h } }
            """);
        s.Profile("u1", level: 3).Profile("u2", level: 1);
        var stats = s.Replay("2025-06-01T00:00:00Z", "2025-06-05T00:00:00Z").Journeys.Single();
        // u1 enters 06-01 and 06-03 (06-02, 06-04 too soon); u2 never (audience) — 4 firings each.
        Assert.Equal((2, 2, 4), (stats.Entered, stats.Suppressed[SuppressionReason.Reentry], stats.Suppressed[SuppressionReason.Audience]));
    }

    [Fact]
    public void Enters_and_leaves_segment_fire_on_membership_changes_after_events_and_at_midnight()
    {
        var s = new JourneyScenario("""
            channel push { cost: 0 }
            segment buyer = count(order, within: 2d) >= 2
            journey e { trigger: enters segment buyer  steps { send push "welcome" } }
            journey l { trigger: leaves segment buyer  steps { send push "miss" } }
            """);
        s.Users("u1", "u2");
        s.Event("order", "u2", "2025-05-31T10:00:00Z").Event("order", "u2", "2025-05-31T20:00:00Z")  // a member when the run starts: no firing
         .Event("order", "u1", "2025-06-01T10:00:00Z").Event("order", "u1", "2025-06-01T12:00:00Z"); // enters after its second order
        Assert.Equal(
        [
            "2025-06-01 12:00 u1 e send push welcome delivered",
            "2025-06-03 00:00 u2 l send push miss delivered",   // (06-01 00:00, 06-03 00:00] holds no order
            "2025-06-04 00:00 u1 l send push miss delivered",
        ], s.Trace("2025-06-01T00:00:00Z", "2025-06-06T00:00:00Z").Where(l => l.Contains("send")));
    }

    [Fact]
    public void Users_reached_by_two_journeys_on_one_day_are_reported()
    {
        var s = new JourneyScenario("""
            channel push { cost: 0 }
            journey a { trigger: cart_add  steps { send push "a" } }
            journey b { trigger: login  holdout: 0%  steps { send push "b" } }
            """);
        s.Users("u1", "u2");
        s.Event("cart_add", "u1", "2025-06-01T09:00:00Z", 1m).Event("login", "u1", "2025-06-01T23:00:00Z", "ios")
         .Event("cart_add", "u2", "2025-06-01T09:00:00Z", 1m).Event("login", "u2", "2025-06-02T01:00:00Z", "ios");
        var stats = s.Replay("2025-06-01T00:00:00Z", "2025-06-05T00:00:00Z");
        var overlap = Assert.Single(stats.Overlaps);
        Assert.Equal(("u1", new DateOnly(2025, 6, 1)), (overlap.UserId, overlap.Day));
        Assert.Equal(["a", "b"], overlap.Journeys);
        Assert.Contains("\"user_days\": 1", stats.ToJson());
    }
}
