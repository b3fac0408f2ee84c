using System.Globalization;
using System.Text.Json;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// A schedule's fan-out over users the cache has no room for reads them in batches and evaluates
/// their conditions over one data set (UserStates.FanOutBatch.cs): the same sends, states and
/// measurements as reading every user alone through the cache.
/// </summary>
public sealed class FanOutBatchTests : IDisposable
{
    // The `else if` reads logins, which no audience reads: a batch that held only the audience's event types would send "cold".
    // weekly_spender's audience reads only the times of orders (a batch reads them, and the logins' its steps read, from the
    // store's index); weekly_large's reads the orders' amounts: a batch that took those from the index too would let nobody
    // in. Its first step reads the logins' platforms, which its batch holds no more than their times: that condition is
    // evaluated over the user's own history.
    private const string Main = TriggerTests.Main + """

        tag logins_7d = count(login, within: 7d)
        journey weekly_spender {
          trigger: every monday at 09:00
          audience: orders_30d >= 1
          reentry: once
          steps {
            if orders_1d >= 1 { send push "hot" } else if logins_7d >= 1 { send push "warm" } else { send push "cold" }
          }
        }
        tag large_orders_30d = count(order, where: amount >= 20, within: 30d)
        tag ios_logins_7d = count(login, where: platform == "ios", within: 7d)
        journey weekly_large {
          trigger: every monday at 09:00
          audience: large_orders_30d >= 1
          reentry: once
          steps {
            if ios_logins_7d >= 1 { send push "large_ios" } else if logins_7d >= 1 { send push "large_warm" } else { send push "large_cold" }
          }
        }
        """;

    private const int Users = 90;
    private static readonly DateTime Start = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly LiveFixture _alone = new(Main);
    private readonly LiveFixture _batched = new(Main);

    public void Dispose()
    {
        _alone.Dispose();
        _batched.Dispose();
    }

    /// <summary>Orders and logins of every user over 16 days, in time order, in requests of 25 events.</summary>
    private static List<string> Requests()
    {
        var random = new Random(20);
        var events = new List<(DateTime Ts, string Json)>();
        for (var u = 0; u < Users; u++)
            for (var k = random.Next(0, 9); k > 0; k--)
            {
                var ts = Start.AddMinutes(random.Next(0, 16 * 24 * 60));
                var user = "u" + u.ToString("00", CultureInfo.InvariantCulture);
                var amount = (random.Next(5, 30) + 0.5m).ToString(CultureInfo.InvariantCulture);
                var platform = random.Next(2) == 0 ? "ios" : "web";
                events.Add((ts, random.Next(3) == 0
                    ? $$"""{"type":"login","user_id":"{{user}}","platform":"{{platform}}","ts":"{{LiveFixture.Ts(ts)}}"}"""
                    : $$"""{"type":"order","user_id":"{{user}}","order_id":"o{{events.Count}}","amount":{{amount}},"ts":"{{LiveFixture.Ts(ts)}}"}"""
                ));
            }
        var sorted = events.OrderBy(e => e.Ts).Select(e => e.Json).ToList();
        return [.. sorted.Chunk(25).Select(chunk => "[" + string.Join(",", chunk) + "]")];
    }

    private static (List<string> Sends, List<string> States, List<string> Measures, long BatchUsers, long TimesOnly) Run(LiveFixture f,
        int cachedUsers, int batchSize)
    {
        f.WallClock.Now = new DateTimeOffset(Start);
        // Slices larger than any instant's work: no backlog, so the order of work is replay's and does not depend on timing.
        using var runtime = f.Open(cachedUsers: cachedUsers, timerSlice: 1_000_000, timerSliceWithRequests: 1_000_000);
        runtime.FanOutBatchSize = batchSize;
        var profiles = Enumerable.Range(0, Users).Select(u => $$"""{"user_id":"u{{u:00}}"}""");
        runtime.IngestProfiles(LiveFixture.Json("[" + string.Join(",", profiles) + "]"));
        foreach (var request in Requests())
            Assert.All(runtime.IngestEvents(LiveFixture.Json(request)), r => Assert.Equal(IngestResult.Accepted, r.Status));
        // The timers left (waits, the last instants) fire by the wall clock, past the history's end.
        f.WallClock.Now = new DateTimeOffset(Start.AddDays(18));
        runtime.FireDueTimers();
        var sends = f.OutboxLines().Select(l => l.Channel + " " + l.Line.GetRawText()).Order(StringComparer.Ordinal).ToList();
        var states = runtime.Store.AllStates().Select(s => $"{s.Journey} {s.User} {JsonSerializer.Serialize(s.State)}").ToList();
        var measures = runtime.Store.Measures(0, DateTime.MaxValue.Ticks).Select(m => m.ToString()).ToList();
        return (sends, states, measures, runtime.FanOutBatchUsers, runtime.FanOutEventTimesOnly);
    }

    [Fact]
    public void Sends_and_states_of_batched_fan_outs_equal_those_of_every_user_read_alone()
    {
        var alone = Run(_alone, cachedUsers: LiveOptions.DefaultCachedUsers, batchSize: 0);
        // A cache of 5 users is always full: every fan-out reads its users in batches (of 16, several per instant).
        var batched = Run(_batched, cachedUsers: 5, batchSize: 16);
        Assert.Equal(0, alone.BatchUsers);
        Assert.True(batched.BatchUsers > Users, $"{batched.BatchUsers} users evaluated in batches");
        Assert.Equal(0, alone.TimesOnly);
        Assert.True(batched.TimesOnly > Users, $"{batched.TimesOnly} events read as their time alone");
        Assert.True(alone.Sends.Count > 100, $"{alone.Sends.Count} sends");
        Assert.Contains(alone.Sends, s => s.Contains("\"hot\"", StringComparison.Ordinal));
        Assert.Contains(alone.Sends, s => s.Contains("\"warm\"", StringComparison.Ordinal));
        Assert.Contains(alone.Sends, s => s.Contains("\"cold\"", StringComparison.Ordinal));
        Assert.Contains(alone.Sends, s => s.Contains("\"large_ios\"", StringComparison.Ordinal));
        Assert.Contains(alone.Sends, s => s.Contains("\"large_warm\"", StringComparison.Ordinal));
        Assert.Contains(alone.Sends, s => s.Contains("\"large_cold\"", StringComparison.Ordinal));
        Assert.Equal(alone.Sends, batched.Sends);
        Assert.Equal(alone.States, batched.States);
        Assert.Equal(alone.Measures, batched.Measures);   // suppressions by reason included
    }

    /// <summary>An audience over the times of more event types than one read of the store names: the batch reads whole rows.</summary>
    [Fact]
    public void An_audience_over_more_event_types_than_one_read_names_gives_the_same_sends()
    {
        var types = Enumerable.Range(0, LiveStore.MaxTypesPerRead + 1).Select(i => $"e{i:00}").ToList();
        var schema = "schema {\n  profile { user_id: string key }\n" + string.Concat(types.Select(t => $"  event {t} {{ n: int? }}\n"))
            + "}\n";
        var main = "tag seen_30d = " + string.Join(" + ", types.Select(t => $"count({t}, within: 30d)")) + """

            channel push { cost: 0.001 }
            journey daily { trigger: every day at 10:00  audience: seen_30d >= 2  reentry: once  steps { send push "many" } }
            """;
        List<string> Sends(int cachedUsers, int batchSize)
        {
            using var f = new LiveFixture(schema, main);
            f.WallClock.Now = new DateTimeOffset(Start);
            using var runtime = f.Open(cachedUsers: cachedUsers, timerSlice: 1_000_000, timerSliceWithRequests: 1_000_000);
            runtime.FanOutBatchSize = batchSize;
            var profiles = Enumerable.Range(0, 30).Select(u => $$"""{"user_id":"u{{u:00}}"}""");
            runtime.IngestProfiles(LiveFixture.Json("[" + string.Join(",", profiles) + "]"));
            var events = Enumerable.Range(0, 90).Select(i => $$"""{"type":"{{types[i % types.Count]}}","user_id":"u{{i * 7 % 30:00}}","ts":"{{
                LiveFixture.Ts(Start.AddHours(i))}}"}""");
            Assert.All(runtime.IngestEvents(LiveFixture.Json("[" + string.Join(",", events) + "]")),
                r => Assert.Equal(IngestResult.Accepted, r.Status));
            f.WallClock.Now = new DateTimeOffset(Start.AddDays(6));
            runtime.FireDueTimers();
            Assert.Equal(0, runtime.FanOutEventTimesOnly);
            return [.. f.OutboxLines().Select(l => l.Line.GetRawText()).Order(StringComparer.Ordinal)];
        }
        var alone = Sends(LiveOptions.DefaultCachedUsers, 0);
        Assert.NotEmpty(alone);
        Assert.Equal(alone, Sends(cachedUsers: 3, batchSize: 8));
    }
}
