using System.Globalization;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys;
using MarketingDsl.Journeys.Replay;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// Property on generated data for the incremental segment path (JourneyExecutor.Triggers.cs): random
/// event streams in time order over about ten days, where memberships flip by events (an order, a
/// login, a second cart), by time alone (1-, 2- and 3-day windows expiring, an idle clock), by a
/// profile field together with a window, and through a segment read by another; ingested in
/// random batches with restarts and a cache small enough to evict. Live sends equal replay sends
/// (replay evaluates every tracked segment of every user after each event and at every 00:00),
/// and live evaluated fewer memberships than that.
/// </summary>
public sealed class SegmentTriggerPropertyTests
{
    private const string Main = """
        tag orders_2d = count(order, within: 2d)
        tag spend_3d = sum(order.amount, within: 3d)
        tag logins_1d = count(login, within: 1d)
        tag carts = count(cart_add)
        tag login_idle_days = days_since(last(login.ts))
        segment buyer = orders_2d >= 1
        segment big_spender = spend_3d > 50 and level >= 2
        segment loyal = buyer and logins_1d >= 1
        segment idle = login_idle_days >= 2
        segment carter = carts >= 2

        channel push { cost: 0.001 }

        journey buyer_in { trigger: enters segment buyer  steps { send push "buyer_in" } }
        journey buyer_out { trigger: leaves segment buyer  steps { send push "buyer_out" } }
        journey big_in { trigger: enters segment big_spender  steps { send push "big_in"  wait 6h  send push "big_later" } }
        journey loyal_out { trigger: leaves segment loyal  steps { send push "loyal_out" } }
        journey idle_in { trigger: enters segment idle  steps { send push "idle_in" } }
        journey carter_in { trigger: enters segment carter  steps { send push "carter_in" } }
        """;

    private static readonly string[] Users = ["u1", "u2", "u3", "u4"];
    private static readonly long?[] Levels = [1, 2, 3, null];
    private static readonly DateTime Start = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
    private const int TrackedSegments = 5;

    private sealed record GeneratedEvent(string Type, string User, DateTime Ts, string? OrderId, decimal? Amount);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Live_sends_equal_replay_sends_on_random_streams_that_flip_segments_by_events_and_by_time(int seed)
    {
        using var f = new LiveFixture(LiveFixture.Schema, Main);
        var model = f.Compilation.Model;
        var random = new Random(seed);
        var events = Generate(random, count: 50 + random.Next(40));
        var from = Start;
        var to = events[^1].Ts.AddDays(4);

        var data = InMemoryData.Build(model.Schema, Users.Select((u, i) => new object?[] { u, Levels[i], null }),
            events.Select(e => (model.Schema.FindEvent(e.Type)!, Row(e))));
        var replay = new List<string>();
        JourneyReplay.Run(model, data, from, to, a =>
        {
            if (a is SendAction { Outcome: SendOutcome.Delivered } s) replay.Add(Line(s.Send.Template, s.At, s.User.Id));
        });

        f.WallClock.Now = new DateTimeOffset(from);
        LiveRuntime Open() => seed % 2 == 0 ? f.Open(cachedUsers: 2) : f.Open();
        long evaluations = 0;
        var runtime = Open();
        try
        {
            runtime.IngestProfiles(LiveFixture.Json("[" + string.Join(",", Users.Select((u, i) =>
                Levels[i] is { } level ? $$"""{"user_id":"{{u}}","level":{{level}}}""" : $$"""{"user_id":"{{u}}"}""")) + "]"));
            for (var i = 0; i < events.Count;)
            {
                var n = Math.Min(events.Count - i, 1 + random.Next(5));
                var results = runtime.IngestEvents(LiveFixture.Json("[" + string.Join(",", events.Skip(i).Take(n).Select(ToJson)) + "]"));
                Assert.All(results, r => Assert.Equal(IngestResult.Accepted, r.Status));
                i += n;
                if (random.Next(8) == 0)
                {
                    evaluations += runtime.SegmentEvaluations;
                    runtime.Dispose();
                    runtime = Open();
                }
            }
            f.WallClock.Now = new DateTimeOffset(to);
            runtime.FireDueTimers();
            evaluations += runtime.SegmentEvaluations;
        }
        finally
        {
            runtime.Dispose();
        }
        var live = f.OutboxLines().Select(l => Line(l.Line.GetProperty("template").GetString()!,
            DateTime.Parse(l.Line.GetProperty("at").GetString()!, null, DateTimeStyles.AdjustToUniversal).Ticks,
                l.Line.GetProperty("user_id").GetString()!));
        Assert.Equal(replay.Order(StringComparer.Ordinal), live.Order(StringComparer.Ordinal));

        // The stream flipped memberships both ways, by events and by time alone (at a 00:00).
        Assert.Contains(replay, s => s.StartsWith("buyer_in ", StringComparison.Ordinal));
        Assert.Contains(replay, s => s.StartsWith("buyer_out ", StringComparison.Ordinal) && s.Contains("T00:00:00", StringComparison.Ordinal));
        Assert.Contains(replay, s => s.StartsWith("idle_in ", StringComparison.Ordinal));
        // Replay evaluates every tracked segment after each event and for every user at each 00:00; live fewer
        // (`idle` reads the clock, so it is evaluated at each of them: the others make the difference).
        var midnights = (long)Math.Ceiling((to - from).TotalDays);
        var everything = TrackedSegments * (events.Count + midnights * Users.Length);
        Assert.True(evaluations < everything * 9 / 10, $"seed {seed}: {evaluations} evaluations, replay's way {everything}");
    }

    /// <summary>
    /// Events in strictly increasing time over about ten days, with gaps of up to two days so
    /// windows expire between events. (At a tie of one user's events, replay's first event already
    /// sees the later ones at the same instant, which live cannot: ties are not this property's subject.)
    /// </summary>
    private static List<GeneratedEvent> Generate(Random random, int count)
    {
        var events = new List<GeneratedEvent>();
        var clock = Start.AddHours(1);
        for (var i = 0; i < count; i++)
        {
            clock = clock.AddHours(random.Next(8) == 0 ? random.Next(24, 48) : random.Next(1, 4));
            var user = Users[random.Next(Users.Length)];
            var kind = random.Next(20);
            events.Add(kind < 8 ? new GeneratedEvent("order", user, clock, "o" + i, random.Next(1, 6000) / 100m)
                : kind < 15 ? new GeneratedEvent("login", user, clock, null, null)
                : new GeneratedEvent("cart_add", user, clock, null, random.Next(1, 300)));
        }
        return events;
    }

    private static string ToJson(GeneratedEvent e) => e.Type switch
    {
        "order" => string.Create(CultureInfo.InvariantCulture,
            $$"""{"type":"order","user_id":"{{e.User}}","ts":"{{LiveFixture.Ts(e.Ts)}}","order_id":"{{e.OrderId}}","amount":{{e.Amount}}}"""),
        "cart_add" => string.Create(CultureInfo.InvariantCulture,
            $$"""{"type":"cart_add","user_id":"{{e.User}}","ts":"{{LiveFixture.Ts(e.Ts)}}","price":{{e.Amount}}}"""),
        _ => $$"""{"type":"login","user_id":"{{e.User}}","ts":"{{LiveFixture.Ts(e.Ts)}}"}""",
    };

    private static object?[] Row(GeneratedEvent e) => e.Type switch
    {
        "order" => [e.User, e.Ts, e.OrderId, e.Amount, null],
        "cart_add" => [e.User, e.Ts, e.Amount],
        _ => [e.User, e.Ts, null],
    };

    private static string Line(string template, long at, string user) =>
        $"{template} {new DateTime(at, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)} {user}";
}
