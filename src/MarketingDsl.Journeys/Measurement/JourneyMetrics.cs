using System.Runtime.InteropServices;
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
                if (e.HeldOut)
                {
                    ConvertedHeldOut++;
                    RevenueHeldOut += e.Revenue;
                    RevenueHeldOutMoments = RevenueHeldOutMoments.Add((double)e.Revenue);
                }
                else
                {
                    Converted++;
                    Revenue += e.Revenue;
                    RevenueTreatedMoments = RevenueTreatedMoments.Add((double)e.Revenue);
                }
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
    /// <summary>Sends per channel and day (replay's `sends.<channel>.by_day`).</summary>
    public Dictionary<(string Channel, DateOnly Day), FunnelCounts> ByChannelDay { get; } = [];
    public Dictionary<string, string> StepDescriptions { get; } = new(StringComparer.Ordinal);
    /// <summary>Every step's arrivals, branches and wait ends, and the journey's exits (the canvas's counts).</summary>
    public StepTable Steps { get; } = new(journey);
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
        var tallies = new Dictionary<string, JourneyTally>(StringComparer.Ordinal);
        foreach (var journey in journeys)
        {
            var r = results[journey.Name] = new JourneyResults(journey);
            tallies[journey.Name] = new JourneyTally(r);
            foreach (var (path, send) in new StepPaths(journey).Sends)
                r.StepDescriptions[path] = send.Text;
        }
        // One pass over the events reads each once; what attribution and the send-time diagnosis need later is gathered on the way.
        var input = new AttributionInput();
        var sendHour = new byte[events.Count];   // local hour + 1 of a send of a declared journey
        var treatedConversions = new List<(JourneyTally Tally, int Index, int Conversion)>();
        // Split tests compare the arrivals the bucket assigned: once a winner takes every arrival, those (and their conversions) would bias them.
        var byWinner = new HashSet<(string Journey, string User, long EntryAt, string Split)>();
        var branchLists = new Dictionary<string, (string Split, int Branch)[]>(StringComparer.Ordinal);
        var clock = new LocalClock(zone);
        JourneyTally? tally = null;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            input.Add(e, i);
            if (tally is null || !ReferenceEquals(tally.Name, e.Journey) && tally.Name != e.Journey)
                if (!tallies.TryGetValue(e.Journey, out tally)) continue;
            var r = tally.Results;
            r.Steps.Add(e);
            if (e.Kind is MeasureKind.Reached or MeasureKind.WaitEnded or MeasureKind.Exited) continue;
            r.Total.Add(e);
            var local = clock.LocalTicks(e.At);
            if (e.Kind is MeasureKind.Sent or MeasureKind.Opened || e.Kind == MeasureKind.Converted && !e.HeldOut)
            {
                var hour = LocalClock.HourOfLocal(local);
                if (e.Kind == MeasureKind.Sent) { r.SendTime.Sent[hour]++; sendHour[i] = (byte)(hour + 1); }
                else if (e.Kind == MeasureKind.Opened) r.SendTime.Opened[hour]++;
                else { r.SendTime.Converted[hour]++; treatedConversions.Add((tally, i, input.Conversions.Count - 1)); }
            }
            var day = LocalClock.DayNumberOfLocal(local);
            tally.Day(day).Add(e);
            if (e.Channel is { } channel)
            {
                tally.Channel(channel).Add(e);
                tally.ChannelDay(channel, day).Add(e);
                tally.Step(e.Step!).Add(e);
                if (e.Split is { } sendSplit && tally.Split(sendSplit) is { } sc && e.Branch < sc.Sends.Length) sc.Sends[e.Branch].Add(e);
            }
            if (e.Kind == MeasureKind.Assigned && !e.HeldOut)
            {
                if (e.Reason == MeasureEvents.ByWinner) byWinner.Add((e.Journey, e.User, e.EntryAt, e.Split!));
                else if (tally.Split(e.Split!) is { } assigned && e.Branch < assigned.Entered.Length) assigned.Entered[e.Branch]++;
            }
            if (e.Kind == MeasureKind.Converted && !e.HeldOut && e.Branches is { Length: > 0 } text)
            {
                ref var parsed = ref CollectionsMarshal.GetValueRefOrAddDefault(branchLists, text, out var known);
                if (!known) parsed = [.. MeasureEvent.ParseBranches(text)];
                foreach (var (split, branch) in parsed!)
                    if ((byWinner.Count == 0 || !byWinner.Contains((e.Journey, e.User, e.EntryAt, split)))
                        && tally.Split(split) is { } converted && branch < converted.Converted.Length)
                    {
                        converted.Converted[branch]++;
                        converted.Revenue[branch] += e.Revenue;
                    }
            }
        }
        var sendsByUser = new SendsByUser(input);
        // A treated conversion follows the hour of its entry's latest send before it in the stream.
        foreach (var (t, index, conversion) in treatedConversions)
        {
            var e = events[index];
            var latest = -1;
            var (from, to) = sendsByUser.Of(sendsByUser.ConversionUser[conversion]);
            for (var k = from; k < to; k++)
            {
                var s = sendsByUser.Sends[k].Index;
                if (s < index && s > latest && sendHour[s] > 0 && events[s].EntryAt == e.EntryAt && events[s].Journey == e.Journey) latest = s;
            }
            if (latest >= 0) t.Results.SendTime.ConvertedAfterSend[sendHour[latest] - 1]++;
        }
        credit ??= Attribution.Compute(events, sendsByUser, attribution ?? AttributionOptions.Default);
        foreach (var t in tallies.Values)
        {
            var r = t.Results;
            t.CopySlices();
            r.Uplift = UpliftOf(r.Total);
            r.Attribution = credit;
            foreach (var (split, (entered, converted, revenue, sends)) in t.Splits)
            {
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

    /// <summary>
    /// One journey's counts while the events pass: slices found by hash once per new key and by
    /// reference while consecutive events share their key strings (replay's do), copied into the
    /// sorted maps of <see cref="JourneyResults"/> at the end.
    /// </summary>
    private sealed class JourneyTally
    {
        public JourneyTally(JourneyResults results)
        {
            Results = results;
            Name = results.Journey.Name;
            Splits = [.. JourneyMachine.Splits(results.Journey.Steps).DistinctBy(s => s.Name).Select(s => (s,
                new SplitCounts(new long[s.Branches.Length], new long[s.Branches.Length], new decimal[s.Branches.Length],
                    [.. s.Branches.Select(_ => new FunnelCounts())])))];
        }

        public JourneyResults Results { get; }
        public string Name { get; }
        public List<(BoundSplit Split, SplitCounts Counts)> Splits { get; }
        private readonly Dictionary<int, FunnelCounts> _days = [];
        private readonly Dictionary<string, FunnelCounts> _channels = new(StringComparer.Ordinal);
        private readonly Dictionary<string, FunnelCounts> _steps = new(StringComparer.Ordinal);
        private (int Day, FunnelCounts? Counts) _lastDay = (int.MinValue, null);
        private readonly Dictionary<(string, int), FunnelCounts> _channelDays = [];
        private (string? Key, FunnelCounts? Counts) _lastChannel, _lastStep;
        private (string? Channel, int Day, FunnelCounts? Counts) _lastChannelDay;

        public FunnelCounts Day(int dayNumber)
        {
            if (_lastDay.Day == dayNumber) return _lastDay.Counts!;
            ref var counts = ref CollectionsMarshal.GetValueRefOrAddDefault(_days, dayNumber, out _);
            _lastDay = (dayNumber, counts ??= new FunnelCounts());
            return counts;
        }

        public FunnelCounts Channel(string channel) => Slice(_channels, ref _lastChannel, channel);

        public FunnelCounts ChannelDay(string channel, int dayNumber)
        {
            if (_lastChannelDay.Day == dayNumber && ReferenceEquals(_lastChannelDay.Channel, channel)) return _lastChannelDay.Counts!;
            ref var counts = ref CollectionsMarshal.GetValueRefOrAddDefault(_channelDays, (channel, dayNumber), out _);
            _lastChannelDay = (channel, dayNumber, counts ??= new FunnelCounts());
            return counts;
        }
        public FunnelCounts Step(string step) => Slice(_steps, ref _lastStep, step);

        private static FunnelCounts Slice(Dictionary<string, FunnelCounts> slices, ref (string? Key, FunnelCounts? Counts) last, string key)
        {
            if (ReferenceEquals(last.Key, key)) return last.Counts!;
            ref var counts = ref CollectionsMarshal.GetValueRefOrAddDefault(slices, key, out _);
            last = (key, counts ??= new FunnelCounts());
            return counts;
        }

        public SplitCounts? Split(string name)
        {
            foreach (var (split, counts) in Splits)
                if (ReferenceEquals(split.Name, name) || split.Name == name) return counts;
            return null;
        }

        public void CopySlices()
        {
            foreach (var (day, counts) in _days) Results.ByDay[DateOnly.FromDayNumber(day)] = counts;
            foreach (var (channel, counts) in _channels) Results.ByChannel[channel] = counts;
            foreach (var (step, counts) in _steps) Results.ByStep[step] = counts;
            foreach (var ((channel, day), counts) in _channelDays) Results.ByChannelDay[(channel, DateOnly.FromDayNumber(day))] = counts;
        }
    }

    private sealed record SplitCounts(long[] Entered, long[] Converted, decimal[] Revenue, FunnelCounts[] Sends);

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
