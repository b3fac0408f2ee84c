namespace MarketingDsl.Journeys.Tests;

/// <summary>Each step kind, waits, goals and re-entry on small hand-made histories (exact traces).</summary>
public sealed class StepTests
{
    private const string From = "2025-06-01T00:00:00Z";
    private const string To = "2025-06-10T00:00:00Z";

    [Fact]
    public void Send_wait_if_elseif_else_and_exit_run_in_order()
    {
        var s = new JourneyScenario("""
            channel sms { cost: 0.05 }
            channel push { cost: 0.001 }
            journey j {
              trigger: cart_add
              steps {
                send push "a"
                wait 1h
                if level >= 3 { send sms "vip" } else if level >= 1 { send sms "mid" } else { send push "low" }
                exit
              }
            }
            """);
        s.Profile("u1", level: 5).Profile("u2", level: 1).Profile("u3");
        s.Event("cart_add", "u1", "2025-06-01T10:00:00Z", 10m).Event("cart_add", "u2", "2025-06-01T10:10:00Z", 10m).Event("cart_add", "u3",
            "2025-06-01T10:20:00Z", 10m);
        Assert.Equal(
        [
            "2025-06-01 10:00 u1 j entered",
            "2025-06-01 10:00 u1 j send push a delivered",
            "2025-06-01 10:10 u2 j entered",
            "2025-06-01 10:10 u2 j send push a delivered",
            "2025-06-01 10:20 u3 j entered",
            "2025-06-01 10:20 u3 j send push a delivered",
            "2025-06-01 11:00 u1 j send sms vip delivered",
            "2025-06-01 11:00 u1 j exit",
            "2025-06-01 11:10 u2 j send sms mid delivered",
            "2025-06-01 11:10 u2 j exit",
            "2025-06-01 11:20 u3 j send push low delivered",
            "2025-06-01 11:20 u3 j exit",
        ], s.Trace(From, To));
    }

    [Fact]
    public void Wait_until_resumes_early_at_the_first_matching_event_else_at_the_timeout()
    {
        var s = new JourneyScenario("""
            channel push { cost: 0 }
            journey j {
              trigger: cart_add
              steps {
                wait 1d until login where platform == "ios"
                send push "after"
              }
            }
            """);
        s.Users("u1", "u2", "u3", "u4");
        foreach (var u in new[] { "u1", "u2", "u3", "u4" }) s.Event("cart_add", u, "2025-06-01T10:00:00Z", 1m);
        s.Event("login", "u1", "2025-06-01T12:00:00Z", "android")   // does not match where:
         .Event("login", "u1", "2025-06-01T15:00:00Z", "ios")       // resumes u1
         .Event("login", "u3", "2025-06-02T10:00:00Z", "ios")       // exactly at start + D: still inside
         .Event("login", "u4", "2025-06-02T10:01:00Z", "ios");      // after the wait: too late
        var trace = s.Trace(From, To).Where(l => l.Contains("send")).ToList();
        Assert.Equal(
        [
            "2025-06-01 15:00 u1 j send push after delivered",
            "2025-06-02 10:00 u3 j send push after delivered",   // its event: events go before timers at one instant
            "2025-06-02 10:00 u2 j send push after delivered",
            "2025-06-02 10:00 u4 j send push after delivered",
        ], trace);
        Assert.Equal(4, s.Actions.OfType<ExitedAction>().Count(a => a.Reason == ExitReason.EndOfSteps));
    }

    [Fact]
    public void Goal_converts_at_any_step_within_the_window_and_not_after_it()
    {
        var s = new JourneyScenario("""
            channel push { cost: 0 }
            journey g {
              trigger: cart_add
              goal: order within 2d
              steps {
                send push "a"
                wait 1d
                send push "b"
                wait 3d
                send push "c"
              }
            }
            """);
        s.Users("u1", "u2", "u3");
        foreach (var u in new[] { "u1", "u2", "u3" }) s.Event("cart_add", u, "2025-06-01T10:00:00Z", 1m);
        s.Event("order", "u1", "2025-06-01T20:00:00Z")   // during the first wait
         .Event("order", "u2", "2025-06-03T10:00:00Z")   // exactly entry + 2d: inside
         .Event("order", "u3", "2025-06-03T10:01:00Z");  // after the window: not converted
        var trace = s.Trace(From, To);
        Assert.Equal(
        [
            "2025-06-01 10:00 u1 g entered", "2025-06-01 10:00 u1 g send push a delivered",
            "2025-06-01 10:00 u2 g entered", "2025-06-01 10:00 u2 g send push a delivered",
            "2025-06-01 10:00 u3 g entered", "2025-06-01 10:00 u3 g send push a delivered",
            "2025-06-01 20:00 u1 g converted",
            "2025-06-02 10:00 u2 g send push b delivered",
            "2025-06-02 10:00 u3 g send push b delivered",
            "2025-06-03 10:00 u2 g converted",
            "2025-06-05 10:00 u3 g send push c delivered",
            "2025-06-05 10:00 u3 g done",
        ], trace);
        var stats = s.Replay(From, To).Journeys.Single();
        Assert.Equal((3, 2, 0.6667m), (stats.Entered, stats.ConvertedTreated, stats.GoalRateTreated!.Value));
    }

    [Fact]
    public void Goal_is_still_watched_after_the_end_of_the_steps_but_not_after_exit()
    {
        var s = new JourneyScenario("""
            channel push { cost: 0 }
            journey done_early { trigger: cart_add  goal: order within 3d  steps { send push "a" } }
            journey exits { trigger: cart_add  goal: order within 3d  steps { send push "a"  exit } }
            """);
        s.Users("u1");
        s.Event("cart_add", "u1", "2025-06-01T10:00:00Z", 1m).Event("order", "u1", "2025-06-02T10:00:00Z");
        var stats = s.Replay(From, To);
        Assert.Equal(1, stats.Journeys.Single(j => j.Journey.Name == "done_early").ConvertedTreated);
        Assert.Equal(0, stats.Journeys.Single(j => j.Journey.Name == "exits").ConvertedTreated);
    }

    [Fact]
    public void Wait_until_the_goal_event_is_the_conversion_exit()
    {
        var s = new JourneyScenario("""
            channel push { cost: 0 }
            journey c { trigger: cart_add  goal: order within 2d  steps { wait 30m until order  send push "reminder" } }
            """);
        s.Users("u1", "u2");
        s.Event("cart_add", "u1", "2025-06-01T10:00:00Z", 1m).Event("order", "u1", "2025-06-01T10:20:00Z")
         .Event("cart_add", "u2", "2025-06-01T10:00:00Z", 1m);
        Assert.Equal(
        [
            "2025-06-01 10:00 u1 c entered",
            "2025-06-01 10:00 u2 c entered",
            "2025-06-01 10:20 u1 c converted",
            "2025-06-01 10:30 u2 c send push reminder delivered",
            "2025-06-01 10:30 u2 c done",
        ], s.Trace(From, To));
    }

    [Fact]
    public void Reentry_always_once_and_once_per_window()
    {
        var s = new JourneyScenario("""
            journey a { trigger: login  reentry: always  steps { wait 1h } }
            journey o { trigger: login  reentry: once  steps { wait 1h } }
            journey p { trigger: login  reentry: once per 1d  steps { wait 1h } }
            """);
        s.Users("u1");
        foreach (var ts in new[] { "2025-06-01T10:00:00Z", "2025-06-01T10:30:00Z", "2025-06-01T12:00:00Z", "2025-06-02T10:00:00Z" })
            s.Event("login", "u1", ts, "ios");
        var stats = s.Replay(From, To);
        string Row(string name)
        {
            var j = stats.Journeys.Single(x => x.Journey.Name == name);
            return $"{j.Entered} {j.Suppressed[SuppressionReason.AlreadyIn]} {j.Suppressed[SuppressionReason.Reentry]} " +
                   $"{j.Suppressed[SuppressionReason.Audience]}";
        }
        Assert.Equal("3 1 0 0", Row("a"));
        Assert.Equal("1 1 2 0", Row("o"));
        Assert.Equal("2 1 1 0", Row("p")); // 06-02 10:00 is exactly 1d after the entry: allowed
    }

    [Fact]
    public void Audience_is_evaluated_as_of_the_trigger_and_sees_the_trigger_event()
    {
        var s = new JourneyScenario("""
            journey r { trigger: order  audience: count(order) >= 2  steps { wait 1h } }
            """);
        s.Users("u1");
        s.Event("order", "u1", "2025-06-01T10:00:00Z").Event("order", "u1", "2025-06-01T11:00:00Z");
        Assert.Equal(["2025-06-01 10:00 u1 r suppressed audience", "2025-06-01 11:00 u1 r entered", "2025-06-01 12:00 u1 r done"], s.Trace(From, To));
    }

    [Fact]
    public void Trigger_where_filters_events()
    {
        var s = new JourneyScenario("""
            journey big { trigger: cart_add where price > 100  steps { wait 1h } }
            """);
        s.Users("u1");
        s.Event("cart_add", "u1", "2025-06-01T10:00:00Z", 50m).Event("cart_add", "u1", "2025-06-01T12:00:00Z", 150m);
        Assert.Equal(["2025-06-01 12:00 u1 big entered", "2025-06-01 13:00 u1 big done"], s.Trace(From, To));
    }

    [Fact]
    public void Only_events_inside_the_window_drive_the_replay()
    {
        var s = new JourneyScenario("""
            journey j { trigger: login  steps { wait 1h } }
            """);
        s.Users("u1");
        s.Event("login", "u1", "2025-06-01T00:00:00Z", "ios")    // ts == from: outside (from < ts)
         .Event("login", "u1", "2025-06-10T00:00:00Z", "ios");   // ts == to: inside, its wait ends after `to`
        Assert.Equal(["2025-06-10 00:00 u1 j entered"], s.Trace(From, To));
    }
}
