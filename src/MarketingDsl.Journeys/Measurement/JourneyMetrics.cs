using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys.Measurement;

/// <summary>Counts of one slice of a journey's results (the whole journey, a day, a channel, a step, a branch).</summary>
public sealed class FunnelCounts
{
    public long Entered, EnteredHeldOut, Assigned, Sent, Deferred, Capped, HeldOutSends, Delivered, Failed, Opened, Clicked, Converted,
        ConvertedHeldOut;
    public decimal Revenue, RevenueHeldOut, Cost;
    public long EnteredTreated => Entered - EnteredHeldOut;
    public readonly SortedDictionary<string, long> Suppressed = new(StringComparer.Ordinal) { ["audience"] = 0, ["reentry"] = 0, ["already_in"] = 0 };
    /// <summary>Revenue per treated and per held-out entry (entries without a conversion add 0).</summary>
    internal Moments RevenueTreatedMoments, RevenueHeldOutMoments;

    /// <summary>(revenue − cost) ÷ cost; null without cost.</summary>
    public double? Roi => Cost == 0 ? null : (double)((Revenue - Cost) / Cost);

    internal void Add(MeasureEvent e)
    {
        switch (e.Kind)
        {
            case MeasureKind.Entered: Entered++; if (e.HeldOut) EnteredHeldOut++; break;
            case MeasureKind.Suppressed: Suppressed[e.Reason ?? "already_in"] = Suppressed.GetValueOrDefault(e.Reason ?? "already_in") + 1; break;
            case MeasureKind.Assigned: if (!e.HeldOut) Assigned++; break;
            case MeasureKind.Sent: Sent++; Cost += e.Cost; break;
            case MeasureKind.Deferred: Deferred++; break;
            case MeasureKind.Capped: Capped++; break;
            case MeasureKind.HeldOutSend: HeldOutSends++; break;
            case MeasureKind.Delivered: Delivered++; break;
            case MeasureKind.Failed: Failed++; break;
            case MeasureKind.Opened: Opened++; break;
            case MeasureKind.Clicked: Clicked++; break;
            case MeasureKind.Converted:
                if (e.HeldOut) { ConvertedHeldOut++; RevenueHeldOut += e.Revenue; RevenueHeldOutMoments = RevenueHeldOutMoments.Add((double)e.Revenue); }
                else { Converted++; Revenue += e.Revenue; RevenueTreatedMoments = RevenueTreatedMoments.Add((double)e.Revenue); }
                break;
        }
    }
}

/// <summary>Treated against held out: the goal rates with Wilson intervals, their difference with Newcombe's, and incremental conversions
/// and revenue.</summary>
public sealed record Uplift(
    Interval? TreatedRate, Interval? HeldOutRate, Interval? Difference, double? RelativeLift,
    Interval? IncrementalConversions, Interval? RevenuePerEntryDifference, Interval? IncrementalRevenue);

/// <summary>One branch of a split: its treated arrivals and conversions, and the sends it made.</summary>
public sealed record BranchResult(int Branch, decimal Share, string FirstStep, long Entered, long Converted, decimal Revenue, Interval? Rate,
    Interval? DifferenceFromFirst, double? SequentialPValueAgainstFirst, FunnelCounts Sends);

/// <summary>A split's results with its tests.</summary>
public sealed record SplitResult(string Name, long? WinnerAfterTicks, IReadOnlyList<BranchResult> Branches,
    (double Statistic, int Df, double P)? ChiSquared, double SampleRatioPValue, bool SampleRatioMismatch, WinnerDecision Decision);

/// <summary>The results of one journey: totals, per day, channel, step and split branch, uplift, attribution.</summary>
/// <summary>
/// When the journey sends against when its users respond, by local hour (the workspace zone): sends,
/// opens and conversions per hour, and per hour of the entry's last send before a conversion the
/// conversions that followed it. Moving every send to the hour whose sends converted best would add
/// about <see cref="ExpectedExtraConversions"/> — an observational estimate (hours differ in who is
/// sent to), not an experiment: a split on send time measures it.
/// </summary>
public sealed class SendTimeDiagnosis
{
    /// <summary>An hour needs this many sends before its conversion rate is compared.</summary>
    public const int MinimumSends = 30;
    public long[] Sent { get; } = new long[24];
    public long[] Opened { get; } = new long[24];
    public long[] Converted { get; } = new long[24];
    /// <summary>Conversions per hour of the entry's last send before them.</summary>
    public long[] ConvertedAfterSend { get; } = new long[24];

    public double? RateAfterSend(int hour) => Sent[hour] == 0 ? null : (double)ConvertedAfterSend[hour] / Sent[hour];
    /// <summary>The hour most sends go at; null without sends.</summary>
    public int? PeakSendHour => Sent.Max() == 0 ? null : Array.IndexOf(Sent, Sent.Max());
    /// <summary>The hour with at least <see cref="MinimumSends"/> sends whose sends converted best.</summary>
    public int? BestHour
    {
        get
        {
            int? best = null;
            for (var h = 0; h < 24; h++)
                if (Sent[h] >= MinimumSends && (best is not { } b || RateAfterSend(h) > RateAfterSend(b))) best = h;
            return best;
        }
    }
    public double? ExpectedExtraConversions => BestHour is { } best ? RateAfterSend(best)!.Value * Sent.Sum() - ConvertedAfterSend.Sum() : null;
}

public sealed class JourneyResults(JourneySymbol journey)
{
    public SendTimeDiagnosis SendTime { get; } = new();
    public JourneySymbol Journey { get; } = journey;
    public FunnelCounts Total { get; } = new();
    public SortedDictionary<DateOnly, FunnelCounts> ByDay { get; } = [];
    public SortedDictionary<string, FunnelCounts> ByChannel { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, FunnelCounts> ByStep { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> StepDescriptions { get; } = new(StringComparer.Ordinal);
    public List<SplitResult> Splits { get; } = [];
    public Uplift Uplift { get; internal set; } = null!;
    public Dictionary<AttributionModel, AttributionResult> Attribution { get; internal set; } = [];
}

/// <summary>
/// The metrics engine: from measurement events (replay's, or the live store's with channel
/// feedback) computes every journey's results. One engine for both hosts, so replay and live
/// agree on the same events. Days are in the workspace zone.
/// </summary>
public static class JourneyMetrics
{
    /// <summary>
    /// Every journey's results from <paramref name="events"/> (in time order). Attribution runs over the same
    /// events unless <paramref name="credit"/> is given (the live window adds sends from before it).
    /// </summary>
    public static Dictionary<string, JourneyResults> Compute(IEnumerable<JourneySymbol> journeys, IReadOnlyList<MeasureEvent> events,
        TimeZoneInfo zone,
        AttributionOptions? attribution = null, Dictionary<AttributionModel, AttributionResult>? credit = null)
    {
        var results = new Dictionary<string, JourneyResults>(StringComparer.Ordinal);
        var paths = new Dictionary<string, StepPaths>(StringComparer.Ordinal);
        foreach (var journey in journeys)
        {
            results[journey.Name] = new JourneyResults(journey);
            var steps = paths[journey.Name] = new StepPaths(journey);
            foreach (var (path, send) in steps.Sends)
                results[journey.Name].StepDescriptions[path] = send.Text;
        }
        var splitCounts = new Dictionary<(string Journey, string Split), (long[] Entered, long[] Converted, decimal[] Revenue,
            FunnelCounts[] Sends)>();
        foreach (var r in results.Values)
            foreach (var split in JourneyMachine.Splits(r.Journey.Steps).DistinctBy(s => s.Name))
                splitCounts[(r.Journey.Name, split.Name)] = (new long[split.Branches.Length], new long[split.Branches.Length],
                    new decimal[split.Branches.Length], [.. split.Branches.Select(_ => new FunnelCounts())]);

        // Split tests compare the arrivals the bucket assigned: once a winner takes every arrival, those (and their conversions) would bias them.
        var byWinner = new HashSet<(string Journey, string User, long EntryAt, string Split)>();
        var lastSendHour = new Dictionary<(string Journey, string User, long EntryAt), int>();
        foreach (var e in events)
        {
            if (!results.TryGetValue(e.Journey, out var r)) continue;
            r.Total.Add(e);
            if (e.Kind is MeasureKind.Sent or MeasureKind.Opened || e.Kind == MeasureKind.Converted && !e.HeldOut)
            {
                var hour = LocalTime.HourOf(e.At, zone);
                if (e.Kind == MeasureKind.Sent) { r.SendTime.Sent[hour]++; lastSendHour[(e.Journey, e.User, e.EntryAt)] = hour; }
                else if (e.Kind == MeasureKind.Opened) r.SendTime.Opened[hour]++;
                else
                {
                    r.SendTime.Converted[hour]++;
                    if (lastSendHour.TryGetValue((e.Journey, e.User, e.EntryAt), out var sentAt)) r.SendTime.ConvertedAfterSend[sentAt]++;
                }
            }
            var day = LocalTime.DateOf(e.At, zone);
            if (!r.ByDay.TryGetValue(day, out var daily)) r.ByDay[day] = daily = new FunnelCounts();
            daily.Add(e);
            if (e.Channel is { } channel)
            {
                if (!r.ByChannel.TryGetValue(channel, out var c)) r.ByChannel[channel] = c = new FunnelCounts();
                c.Add(e);
                if (!r.ByStep.TryGetValue(e.Step!, out var s)) r.ByStep[e.Step!] = s = new FunnelCounts();
                s.Add(e);
                if (e.Split is { } sendSplit && splitCounts.TryGetValue((e.Journey, sendSplit), out var sc) && e.Branch < sc.Sends.Length)
                    sc.Sends[e.Branch].Add(e);
            }
            if (e.Kind == MeasureKind.Assigned && !e.HeldOut && e.Reason == MeasureEvents.ByWinner) byWinner.Add((e.Journey, e.User, e.EntryAt,
                e.Split!));
            else if (e.Kind == MeasureKind.Assigned && !e.HeldOut && splitCounts.TryGetValue((e.Journey, e.Split!), out var assigned)
                && e.Branch < assigned.Entered.Length)
                assigned.Entered[e.Branch]++;
            if (e.Kind == MeasureKind.Converted && !e.HeldOut)
                foreach (var (split, branch) in MeasureEvent.ParseBranches(e.Branches))
                    if (!byWinner.Contains((e.Journey, e.User, e.EntryAt, split))
                        && splitCounts.TryGetValue((e.Journey, split), out var converted) && branch < converted.Converted.Length)
                    {
                        converted.Converted[branch]++;
                        converted.Revenue[branch] += e.Revenue;
                    }
        }

        credit ??= Attribution.Compute(events, attribution ?? AttributionOptions.Default);
        foreach (var r in results.Values)
        {
            r.Uplift = UpliftOf(r.Total);
            r.Attribution = credit;
            foreach (var split in JourneyMachine.Splits(r.Journey.Steps).DistinctBy(s => s.Name))
            {
                var (entered, converted, revenue, sends) = splitCounts[(r.Journey.Name, split.Name)];
                var shares = split.Branches.Select(b => b.Percent).ToArray();
                var branches = new List<BranchResult>();
                for (var b = 0; b < split.Branches.Length; b++)
                    branches.Add(new BranchResult(b, shares[b], Replay.ReplayStatistics.Describe(split.Branches[b].Steps), entered[b],
                        converted[b], revenue[b],
                        Intervals.Wilson(converted[b], entered[b]),
                        b == 0 ? null : Intervals.NewcombeDifference(converted[b], entered[b], converted[0], entered[0]),
                        b == 0 || entered[b] == 0 || entered[0] == 0 ? null : SplitSignificance.SequentialPValue(converted[b], entered[b],
                            converted[0], entered[0]),
                        sends[b]));
                var srm = SplitSignificance.SampleRatioPValue(entered, shares);
                r.Splits.Add(new SplitResult(split.Name, split.WinnerAfterTicks, branches, SplitSignificance.ChiSquared(entered, converted), srm,
                    srm < SplitSignificance.SampleRatioAlpha, SplitSignificance.DecideWinner(entered, converted, shares)));
            }
        }
        return results;
    }

    public static Uplift UpliftOf(FunnelCounts t)
    {
        var treated = Intervals.Wilson(t.Converted, t.EnteredTreated);
        var heldOut = Intervals.Wilson(t.ConvertedHeldOut, t.EnteredHeldOut);
        var difference = Intervals.NewcombeDifference(t.Converted, t.EnteredTreated, t.ConvertedHeldOut, t.EnteredHeldOut);
        double? relative = treated is { } a && heldOut is { Estimate: > 0 } b ? a.Estimate / b.Estimate - 1 : null;
        var n = t.EnteredTreated;
        Interval? incremental = difference is { } d ? new Interval(d.Estimate * n, d.Low * n, d.High * n) : null;
        var perEntry = Intervals.MeanDifference(t.RevenueTreatedMoments.AddZeros(n - t.Converted),
            t.RevenueHeldOutMoments.AddZeros(t.EnteredHeldOut - t.ConvertedHeldOut));
        Interval? incrementalRevenue = perEntry is { } p ? new Interval(p.Estimate * n, p.Low * n, p.High * n) : null;
        return new Uplift(treated, heldOut, difference, relative, incremental, perEntry, incrementalRevenue);
    }
}
