using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Journeys.Tests.Measurement;

/// <summary>The send-time diagnosis: the seed's "8 pm vs 10 am" case by hand.</summary>
public sealed class SendTimeTests
{
    [Fact]
    public void Sends_at_the_hour_that_converts_best_would_add_the_difference()
    {
        var compilation = MarketingDsl.Core.Compilation.Create(("schema.mdsl", JourneyScenario.Schema), ("main.mdsl", """
            channel push { cost: 0 }
            journey j { trigger: cart_add  goal: order within 2d  steps { send push "a" } }
            """));
        var day = new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        var events = new List<MeasureEvent>();
        // 50 sends at 10:00 of which 5 convert; 40 sends at 20:00 of which 12 convert.
        void Sends(int hour, int count, int converting, string prefix)
        {
            for (var i = 0; i < count; i++)
            {
                var at = day + hour * TimeSpan.TicksPerHour;
                events.Add(new MeasureEvent("j", prefix + i, at, MeasureKind.Sent) { EntryAt = at, Channel = "push", Step = "0" });
                if (i < converting) events.Add(new MeasureEvent("j", prefix + i, at + 3 * TimeSpan.TicksPerHour,
                    MeasureKind.Converted) { EntryAt = at });
            }
        }
        Sends(10, 50, 5, "m");
        Sends(20, 40, 12, "e");
        events.Sort((a, b) => a.At.CompareTo(b.At));
        var d = JourneyMetrics.Compute(compilation.Model.Journeys, events, TimeZoneInfo.Utc)["j"].SendTime;
        Assert.Equal((10, 20), (d.PeakSendHour, d.BestHour));
        Assert.Equal(0.1, d.RateAfterSend(10)!.Value, 12);
        Assert.Equal(0.3, d.RateAfterSend(20)!.Value, 12);
        // 0.3 × 90 sends − 17 conversions = 10 more.
        Assert.Equal(10, d.ExpectedExtraConversions!.Value, 9);
        Assert.Equal(5, d.Converted[13]);
        Assert.Equal(12, d.Converted[23]);
    }
}
