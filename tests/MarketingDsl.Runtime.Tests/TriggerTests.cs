using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys;
using MarketingDsl.Journeys.Replay;

namespace MarketingDsl.Runtime.Tests;

/// <summary>Schedule and `enters`/`leaves segment` triggers live, compared with replay on the same history.</summary>
public sealed class TriggerTests : IDisposable
{
    public const string Main = """
        tag orders_1d = count(order, within: 1d)
        tag orders_30d = count(order, within: 30d)
        segment active_buyer = orders_1d >= 1

        channel push { cost: 0.001 }
        channel sms { cost: 0.05  cap: 1 per 1d }

        journey daily { trigger: every day at 10:00  audience: orders_30d >= 1  steps { send push "daily_pick" } }
        journey six_hourly {
          trigger: every 6h
          audience: orders_30d >= 2
          reentry: once per 1d
          steps { wait 1h until login  send sms "six_hourly" }
        }
        journey welcome_buyer {
          trigger: enters segment active_buyer
          goal: login within 1d
          steps { send sms "thanks"  wait 2h  send push "more_for_you" }
        }
        journey lapsed { trigger: leaves segment active_buyer  steps { send push "come_back" } }
        """;

    private readonly LiveFixture _f = new(Main);
    public void Dispose() => _f.Dispose();

    private static DateTime At(int day, int hour, int minute = 0) => new DateTime(2025, 3, 1, hour, minute, 0, DateTimeKind.Utc).AddDays(day - 1);

    /// <summary>
    /// §15.7: live = replay for schedules (daily, every 6h) and segment changes, including a
    /// membership that ends by time alone (its 1-day window expires; both notice at the next 00:00).
    /// Live runs with restarts, and its last timers fire by wall clock at the end of the window.
    /// </summary>
    [Fact]
    public void Live_sends_equal_replay_sends_for_schedule_and_segment_triggers()
    {
        var model = _f.Compilation.Model;
        var events = new List<(string Type, string User, DateTime Ts, string? Id)>
        {
            ("order", "u1", At(1, 9), "o1"), ("login", "u2", At(1, 9, 30), null), ("order", "u2", At(1, 11), "o2"),
            ("order", "u1", At(1, 16), "o3"), ("login", "u1", At(1, 16, 30), null), ("order", "u3", At(2, 8), "o4"),
            ("login", "u3", At(2, 9), null), ("order", "u2", At(3, 12), "o5"), ("login", "u2", At(3, 12, 40), null),
            ("order", "u3", At(4, 7), "o6"), ("login", "u1", At(4, 18), null), ("order", "u1", At(5, 23), "o7"),
        };
        var users = new[] { "u1", "u2", "u3", "u4" };
        var from = At(1, 0);
        var to = At(7, 0);
        var data = InMemoryData.Build(model.Schema, users.Select(u => new object?[] { u, null, null }),
            events.Select(e => (model.Schema.FindEvent(e.Type)!, e.Type == "order" ? new object?[] { e.User, e.Ts, e.Id, 1m, null }
                : [e.User, e.Ts, null])));
        var replay = new List<string>();
        JourneyReplay.Run(model, data, from, to, a =>
        {
            if (a is SendAction { Outcome: SendOutcome.Delivered } s) replay.Add(Line(s.Send.Channel.Name, s.Send.Template, s.At, s.User.Id));
        });

        _f.WallClock.Now = new DateTimeOffset(from);   // the live runtime starts where replay starts
        for (var i = 0; i < events.Count; i += 4)
        {
            using var live = _f.Open();
            if (i == 0) live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"},{"user_id":"u3"},{"user_id":"u4"}]"""));
            foreach (var e in events.Skip(i).Take(4))
            {
                var fields = e.Type == "order" ? $",\"order_id\":\"{e.Id}\",\"amount\":1" : "";
                var r = live.IngestEvents(
                    LiveFixture.Json($$"""[{"type":"{{e.Type}}","user_id":"{{e.User}}","ts":"{{LiveFixture.Ts(e.Ts)}}"{{fields}}}]"""));
                Assert.Equal("accepted", r[0].Status);
            }
        }
        using (var live = _f.Open())
        {
            _f.WallClock.Now = new DateTimeOffset(to);
            live.FireDueTimers();
        }
        var liveSends = _f.OutboxLines().Select(l => Line(l.Channel, l.Line.GetProperty("template").GetString()!,
            DateTime.Parse(l.Line.GetProperty("at").GetString()!, null, System.Globalization.DateTimeStyles.AdjustToUniversal).Ticks,
                l.Line.GetProperty("user_id").GetString()!));
        Assert.Equal(replay.Order(StringComparer.Ordinal), liveSends.Order(StringComparer.Ordinal));

        // Every trigger kind did something, and the segment's expiry by time alone fired `lapsed` at a midnight.
        Assert.Contains(Line("push", "daily_pick", At(1, 10).Ticks, "u1"), replay);
        Assert.Contains(replay, s => s.StartsWith("sms six_hourly", StringComparison.Ordinal));
        Assert.Contains(Line("sms", "thanks", At(1, 9).Ticks, "u1"), replay);
        Assert.Contains(Line("push", "more_for_you", At(1, 11).Ticks, "u1"), replay);
        Assert.Contains(replay, s => s.StartsWith("push come_back", StringComparison.Ordinal) && s.Contains("T00:00:00Z", StringComparison.Ordinal));
        Assert.DoesNotContain(replay, s => s.EndsWith(" u4", StringComparison.Ordinal));   // no orders: never in the audience
    }

    [Fact]
    public void Schedule_and_segment_timers_survive_a_restart_and_fire_by_wall_clock()
    {
        _f.WallClock.Now = new DateTimeOffset(At(1, 0));
        using (var live = _f.Open())
        {
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"}]"""));
            live.IngestEvents(LiveFixture.Json($$"""[{"type":"order","user_id":"u1","ts":"{{LiveFixture.Ts(At(1, 9))}}","order_id":"o1"}]"""));
            Assert.Equal(LiveStore.ScheduleTimer, live.Store.AllTimers().First(t => t.Journey == "daily").Kind);
            Assert.Contains(live.Store.AllTimers(), t => t.Kind == LiveStore.SegmentCheckTimer && t.Due == At(2, 0).Ticks);
        }
        using (var live = _f.Open())
        {
            _f.WallClock.Now = new DateTimeOffset(At(3, 0, 1));
            live.FireDueTimers();
            Assert.False(live.Store.Membership("active_buyer", "u1"));
        }
        var sends = _f.OutboxLines().Select(l =>
            $"{l.Line.GetProperty("at").GetString()} {l.Line.GetProperty("template").GetString()}").Order(StringComparer.Ordinal);
        // The order's 1-day window ends at 03-02 09:00; the 00:00 check of 03-03 sees it (as replay would).
        Assert.Equal(["2025-03-01T09:00:00Z thanks", "2025-03-01T10:00:00Z daily_pick", "2025-03-01T11:00:00Z more_for_you",
            "2025-03-02T10:00:00Z daily_pick", "2025-03-03T00:00:00Z come_back"], sends);
    }

    [Fact]
    public void A_reload_rearms_a_changed_schedule_and_tracks_a_new_segment_from_then_on_without_firing()
    {
        _f.WallClock.Now = new DateTimeOffset(At(1, 0));
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"}]"""));
        live.IngestEvents(LiveFixture.Json($$"""[{"type":"order","user_id":"u1","ts":"{{LiveFixture.Ts(At(1, 9))}}","order_id":"o1"}]"""));
        Assert.Equal(At(1, 10).Ticks, live.Store.AllTimers().Single(t => t.Journey == "daily").Due);

        // v2: the daily schedule moves to 12:00; a new journey triggers on a new segment (u1 is already in it: no firing).
        File.WriteAllText(Path.Combine(_f.Workspace, "main.mdsl"), Main.Replace("every day at 10:00", "every day at 12:00") + """

            segment ordered = orders_30d >= 1
            segment repeat_buyer = orders_30d >= 2
            journey ordered_once { trigger: enters segment ordered  steps { send push "ordered" } }
            journey repeat { trigger: enters segment repeat_buyer  steps { send push "repeat_thanks" } }
            """);
        live.Reload(RuntimeApp.CompileWorkspace(_f.Workspace).Model);
        Assert.Equal(At(1, 12).Ticks, live.Store.AllTimers().Single(t => t.Journey == "daily").Due);
        Assert.True(live.Store.Membership("ordered", "u1"));
        Assert.False(live.Store.Membership("repeat_buyer", "u1"));
        Assert.False(live.Store.Membership("repeat_buyer", "u2"));

        live.IngestEvents(LiveFixture.Json($$"""[{"type":"order","user_id":"u1","ts":"{{LiveFixture.Ts(At(1, 13))}}","order_id":"o2"}]"""));
        var sends = _f.OutboxLines().Select(l =>
            $"{l.Line.GetProperty("at").GetString()} {l.Line.GetProperty("template").GetString()}").Order(StringComparer.Ordinal);
        // welcome_buyer's wait went on across the reload (same step).
        Assert.Equal(["2025-03-01T09:00:00Z thanks", "2025-03-01T11:00:00Z more_for_you", "2025-03-01T12:00:00Z daily_pick",
            "2025-03-01T13:00:00Z repeat_thanks"], sends);

        // v3: no segment trigger left: tracking and the 00:00 check stop.
        File.WriteAllText(Path.Combine(_f.Workspace, "main.mdsl"), Main[..Main.IndexOf("journey welcome_buyer", StringComparison.Ordinal)]);
        live.Reload(RuntimeApp.CompileWorkspace(_f.Workspace).Model);
        Assert.Empty(live.Store.Armed());
        Assert.DoesNotContain(live.Store.AllTimers(), t => t.Kind == LiveStore.SegmentCheckTimer);
        Assert.Null(live.Store.Membership("active_buyer", "u1"));
    }

    private static string Line(string channel, string template, long at, string user) =>
        $"{channel} {template} {LiveFixture.Ts(new DateTime(at, DateTimeKind.Utc))} {user}";
}
