using System.Globalization;
using System.Text.Json;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys.Measurement;
using MarketingDsl.Journeys.Replay;

namespace MarketingDsl.Runtime.Tests;

/// <summary>Live results: the same metrics engine as replay on the same events; channel feedback by send key.</summary>
public sealed class ResultsTests : IDisposable
{
    private const string Main = """
        channel push { cost: 0.01 }
        channel sms { cost: 0.05  cap: 1 per 1d }
        channel night { cost: 0.02  quiet: 22:00-08:00 }

        journey cart {
          trigger: cart_add where price > 100
          goal: order within 2d value amount
          holdout: 20%
          steps {
            wait 1h until order
            send sms "reminder"
            split "copy" {
              50%: send push "a"
              50%: send night "b"
            }
            wait 1d
            send push "followup"
          }
        }
        journey welcome { trigger: login  reentry: once  goal: order within 7d value amount  steps { send push "hello" } }
        """;

    private readonly LiveFixture _f = new(Main);
    public void Dispose() => _f.Dispose();

    private static readonly DateTime From = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime To = new(2025, 3, 12, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Random carts, logins and orders of 60 users over ten days, in time order.</summary>
    private static List<(string Type, string User, DateTime Ts, decimal Value, string Id)> History()
    {
        var random = new Random(16);
        var events = new List<(string, string, DateTime, decimal, string)>();
        for (var i = 0; i < 400; i++)
        {
            var user = "u" + random.Next(60).ToString("00", CultureInfo.InvariantCulture);
            var ts = From.AddMinutes(1 + random.Next(10 * 24 * 60));
            var roll = random.Next(10);
            var type = roll < 5 ? "cart_add" : roll < 7 ? "login" : "order";
            events.Add((type, user, ts, random.Next(20, 400), "e" + i.ToString(CultureInfo.InvariantCulture)));
        }
        return [.. events.OrderBy(e => e.Item3)];
    }

    /// <summary>The oracle of the metrics engine: replay and the live runtime (restarted on the way) give equal results JSON.</summary>
    [Fact]
    public void Live_results_equal_replay_results_on_the_same_events()
    {
        var model = _f.Compilation.Model;
        var events = History();
        var users = events.Select(e => e.User).Distinct().Order(StringComparer.Ordinal).ToArray();
        var data = InMemoryData.Build(model.Schema, users.Select(u => new object?[] { u, null, null }),
            events.Select(e => (model.Schema.FindEvent(e.Type)!, Row(e))));
        var replay = JourneyReplay.Run(model, data, From, To);

        for (var start = 0; start < events.Count; start += 150)
        {
            using var live = _f.Open();
            if (start == 0) live.IngestProfiles(LiveFixture.Json("[" + string.Join(",", users.Select(u => $$"""{"user_id":"{{u}}"}""")) + "]"));
            foreach (var e in events.Skip(start).Take(150))
            {
                var fields = e.Type switch
                {
                    "cart_add" => $",\"price\":{e.Value}",
                    "order" => $",\"order_id\":\"{e.Id}\",\"amount\":{e.Value}",
                    _ => $",\"id\":\"{e.Id}\"",
                };
                var r = live.IngestEvents(
                    LiveFixture.Json($$"""[{"type":"{{e.Type}}","user_id":"{{e.User}}","ts":"{{LiveFixture.Ts(e.Ts)}}"{{fields}}}]"""));
                Assert.Equal("accepted", r[0].Status);
            }
        }
        using (var live = _f.Open())
        {
            // Timers due by the end of the window fire as replay's do (an event after it moves the clock).
            live.IngestEvents(LiveFixture.Json($$"""[{"type":"login","user_id":"late","ts":"{{LiveFixture.Ts(To.AddSeconds(1))}}"}]"""));
            foreach (var journey in new[] { "cart", "welcome" })
            {
                var expected = ResultsJson.Document(replay.Results[journey], From, To, TimeZoneInfo.Utc);
                var actual = ResultsJson.Document(live.Results(journey, From, To)!, From, To, TimeZoneInfo.Utc);
                Assert.Equal(expected, actual);
            }
        }
        var cart = replay.Results["cart"];
        // The history is rich enough to test something: conversions with revenue on both sides of the holdout, both branches, deferred sends.
        Assert.True(cart.Total.Converted > 0 && cart.Total.ConvertedHeldOut > 0 && cart.Total.Revenue > 0,
            $"{cart.Total.Converted} {cart.Total.ConvertedHeldOut}");
        Assert.True(cart.Splits.Single().Branches.All(b => b.Entered > 0));
        Assert.True(cart.Total.Deferred > 0);
        // Per-step counts (the canvas's): arrivals, how the first wait ended (its event is the goal's: converted, else timed out), exits.
        var wait = cart.Steps.Steps[0].WaitEnds;
        Assert.True(cart.Steps.Steps[0].Reached > 0 && wait[1] > 0 && wait[2] > 0, string.Join(",", wait));
        Assert.True(cart.Steps.Exited["end_of_steps"] > 0 && cart.Steps.Exited["converted"] > 0);
        Assert.True(cart.Attribution[AttributionModel.Linear].ByJourney["cart"].Conversions > 0);

        static object?[] Row((string Type, string User, DateTime Ts, decimal Value, string Id) e) => e.Type switch
        {
            "cart_add" => [e.User, e.Ts, e.Value],
            "order" => [e.User, e.Ts, e.Id, e.Value, null],
            _ => [e.User, e.Ts, null],
        };
    }
}
