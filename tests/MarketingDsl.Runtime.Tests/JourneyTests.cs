using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Journeys;
using MarketingDsl.Journeys.Replay;

namespace MarketingDsl.Runtime.Tests;

public sealed class JourneyTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    [Fact]
    public void An_event_triggered_journey_without_wait_sends_through_the_file_adapter()
    {
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"}]"""));
        live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z","id":"L1"}]"""));
        var (channel, line) = Assert.Single(_f.OutboxLines());
        Assert.Equal("push", channel);
        Assert.Equal("hello", line.GetProperty("template").GetString());
        Assert.Equal("u1", line.GetProperty("user_id").GetString());
        Assert.Equal("welcome|u1|2025-03-01T10:00:00Z|0", line.GetProperty("key").GetString());
        Assert.Equal("2025-03-01T10:00:00Z", line.GetProperty("at").GetString());
    }

    /// <summary>
    /// A cached user's stored state is written over in place at each transition (no new object per change). Through
    /// enter, a wait inside a split's branch, a wait after it (a shorter position), the end and a second entry (no
    /// branch chosen yet), each stored state is the one the live state gives, and the same as stored by runtimes
    /// restarted between the steps.
    /// </summary>
    [Fact]
    public void States_written_over_in_place_follow_the_live_state()
    {
        const string main = """
            channel push { cost: 0.001 }
            channel sms { cost: 0.05 }
            journey cart {
              trigger: cart_add
              steps {
                wait 1h
                split "copy" {
                  50%: { wait 1h  send sms "a" }
                  50%: { wait 1h  send push "b" }
                }
                wait 1d
                send push "followup"
              }
            }
            """;
        string[] steps =
        [
            """[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200,"id":"c1"}]""",
            """[{"type":"login","user_id":"u1","ts":"2025-03-01T11:30:00Z","id":"L1"}]""",
            """[{"type":"login","user_id":"u1","ts":"2025-03-01T13:00:00Z","id":"L2"}]""",
            """[{"type":"login","user_id":"u1","ts":"2025-03-02T13:00:00Z","id":"L3"}]""",
            """[{"type":"cart_add","user_id":"u1","ts":"2025-03-03T10:00:00Z","price":300,"id":"c2"}]""",
        ];
        List<StoredJourneyState> Run(LiveFixture f, bool restart)
        {
            var states = new List<StoredJourneyState>();
            var live = f.Open();
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"}]"""));
            foreach (var step in steps)
            {
                if (restart)
                {
                    live.Dispose();
                    live = f.Open();
                }
                live.IngestEvents(LiveFixture.Json(step));
                states.Add(live.Store.State("cart", "u1")!);
            }
            live.Dispose();
            return states;
        }
        using var once = new LiveFixture(main);
        using var restarted = new LiveFixture(main);
        var inPlace = Run(once, restart: false);
        Assert.Equal([1, 2, 1, 0, 1], inPlace.Select(s => s.Position.Count));
        Assert.Equal([0, 1, 1, 1, 0], inPlace.Select(s => s.Branches.Count));
        Assert.Equal([true, true, true, false, true], inPlace.Select(s => s.Active));
        Assert.Equal([1, 1, 1, 1, 2], inPlace.Select(s => s.Entries));
        static string Text(StoredJourneyState s) => System.Text.Json.JsonSerializer.Serialize(s);
        Assert.Equal(Run(restarted, restart: true).Select(Text), inPlace.Select(Text));
    }

    [Fact]
    public void A_wait_survives_a_restart_and_later_events_move_the_clock()
    {
        using (var live = _f.Open())
        {
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"}]"""));
            live.IngestEvents(LiveFixture.Json("""[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200,"id":"c1"}]"""));
            Assert.Equal(1, live.Store.TimerCount());
            Assert.Empty(_f.OutboxLines());
        }
        using (var live = _f.Open())
        {
            Assert.Equal(1, live.Store.TimerCount());
            // An event after the wait's end: the wait times out first (at 11:00), then the event is handled.
            live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-01T12:00:00Z","id":"L1"}]"""));
            Assert.Equal(["sms reminder 2025-03-01T11:00:00Z", "push hello 2025-03-01T12:00:00Z"], Sends());
            Assert.Equal(1, live.Store.TimerCount());   // the 1d wait
        }
        using (var live = _f.Open())
        {
            live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-02T12:00:00Z","id":"L2"}]"""));
            Assert.Equal(0, live.Store.TimerCount());
            Assert.False(live.Store.State("cart", "u1")!.Active);
        }
        Assert.Equal(["sms reminder 2025-03-01T11:00:00Z", "push hello 2025-03-01T12:00:00Z",
            "push followup 2025-03-02T11:00:00Z", "push hello 2025-03-02T12:00:00Z"], Sends());
        AssertUniqueKeys();
    }

    [Fact]
    public void The_wall_clock_fires_due_timers_and_a_goal_converts()
    {
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"}]"""));
        live.IngestEvents(LiveFixture.Json("""
            [{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200},
             {"type":"cart_add","user_id":"u2","ts":"2025-03-01T10:00:00Z","price":200},
             {"type":"order","user_id":"u2","ts":"2025-03-01T10:30:00Z","order_id":"o1","amount":5}]
            """));
        _f.WallClock.Now = new DateTimeOffset(2025, 3, 1, 10, 59, 0, TimeSpan.Zero);
        Assert.Equal(0, live.FireDueTimers());
        _f.WallClock.Now = new DateTimeOffset(2025, 3, 1, 11, 0, 0, TimeSpan.Zero);
        Assert.Equal(2, live.FireDueTimers());   // both waits are due; u2 converted at 10:30, so its timer is stale (token) and sends nothing
        Assert.Equal(["sms reminder 2025-03-01T11:00:00Z"], Sends());
        Assert.False(live.Store.State("cart", "u2")!.Active);
    }

    [Fact]
    public void A_send_in_quiet_hours_is_deferred_across_a_restart_and_goes_once()
    {
        using (var live = _f.Open())
        {
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"}]"""));
            // 15:00Z is 23:00 in Asia/Shanghai (the default quiet-hours zone): deferred to 08:00 local = 00:00Z.
            live.IngestEvents(LiveFixture.Json("""[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T15:00:00Z","price":1}]"""));
            Assert.Empty(_f.OutboxLines());
        }
        using (var live = _f.Open(grace: TimeSpan.FromMinutes(30)))
        {
            _f.WallClock.Now = new DateTimeOffset(2025, 3, 2, 0, 20, 0, TimeSpan.Zero);
            Assert.Equal(0, live.FireDueTimers());   // due 00:00, grace 30m
            _f.WallClock.Now = new DateTimeOffset(2025, 3, 2, 0, 30, 0, TimeSpan.Zero);
            Assert.Equal(1, live.FireDueTimers());
            Assert.Equal(0, live.FireDueTimers());
        }
        var (channel, line) = Assert.Single(_f.OutboxLines());
        Assert.Equal("night", channel);
        Assert.Equal("2025-03-02T00:00:00Z", line.GetProperty("at").GetString());
        Assert.True(line.GetProperty("was_deferred").GetBoolean());
        Assert.Equal("late|u1|2025-03-01T15:00:00Z|0", line.GetProperty("key").GetString());
    }

    [Fact]
    public void Restarts_never_repeat_a_dedupe_key()
    {
        for (var day = 1; day <= 3; day++)
        {
            using var live = _f.Open();
            if (day == 1) live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"}]"""));
            foreach (var user in new[] { "u1", "u2" })
                live.IngestEvents(LiveFixture.Json($$"""
                    [{"type":"cart_add","user_id":"{{user}}","ts":"2025-03-0{{day}}T10:00:00Z","price":300,"id":"c{{day}}"},
                     {"type":"login","user_id":"{{user}}","ts":"2025-03-0{{day}}T10:10:00Z","id":"l{{day}}"}]
                    """));
            live.Deliver();
        }
        using (var live = _f.Open()) live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-09T00:00:00Z"}]"""));
        AssertUniqueKeys();
        Assert.Contains("sms reminder 2025-03-03T11:00:00Z", Sends());
    }

    /// <summary>§15.7: the same events give the same delivered sends live (with restarts) as in replay.</summary>
    [Fact]
    public void Live_sends_equal_replay_sends()
    {
        var model = _f.Compilation.Model;
        var events = new List<(string Type, string User, DateTime Ts, object? Field)>
        {
            ("cart_add", "u1", At(1, 9), 150m), ("login", "u2", At(1, 9), null), ("cart_add", "u2", At(1, 10), 500m),
            ("order", "u2", At(1, 10, 20), "o1"), ("cart_add", "u1", At(1, 12), 150m), ("cart_add", "u3", At(2, 8), 90m),
            ("login", "u3", At(2, 9), null), ("cart_add", "u3", At(2, 9, 30), 101m), ("cart_add", "u2", At(2, 15), 5m),
                ("order", "u1", At(3, 1), "o2"),
            ("login", "u1", At(6, 0), null),
        };
        var users = new[] { "u1", "u2", "u3" };
        var data = InMemoryData.Build(model.Schema, users.Select(u => new object?[] { u, null, null }),
            events.Select(e => (model.Schema.FindEvent(e.Type)!, Row(e))));
        var replay = new List<string>();
        JourneyReplay.Run(model, data, At(1, 0), At(6, 0), a =>
        {
            if (a is SendAction { Outcome: SendOutcome.Delivered } s)
                replay.Add($"{s.Send.Channel.Name} {s.Send.Template} {LiveFixture.Ts(new DateTime(s.At, DateTimeKind.Utc))} {s.User.Id}");
        });

        for (var i = 0; i < events.Count; i += 3)
        {
            using var live = _f.Open();
            if (i == 0) live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"},{"user_id":"u3"}]"""));
            foreach (var e in events.Skip(i).Take(3))
            {
                var field = e.Type switch { "cart_add" => $",\"price\":{e.Field}", "order" => $",\"order_id\":\"{e.Field}\",\"amount\":1", _ => "" };
                var r = live.IngestEvents(
                    LiveFixture.Json($$"""[{"type":"{{e.Type}}","user_id":"{{e.User}}","ts":"{{LiveFixture.Ts(e.Ts)}}"{{field}}}]"""));
                Assert.Equal("accepted", r[0].Status);
            }
        }
        var liveSends = _f.OutboxLines().Select(l => $"{l.Channel} {l.Line.GetProperty("template").GetString()} " +
            $"{l.Line.GetProperty("at").GetString()} {l.Line.GetProperty("user_id").GetString()}");
        Assert.Equal(replay.Order(StringComparer.Ordinal), liveSends.Order(StringComparer.Ordinal));
        Assert.Contains("night good_morning 2025-03-03T00:00:00Z u2", replay);   // a deferred send, too

        object?[] Row((string Type, string User, DateTime Ts, object? Field) e) => e.Type switch
        {
            "cart_add" => [e.User, e.Ts, e.Field],
            "order" => [e.User, e.Ts, e.Field, 1m, null],
            _ => [e.User, e.Ts, null],
        };
    }

    /// <summary>Live tag values (the user's stored events, as of t) equal the batch engine's on the same events, windows expiring included.</summary>
    [Fact]
    public void Live_tags_equal_batch_tags()
    {
        var model = _f.Compilation.Model;
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"a","level":1},{"user_id":"b","level":2},{"user_id":"c"}]"""));
        var events = new List<(string User, DateTime Ts, string Id, decimal Amount)>
        {
            ("a", At(1, 10), "o1", 10m), ("a", At(5, 10), "o2", 20.5m), ("b", At(3, 0), "o3", 7m), ("a", At(20, 0), "o4", 1m),
        };
        foreach (var e in events)
            live.IngestEvents(LiveFixture.Json(
                $$"""[{"type":"order","user_id":"{{e.User}}","ts":"{{LiveFixture.Ts(e.Ts)}}","order_id":"{{e.Id}}","amount":{{e.Amount}}}]"""));
        live.IngestEvents(LiveFixture.Json($$"""[{"type":"cart_add","user_id":"c","ts":"{{LiveFixture.Ts(At(4, 0))}}","price":120}]"""));
        var data = InMemoryData.Build(model.Schema, [["a", 1L, null], ["b", 2L, null], ["c", null, null]],
            [.. events.Select(e => (model.Schema.FindEvent("order")!, new object?[] { e.User, e.Ts, e.Id, e.Amount, null })),
             (model.Schema.FindEvent("cart_add")!, new object?[] { "c", At(4, 0), 120m })]);
        foreach (var asOf in new[] { At(1, 10), At(4, 12), At(8, 9), At(8, 11), At(12, 0), At(25, 0), At(40, 0) })
        {
            var batch = CompiledEngine.Evaluate(CompiledEngine.PlanFor(model), data, asOf);
            foreach (var user in new[] { "a", "b", "c" })
            {
                var tags = live.Tags(user, asOf)!;
                var index = data.IndexOfUser(user);
                foreach (var column in batch.Columns)
                    Assert.True(Equals(column.Get(index), tags[column.Symbol.Name]),
                        $"{column.Symbol.Name} of {user} as of {asOf:O}: batch {column.Get(index)}, live {tags[column.Symbol.Name]}");
            }
        }
        Assert.Equal(0L, live.Tags("a", At(40, 0))!["orders_7d"]);
        Assert.Equal(2L, live.Tags("a", At(8, 9))!["orders_7d"]);
    }

    private static DateTime At(int day, int hour, int minute = 0) => new DateTime(2025, 3, 1, hour, minute, 0, DateTimeKind.Utc).AddDays(day - 1);

    private List<string> Sends() =>
        [.. _f.OutboxLines().OrderBy(l => l.Line.GetProperty("at").GetString(), StringComparer.Ordinal)
            .Select(l => $"{l.Channel} {l.Line.GetProperty("template").GetString()} {l.Line.GetProperty("at").GetString()}")];

    private void AssertUniqueKeys()
    {
        var keys = _f.OutboxLines().Select(l => l.Line.GetProperty("key").GetString()).ToList();
        Assert.NotEmpty(keys);
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }
}
