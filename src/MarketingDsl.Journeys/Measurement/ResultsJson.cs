using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Journeys.Measurement;

/// <summary>
/// The JSON of a journey's results: the same text in `journeys.json` (replay) and from
/// `GET /api/journeys/NAME/results` (live). Rates and intervals to 4 decimals, money to 2.
/// </summary>
public static class ResultsJson
{
    public static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One journey's results as a JSON document (live endpoint), with the window it covers.</summary>
    public static string Document(JourneyResults r, DateTime fromUtc, DateTime toUtc, TimeZoneInfo zone)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Options))
        {
            w.WriteStartObject();
            w.WriteString("journey", r.Journey.Name);
            if (r.Journey.Label is { } label) w.WriteString("label", label);
            w.WriteString("from", ValueFormatter.FormatInstant(fromUtc));
            w.WriteString("to", ValueFormatter.FormatInstant(toUtc));
            w.WriteString("day_zone", zone.Id);
            WriteBody(w, r);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The properties of a journey's results inside an open object: funnel, by_day, by_channel, by_step, split_tests, then uplift
    /// and attribution unless the caller writes them elsewhere.</summary>
    public static void WriteBody(Utf8JsonWriter w, JourneyResults r, bool upliftAndAttribution = true)
    {
        w.WritePropertyName("funnel");
        WriteCounts(w, r.Total, full: true);
        w.WriteStartObject("by_day");
        foreach (var (day, counts) in r.ByDay)
        {
            w.WritePropertyName(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            WriteCounts(w, counts, full: false);
        }
        w.WriteEndObject();
        w.WriteStartObject("by_channel");
        foreach (var (channel, counts) in r.ByChannel)
        {
            w.WritePropertyName(channel);
            WriteCounts(w, counts, full: false);
        }
        w.WriteEndObject();
        w.WriteStartObject("by_step");
        foreach (var (step, counts) in r.ByStep)
        {
            w.WritePropertyName(step);
            w.WriteStartObject();
            w.WriteString("step", r.StepDescriptions.GetValueOrDefault(step, step));
            WriteCountProperties(w, counts, full: false);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        WriteSteps(w, r);
        w.WriteStartObject("split_tests");
        foreach (var s in r.Splits) WriteSplit(w, s);
        w.WriteEndObject();
        WriteSendTime(w, r.SendTime);
        if (!upliftAndAttribution) return;
        WriteUplift(w, r.Uplift);
        WriteAttribution(w, r);
    }

    /// <summary>
    /// `steps` (per step path: reached, the `if`'s or split's blocks, how waits ended, a send's outcomes by status,
    /// the treated entries that converted after reaching it) and `exited` (by reason): the counts a canvas draws.
    /// </summary>
    private static void WriteSteps(Utf8JsonWriter w, JourneyResults r)
    {
        w.WriteStartObject("steps");
        foreach (var s in r.Steps.Steps)
        {
            w.WriteStartObject(s.Path);
            w.WriteString("step", Replay.ReplayStatistics.Describe([s.Step]));
            w.WriteNumber("reached", s.Reached);
            w.WriteNumber("reached_held_out", s.ReachedHeldOut);
            switch (s.Step)
            {
                case Core.Semantics.BoundSend:
                    WriteSendCounts(w, r.ByStep.GetValueOrDefault(s.Path) ?? new FunnelCounts());
                    break;
                case Core.Semantics.BoundWait:
                    w.WriteNumber("resumed_by_event", s.WaitEnds[0]);
                    w.WriteNumber("timed_out", s.WaitEnds[1]);
                    w.WriteNumber("converted", s.WaitEnds[2]);
                    w.WriteNumber("waiting", s.Waiting);
                    break;
                case Core.Semantics.BoundIf:
                    w.WriteNumber("then", s.Branches[0]);
                    w.WriteNumber("else", s.Branches[1]);
                    w.WriteNumber("neither", s.Branches[2]);
                    break;
                case Core.Semantics.BoundSplit:
                    w.WriteStartArray("branches");
                    foreach (var n in s.Branches) w.WriteNumberValue(n);
                    w.WriteEndArray();
                    break;
            }
            w.WriteNumber("converted_after", s.ConvertedAfter);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject("exited");
        foreach (var (reason, n) in r.Steps.Exited) w.WriteNumber(reason, n);
        w.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter w, FunnelCounts c, bool full)
    {
        w.WriteStartObject();
        WriteCountProperties(w, c, full);
        w.WriteEndObject();
    }

    /// <summary>A send's way through the channel: the one list of send statuses a journey, step and channel report.</summary>
    private static void WriteSendCounts(Utf8JsonWriter w, FunnelCounts c)
    {
        w.WriteNumber("sent", c.Sent);
        w.WriteNumber("deferred", c.Deferred);
        w.WriteNumber("capped", c.Capped);
        w.WriteNumber("held_out_sends", c.HeldOutSends);
        w.WriteNumber("delivered", c.Delivered);
        w.WriteNumber("failed", c.Failed);
        w.WriteNumber("opened", c.Opened);
        w.WriteNumber("clicked", c.Clicked);
    }

    private static void WriteCountProperties(Utf8JsonWriter w, FunnelCounts c, bool full)
    {
        if (full || c.Entered > 0 || c.Converted > 0 || c.ConvertedHeldOut > 0)
        {
            w.WriteNumber("entered", c.Entered);
            w.WriteNumber("entered_treated", c.EnteredTreated);
            w.WriteNumber("held_out", c.EnteredHeldOut);
        }
        if (full)
        {
            w.WriteStartObject("suppressed");
            foreach (var (reason, n) in c.Suppressed) w.WriteNumber(reason, n);
            w.WriteEndObject();
        }
        WriteSendCounts(w, c);
        if (full || c.Entered > 0 || c.Converted > 0 || c.ConvertedHeldOut > 0)
        {
            w.WriteNumber("converted", c.Converted);
            w.WriteNumber("converted_held_out", c.ConvertedHeldOut);
            w.WriteNumber("revenue", Money(c.Revenue));
            w.WriteNumber("revenue_held_out", Money(c.RevenueHeldOut));
        }
        w.WriteNumber("cost", Money(c.Cost));
        // A channel's or step's slice holds no conversions (attribution credits those): no ROI of its own.
        if (full || c.Entered > 0 || c.Converted > 0 || c.ConvertedHeldOut > 0) Number(w, "roi", c.Roi);
    }

    private static void WriteSplit(Utf8JsonWriter w, SplitResult s)
    {
        w.WriteStartObject(s.Name);
        if (s.WinnerAfterTicks is { } after) w.WriteString("winner_after", ValueFormatter.FormatDuration(new TimeSpan(after)));
        w.WriteStartArray("branches");
        foreach (var b in s.Branches)
        {
            w.WriteStartObject();
            w.WriteNumber("branch", b.Branch + 1);
            w.WriteNumber("share", b.Share);
            w.WriteString("first_step", b.FirstStep);
            w.WriteNumber("entered", b.Entered);
            w.WriteNumber("converted", b.Converted);
            w.WriteNumber("revenue", Money(b.Revenue));
            WriteInterval(w, "goal_rate", b.Rate);
            WriteInterval(w, "difference_from_branch_1", b.DifferenceFromFirst);
            Number(w, "sequential_p_against_branch_1", b.SequentialPValueAgainstFirst);
            w.WriteNumber("sent", b.Sends.Sent);
            w.WriteNumber("cost", Money(b.Sends.Cost));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (s.ChiSquared is { } chi)
        {
            w.WriteStartObject("chi_squared");
            w.WriteNumber("statistic", Round(chi.Statistic));
            w.WriteNumber("df", chi.Df);
            w.WriteNumber("p", Round(chi.P));
            w.WriteEndObject();
        }
        else w.WriteNull("chi_squared");
        w.WriteStartObject("sample_ratio");
        w.WriteNumber("p", Math.Round(s.SampleRatioPValue, 6));
        w.WriteBoolean("mismatch", s.SampleRatioMismatch);
        w.WriteEndObject();
        w.WriteStartObject("decision");
        if (s.Decision.Winner is { } winner) w.WriteNumber("winner", winner + 1); else w.WriteNull("winner");
        w.WriteString("reason", Reason(s.Decision.Reason));
        w.WriteString("explanation", s.Decision.ReasonText);
        w.WriteNumber("sequential_p", Round(s.Decision.SequentialPValue));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteSendTime(Utf8JsonWriter w, SendTimeDiagnosis d)
    {
        w.WriteStartObject("send_time");
        w.WriteString("hours_in", "the workspace zone");
        w.WriteStartArray("by_hour");
        for (var h = 0; h < 24; h++)
        {
            if (d.Sent[h] == 0 && d.Opened[h] == 0 && d.Converted[h] == 0) continue;
            w.WriteStartObject();
            w.WriteNumber("hour", h);
            w.WriteNumber("sent", d.Sent[h]);
            w.WriteNumber("opened", d.Opened[h]);
            w.WriteNumber("converted", d.Converted[h]);
            w.WriteNumber("converted_after_send", d.ConvertedAfterSend[h]);
            Number(w, "conversion_rate_after_send", d.RateAfterSend(h));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (d.PeakSendHour is { } peak) w.WriteNumber("peak_send_hour", peak); else w.WriteNull("peak_send_hour");
        if (d.BestHour is { } best) w.WriteNumber("best_hour", best); else w.WriteNull("best_hour");
        if (d.ExpectedExtraConversions is { } extra) w.WriteNumber("expected_extra_conversions", Math.Round(extra, 1));
        else w.WriteNull("expected_extra_conversions");
        w.WriteString("caveat",
            $"observational: hours with at least {SendTimeDiagnosis.MinimumSends} sends compared; a split on send time measures it");
        w.WriteEndObject();
    }

    public static string Reason(WinnerReason reason) => reason switch
    {
        WinnerReason.Significant => "significant",
        WinnerReason.NoArrivals => "no_arrivals",
        WinnerReason.SampleRatioMismatch => "sample_ratio_mismatch",
        _ => "not_significant",
    };

    /// <summary>`uplift`: treated and held-out goal rates, their difference with its 95% interval, incremental conversions and revenue.</summary>
    public static void WriteUplift(Utf8JsonWriter w, Uplift u)
    {
        w.WriteStartObject("uplift");
        w.WriteString("method",
            "Wilson score intervals per group; Newcombe hybrid score interval of the difference; Welch interval of revenue per entry");
        w.WriteNumber("confidence", 0.95);
        WriteInterval(w, "treated_rate", u.TreatedRate);
        WriteInterval(w, "held_out_rate", u.HeldOutRate);
        WriteInterval(w, "difference", u.Difference);
        Number(w, "relative_lift", u.RelativeLift);
        if (u.Difference is { } d) w.WriteBoolean("significant", d.ExcludesZero); else w.WriteNull("significant");
        WriteInterval(w, "incremental_conversions", u.IncrementalConversions, digits: 1);
        WriteInterval(w, "revenue_per_entry_difference", u.RevenuePerEntryDifference, digits: 2);
        WriteInterval(w, "incremental_revenue", u.IncrementalRevenue, digits: 2);
        w.WriteEndObject();
    }

    /// <summary>`attribution`: per model, this journey's credited conversions and revenue, per channel and per step.</summary>
    public static void WriteAttribution(Utf8JsonWriter w, JourneyResults r)
    {
        var name = r.Journey.Name;
        w.WriteStartObject("attribution");
        var any = r.Attribution.Values.FirstOrDefault();
        if (any is not null)
        {
            w.WriteString("conversions", "every goal conversion of the run (a user's goal event once, whichever journeys it converts)");
            w.WriteNumber("total_conversions", any.Conversions);
        }
        foreach (var (model, result) in r.Attribution.OrderBy(kv => kv.Key))
        {
            w.WriteStartObject(AttributionOptions.Name(model));
            var own = result.ByJourney.GetValueOrDefault(name);
            w.WriteNumber("conversions", Round(own?.Conversions ?? 0));
            w.WriteNumber("revenue", Money(own?.Revenue ?? 0));
            w.WriteStartObject("by_channel");
            foreach (var ((journey, channel), credit) in result.ByChannel.Where(kv => kv.Key.Journey == name).OrderBy(kv => kv.Key.Channel,
                StringComparer.Ordinal))
                WriteCredit(w, channel, credit);
            w.WriteEndObject();
            w.WriteStartObject("by_step");
            foreach (var ((journey, step), credit) in result.ByStep.Where(kv => kv.Key.Journey == name).OrderBy(kv => kv.Key.Step,
                StringComparer.Ordinal))
                WriteCredit(w, step, credit);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteCredit(Utf8JsonWriter w, string name, Credit credit)
    {
        w.WriteStartObject(name);
        w.WriteNumber("conversions", Round(credit.Conversions));
        w.WriteNumber("revenue", Money(credit.Revenue));
        w.WriteEndObject();
    }

    private static void WriteInterval(Utf8JsonWriter w, string name, Interval? interval, int digits = 4)
    {
        if (interval is not { } i) { w.WriteNull(name); return; }
        w.WriteStartObject(name);
        w.WriteNumber("estimate", Math.Round(i.Estimate, digits, MidpointRounding.AwayFromZero));
        w.WriteNumber("low", Math.Round(i.Low, digits, MidpointRounding.AwayFromZero));
        w.WriteNumber("high", Math.Round(i.High, digits, MidpointRounding.AwayFromZero));
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, Round(v)); else w.WriteNull(name);
    }

    private static double Round(double x) => Math.Round(x, 4, MidpointRounding.AwayFromZero);
    private static decimal Money(decimal x) => Math.Round(x, 2, MidpointRounding.AwayFromZero);
}
