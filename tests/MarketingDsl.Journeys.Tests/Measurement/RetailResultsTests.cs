using System.Text.Json;
using MarketingDsl.Journeys.Replay;

namespace MarketingDsl.Journeys.Tests.Measurement;

/// <summary>examples/retail's journeys.json carries, per journey, the uplift with its intervals and attribution by model.</summary>
public sealed class RetailResultsTests(RetailReplayTests.Retail retail) : IClassFixture<RetailReplayTests.Retail>
{
    [Fact]
    public void Retail_journeys_json_has_uplift_intervals_and_attribution()
    {
        var stats = JourneyReplay.Run(retail.Compilation.Model, retail.Data,
            new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2025, 7, 1, 0, 0, 0, DateTimeKind.Utc));
        var json = JsonDocument.Parse(stats.ToJson()).RootElement.GetProperty("journeys");
        var cart = json.GetProperty("cart_recovery");
        var uplift = cart.GetProperty("uplift");
        var difference = uplift.GetProperty("difference");
        Assert.True(difference.GetProperty("low").GetDouble() <= difference.GetProperty("estimate").GetDouble());
        Assert.True(difference.GetProperty("estimate").GetDouble() <= difference.GetProperty("high").GetDouble());
        Assert.Equal(JsonValueKind.Object, uplift.GetProperty("incremental_revenue").ValueKind);
        foreach (var model in new[] { "first_touch", "last_touch", "linear", "time_decay", "position_based" })
            Assert.True(cart.GetProperty("attribution").GetProperty(model).GetProperty("conversions").GetDouble() >= 0);
        // Every model credits the same conversions in all: their sums over journeys agree.
        var sums = new[] { "first_touch", "linear", "position_based" }.Select(m => json.EnumerateObject()
            .Sum(j => j.Value.GetProperty("attribution").GetProperty(m).GetProperty("conversions").GetDouble())).ToList();
        Assert.All(sums, s => Assert.Equal(sums[0], s, 2));
        var r = stats.Results["cart_recovery"];
        Assert.True(r.Total.Revenue > 0);   // `value amount` on the goal
        Assert.Equal(r.Total.Converted, json.GetProperty("cart_recovery").GetProperty("converted").GetProperty("treated").GetInt32());
    }

    /// <summary>
    /// The metrics engine's per-step counts (`results.steps`, what live results give the canvas) equal
    /// the replay's own step statistics (`steps`), for every step of every retail journey.
    /// </summary>
    [Fact]
    public void Results_steps_of_the_metrics_engine_equal_the_replays_step_counts()
    {
        var stats = JourneyReplay.Run(retail.Compilation.Model, retail.Data,
            new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2025, 7, 1, 0, 0, 0, DateTimeKind.Utc));
        var json = JsonDocument.Parse(stats.ToJson()).RootElement.GetProperty("journeys");
        var compared = 0;
        foreach (var journey in json.EnumerateObject())
        {
            var replayed = journey.Value.GetProperty("steps");
            var measured = journey.Value.GetProperty("results").GetProperty("steps");
            Assert.Equal(replayed.EnumerateObject().Select(p => p.Name), measured.EnumerateObject().Select(p => p.Name));
            foreach (var step in replayed.EnumerateObject())
            {
                var m = measured.GetProperty(step.Name);
                // The items a send carried (`items:`) are counted by the replay alone (top_items), not by the metrics engine.
                foreach (var p in step.Value.EnumerateObject().Where(p => p.Name != "top_items"))
                {
                    // A replay's "delivered" is a send handed to its channel: the results' "sent"; its "held_out" the held-out sends.
                    var key = p.Name switch { "delivered" => "sent", "held_out" => "held_out_sends", _ => p.Name };
                    Assert.True(Flat(p.Value) == Flat(m.GetProperty(key)),
                        $"{journey.Name} step {step.Name} {p.Name}: {p.Value} vs {m.GetProperty(key)}");
                    compared++;
                }
            }
            foreach (var p in journey.Value.GetProperty("exited").EnumerateObject())
                Assert.Equal(p.Value.GetInt64(), journey.Value.GetProperty("results").GetProperty("exited").GetProperty(p.Name).GetInt64());
        }
        Assert.True(compared > 50);
        Assert.Contains(json.GetProperty("related_items").GetProperty("steps").EnumerateObject(), s => s.Value.TryGetProperty("top_items", out _));
        var cart = json.GetProperty("cart_recovery").GetProperty("results").GetProperty("steps");
        Assert.True(cart.GetProperty("0").GetProperty("reached").GetInt64() > 0);
        Assert.True(cart.GetProperty("1").GetProperty("converted_after").GetInt64() > 0);
    }

    private static string Flat(JsonElement e) => e.ValueKind == JsonValueKind.Array ? string.Join(",", e.EnumerateArray()) : e.ToString();
}
