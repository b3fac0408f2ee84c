using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Journeys.Tests.Measurement;

/// <summary>Each attribution model on hand-computed cases.</summary>
public sealed class AttributionTests
{
    private static readonly long T0 = new DateTime(2025, 6, 10, 0, 0, 0, DateTimeKind.Utc).Ticks;
    private static long Days(double d) => T0 + (long)(d * TimeSpan.TicksPerDay);

    private static MeasureEvent Send(string journey, string user, double day, string channel, string step) =>
        new(journey, user, Days(day), MeasureKind.Sent) { Channel = channel, Step = step, Cost = 0.1m };

    private static MeasureEvent Conversion(string journey, string user, double day, decimal revenue) =>
        new(journey, user, Days(day), MeasureKind.Converted) { Revenue = revenue };

    /// <summary>
    /// u1: sends at day 0 (a push), 7 (b sms), 10 (b push, step 2), 14 (a email), converting at
    /// day 14 with revenue 100 (the goal of both journeys: counted once). Window 14d keeps all four;
    /// the half-life 7d gives ages 14, 7, 4, 0 days weights 1/4, 1/2, 2^(−4/7), 1.
    /// </summary>
    private static Dictionary<AttributionModel, AttributionResult> FourTouches() => Attribution.Compute(
    [
        Send("a", "u1", 0, "push", "0"),
        Send("b", "u1", 7, "sms", "1"),
        Send("b", "u1", 10, "push", "2"),
        Send("a", "u1", 14, "email", "3"),
        Conversion("a", "u1", 14, 100m),
        Conversion("b", "u1", 14, 100m),
        Send("a", "u2", 1, "push", "0"),       // 20 days before u2's conversion: outside the window
        Conversion("a", "u2", 21, 40m),
    ], new AttributionOptions { Window = TimeSpan.FromDays(14), HalfLife = TimeSpan.FromDays(7) });

    [Fact]
    public void First_and_last_touch_give_everything_to_one_send()
    {
        var r = FourTouches();
        Assert.Equal(2, r[AttributionModel.FirstTouch].Conversions);
        Assert.Equal((1.0, 100m), Of(r[AttributionModel.FirstTouch].ByJourney["a"]));
        Assert.False(r[AttributionModel.FirstTouch].ByJourney.ContainsKey("b"));
        Assert.Equal((1.0, 100m), Of(r[AttributionModel.FirstTouch].ByChannel[("a", "push")]));
        Assert.Equal((1.0, 100m), Of(r[AttributionModel.LastTouch].ByChannel[("a", "email")]));
        Assert.Equal((1.0, 40m), Of(r[AttributionModel.LastTouch].Unattributed));
    }

    [Fact]
    public void Linear_shares_equally()
    {
        var r = FourTouches()[AttributionModel.Linear];
        Assert.Equal((0.5, 50m), Of(r.ByJourney["a"]));
        Assert.Equal((0.5, 50m), Of(r.ByJourney["b"]));
        Assert.Equal((0.25, 25m), Of(r.ByStep[("b", "2")]));
    }

    [Fact]
    public void Time_decay_halves_per_half_life()
    {
        var r = FourTouches()[AttributionModel.TimeDecay];
        double w0 = 0.25, w7 = 0.5, w10 = Math.Pow(2, -4.0 / 7), w14 = 1, total = w0 + w7 + w10 + w14;
        Assert.Equal((w0 + w14) / total, r.ByJourney["a"].Conversions, 12);
        Assert.Equal((w7 + w10) / total, r.ByJourney["b"].Conversions, 12);
        Assert.Equal(w7 / total, r.ByChannel[("b", "sms")].Conversions, 12);
        Assert.Equal(Math.Round(100 * w14 / total, 10), Math.Round((double)r.ByStep[("a", "3")].Revenue, 10));
    }

    [Fact]
    public void Position_based_gives_forty_twenty_forty()
    {
        var r = FourTouches()[AttributionModel.PositionBased];
        Assert.Equal((0.4, 40m), Of(r.ByStep[("a", "0")]));
        Assert.Equal((0.1, 10m), Of(r.ByStep[("b", "1")]));
        Assert.Equal((0.1, 10m), Of(r.ByStep[("b", "2")]));
        Assert.Equal((0.4, 40m), Of(r.ByStep[("a", "3")]));
        var weights = new double[2];
        Attribution.Weights(AttributionModel.PositionBased, [Send("a", "u", 0, "push", "0"), Send("a", "u", 1, "push", "1")], Days(2),
            AttributionOptions.Default, weights);
        Assert.Equal([0.5, 0.5], weights);
    }

    [Fact]
    public void A_send_after_the_conversion_gets_no_credit()
    {
        var r = Attribution.Compute([Conversion("a", "u1", 1, 10m), Send("a", "u1", 2, "push", "0")], AttributionOptions.Default);
        Assert.All(r.Values, m => Assert.Equal((1.0, 10m), Of(m.Unattributed)));
    }

    private static (double, decimal) Of(Credit c) => (Math.Round(c.Conversions, 12), Math.Round(c.Revenue, 12));
}
