using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Journeys.Replay;

/// <summary>
/// Counts of one journey in a replay: entries, suppressions, conversions, sends and cost read from
/// the metrics engine's results (the one count of each); exits, splits' arrivals per branch (held
/// out and winner-taken included) and per-step counts, which the engine does not measure, kept here.
/// </summary>
public sealed class JourneyStatistics(JourneyMachine machine, ReplayStatistics replay)
{
    public JourneyMachine Machine { get; } = machine;
    public JourneySymbol Journey => Machine.Journey;
    private FunnelCounts Funnel => replay.Results[Journey.Name].Total;
    public int Entered => (int)Funnel.Entered;
    public int EnteredHeldOut => (int)Funnel.EnteredHeldOut;
    public int EnteredTreated => Entered - EnteredHeldOut;
    public IReadOnlyDictionary<SuppressionReason, int> Suppressed => Enum.GetValues<SuppressionReason>()
        .ToDictionary(r => r, r => (int)Funnel.Suppressed.GetValueOrDefault(MeasureEvent.SuppressionName(r)));
    public int ConvertedTreated => (int)Funnel.Converted;
    public int ConvertedHeldOut => (int)Funnel.ConvertedHeldOut;
    public Dictionary<ExitReason, int> Exited { get; } = Enum.GetValues<ExitReason>().ToDictionary(r => r, _ => 0);
    /// <summary>Per split (source order): arrivals and conversions per branch, treated and held out.</summary>
    public List<SplitStatistics> Splits { get; } =
        [.. JourneyMachine.Splits(machine.Journey.Steps).DistinctBy(s => s.Name).Select(s => new SplitStatistics(s))];
    /// <summary>Per (channel, day in the workspace zone): [delivered, deferred, capped, held out].</summary>
    public SortedDictionary<(string Channel, DateOnly Day), int[]> Sends => new(replay.Results[Journey.Name].ByChannelDay.ToDictionary(kv => kv.Key,
        kv => new[] { (int)kv.Value.Sent, (int)kv.Value.Deferred, (int)kv.Value.Capped, (int)kv.Value.HeldOutSends }));

    /// <summary>Per step (by path, in source order): who reached it and what happened there.</summary>
    public IReadOnlyList<StepStatistics> Steps { get; } = [.. StepPath.Walk(machine.Journey.Steps).Select(p => new StepStatistics(p.Path, p.Step))];
    public decimal Cost => Funnel.Cost;

    public decimal? GoalRateTreated => Rate(ConvertedTreated, EnteredTreated);
    public decimal? GoalRateHeldOut => Rate(ConvertedHeldOut, EnteredHeldOut);

    private Dictionary<BoundStep, StepStatistics>? _stepOf;
    internal StepStatistics StepOf(BoundStep step) =>
        (_stepOf ??= Steps.ToDictionary(s => s.Step, ReferenceEqualityComparer.Instance as IEqualityComparer<BoundStep>))[step];

    public static decimal? Rate(int converted, int entered) =>
        entered == 0 ? null : Math.Round((decimal)converted / entered, 4, MidpointRounding.AwayFromZero);
}

public sealed class SplitStatistics(BoundSplit split)
{
    public BoundSplit Split { get; } = split;
    public int[] Entered { get; } = new int[split.Branches.Length];
    public int[] Converted { get; } = new int[split.Branches.Length];
    public int[] HeldOutEntered { get; } = new int[split.Branches.Length];
    public int[] HeldOutConverted { get; } = new int[split.Branches.Length];
    /// <summary>The latest `winner after` look that kept the split, if no winner has been chosen since.</summary>
    public Measurement.WinnerDecision? KeptBecause { get; internal set; }
}

/// <summary>
/// What happened at one step: arrivals (treated and held out), an `if`'s or a split's arrivals per
/// block or branch, a send's outcomes, and how waits ended (the rest are still waiting at the end of the run).
/// </summary>
public sealed class StepStatistics(string path, BoundStep step)
{
    public string Path { get; } = path;
    public BoundStep Step { get; } = step;
    public int Reached { get; internal set; }
    public int ReachedHeldOut { get; internal set; }
    /// <summary>An `if`: [then, else, neither]; a split: one per branch; otherwise empty.</summary>
    public int[] Branches { get; } = new int[step switch { BoundIf => 3, BoundSplit s => s.Branches.Length, _ => 0 }];
    public int[] Sends { get; } = new int[step is BoundSend ? 4 : 0];
    public int[] WaitEnds { get; } = new int[step is BoundWait ? 3 : 0];
    /// <summary>A send with `items:`: how many delivered sends carried each item (its text).</summary>
    public Dictionary<string, int> ItemsSent { get; } = new(StringComparer.Ordinal);

    /// <summary>The items delivered most often, most first (ties by text in code point order).</summary>
    public IReadOnlyList<(string Item, int Sends)> TopItems(int count) =>
        [.. ItemsSent.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, Engine.Data.CodePointComparer.Instance)
            .Take(count).Select(kv => (kv.Key, kv.Value))];
}

public enum SendColumn { Delivered = 0, Deferred = 1, Capped = 2, HeldOut = 3 }

/// <summary>What a replay did: per journey counts, and users reached by several journeys on one day.</summary>
public sealed class ReplayStatistics
{
    private readonly Dictionary<JourneySymbol, JourneyStatistics> _byJourney;
    private readonly Dictionary<(int User, DateOnly Day), SortedSet<string>> _reached = [];
    private readonly Dictionary<int, string> _userIds = [];

    internal ReplayStatistics(IEnumerable<JourneyMachine> machines, TimeZoneInfo zone, DateTime fromUtc, DateTime toUtc, int users)
    {
        Journeys = [.. machines.Select(m => new JourneyStatistics(m, this))];
        _byJourney = Journeys.ToDictionary(j => j.Journey);
        Zone = zone;
        FromUtc = fromUtc;
        ToUtc = toUtc;
        Users = users;
    }

    public IReadOnlyList<JourneyStatistics> Journeys { get; }
    public TimeZoneInfo Zone { get; }
    public DateTime FromUtc { get; }
    public DateTime ToUtc { get; }
    public int Users { get; }
    /// <summary>Every measurement event of the replay in order, with the channel feedback of the history's `message_*` events: the input of
    /// <see cref="Results"/>.</summary>
    public List<MeasureEvent> Measures { get; } = [];

    /// <summary>Per journey name: its results from the metrics engine (uplift, attribution, per day, channel, step and branch).</summary>
    public IReadOnlyDictionary<string, JourneyResults> Results =>
        _results ??= JourneyMetrics.Compute(Journeys.Select(j => j.Journey), Measures, Zone, Attribution);
    private Dictionary<string, JourneyResults>? _results;

    /// <summary>Attribution's window and half-life for <see cref="Results"/>.</summary>
    public AttributionOptions Attribution { get; set; } = AttributionOptions.Default;

    /// <summary>Deferred sends whose quiet window ends after the replay window (never sent in it).</summary>
    public int PendingDeferred { get; internal set; }

    /// <summary>
    /// Users with delivered sends from two or more journeys on one day
    /// (workspace zone): (user, day, journeys), by day then user id.
    /// </summary>
    public IReadOnlyList<(string UserId, DateOnly Day, IReadOnlyList<string> Journeys)> Overlaps =>
        [.. _reached.Where(kv => kv.Value.Count > 1)
            .Select(kv => (_userIds[kv.Key.User], kv.Key.Day, (IReadOnlyList<string>)[.. kv.Value]))
            .OrderBy(o => o.Day).ThenBy(o => o.Item1, StringComparer.Ordinal)];

    public JourneyStatistics For(JourneySymbol journey) => _byJourney[journey];

    internal void Record(JourneyAction action)
    {
        var j = _byJourney[action.Journey];
        switch (action)
        {
            case StepReachedAction r:
                var reached = j.StepOf(r.Step);
                reached.Reached++;
                if (r.HeldOut) reached.ReachedHeldOut++;
                if (reached.Branches.Length > 0) reached.Branches[r.Branch >= 0 ? r.Branch : reached.Branches.Length - 1]++;
                break;
            case WaitEndedAction w:
                j.StepOf(w.Wait).WaitEnds[(int)w.End]++;
                break;
            case ConvertedAction c:
                foreach (var split in j.Splits)
                    if (c.Branches.TryGetValue(split.Split.Name, out var b)) (c.HeldOut ? split.HeldOutConverted : split.Converted)[b]++;
                break;
            case WinnerKeptSplitAction kept:
                j.Splits.First(s => s.Split.Name == kept.Split.Name).KeptBecause = kept.Decision;
                break;
            case WinnerChosenAction chosen:
                j.Splits.First(s => s.Split.Name == chosen.Split.Name).KeptBecause = null;
                break;
            case ExitedAction x:
                j.Exited[x.Reason]++;
                break;
            case SplitAssignedAction a:
                var stats = j.Splits.First(s => s.Split.Name == a.Split.Name);
                (a.HeldOut ? stats.HeldOutEntered : stats.Entered)[a.Branch]++;
                break;
            case SendAction send:
                j.StepOf(send.Send).Sends[(int)(send.Outcome switch
                {
                    SendOutcome.Delivered => SendColumn.Delivered,
                    SendOutcome.Deferred => SendColumn.Deferred,
                    SendOutcome.Capped => SendColumn.Capped,
                    _ => SendColumn.HeldOut,
                })]++;
                if (send.Items is { } sentItems)
                {
                    var itemCounts = j.StepOf(send.Send).ItemsSent;
                    foreach (var item in sentItems)
                        if (item is not null && System.Convert.ToString(item, System.Globalization.CultureInfo.InvariantCulture) is { } text)
                            itemCounts[text] = itemCounts.GetValueOrDefault(text) + 1;
                }
                if (send.Outcome == SendOutcome.Delivered)
                {
                    _userIds[send.User.Index] = send.User.Id;
                    var key = (send.User.Index, DayOf(send.At));
                    if (!_reached.TryGetValue(key, out var set)) _reached[key] = set = new SortedSet<string>(StringComparer.Ordinal);
                    set.Add(j.Journey.Name);
                }
                break;
        }
    }

    private DateOnly DayOf(long ticks) => LocalTime.DateOf(ticks, Zone);

    // ------------------------------------------------------------------ journeys.json

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("from", ValueFormatter.FormatInstant(FromUtc));
            w.WriteString("to", ValueFormatter.FormatInstant(ToUtc));
            w.WriteString("day_zone", Zone.Id);
            w.WriteNumber("users", Users);
            w.WriteNumber("pending_deferred_sends", PendingDeferred);
            w.WriteStartObject("journeys");
            foreach (var j in Journeys) WriteJourney(w, j);
            w.WriteEndObject();
            var overlaps = Overlaps;
            w.WriteStartObject("overlap");
            w.WriteString("definition", "users with delivered sends from two or more journeys on the same day");
            w.WriteNumber("user_days", overlaps.Count);
            w.WriteNumber("users", overlaps.Select(o => o.UserId).Distinct().Count());
            w.WriteStartArray("examples");
            foreach (var (user, day, journeys) in overlaps.Take(5))
            {
                w.WriteStartObject();
                w.WriteString("user_id", user);
                w.WriteString("date", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteStartArray("journeys");
                foreach (var name in journeys) w.WriteStringValue(name);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteRate(Utf8JsonWriter w, string name, decimal? rate)
    {
        if (rate is { } r) w.WriteNumber(name, r); else w.WriteNull(name);
    }

    private void WriteJourney(Utf8JsonWriter w, JourneyStatistics j)
    {
        w.WriteStartObject(j.Journey.Name);
        if (j.Journey.Label is { } label) w.WriteString("label", label);
        w.WriteNumber("entered", j.Entered);
        w.WriteNumber("entered_treated", j.EnteredTreated);
        w.WriteNumber("held_out", j.EnteredHeldOut);
        w.WriteStartObject("suppressed");
        w.WriteNumber("audience", j.Suppressed[SuppressionReason.Audience]);
        w.WriteNumber("reentry", j.Suppressed[SuppressionReason.Reentry]);
        w.WriteNumber("already_in", j.Suppressed[SuppressionReason.AlreadyIn]);
        w.WriteEndObject();
        w.WriteStartObject("converted");
        w.WriteNumber("treated", j.ConvertedTreated);
        w.WriteNumber("held_out", j.ConvertedHeldOut);
        w.WriteEndObject();
        w.WriteStartObject("goal_rate");
        WriteRate(w, "treated", j.GoalRateTreated);
        WriteRate(w, "held_out", j.GoalRateHeldOut);
        w.WriteEndObject();
        w.WriteStartObject("exited");
        w.WriteNumber("converted", j.Exited[ExitReason.Converted]);
        w.WriteNumber("end_of_steps", j.Exited[ExitReason.EndOfSteps]);
        w.WriteNumber("exit_step", j.Exited[ExitReason.ExitStep]);
        w.WriteEndObject();
        w.WriteStartObject("splits");
        foreach (var s in j.Splits)
        {
            var state = j.Machine.SplitStates[s.Split.Name];
            w.WriteStartObject(s.Split.Name);
            if (s.Split.WinnerAfterTicks is { } after)
            {
                w.WriteString("winner_after", ValueFormatter.FormatDuration(new TimeSpan(after)));
                if (state.Winner is { } winner) w.WriteNumber("winner", winner + 1); else w.WriteNull("winner");
                if (state.WinnerAt is { } at) w.WriteString("winner_at", ValueFormatter.FormatInstant(new DateTime(at, DateTimeKind.Utc)));
                else w.WriteNull("winner_at");
                if (s.KeptBecause is { } kept)
                {
                    w.WriteString("no_winner_because", ResultsJson.Reason(kept.Reason));
                    w.WriteString("no_winner_explanation", kept.ReasonText);
                }
            }
            w.WriteStartArray("branches");
            for (var b = 0; b < s.Split.Branches.Length; b++)
            {
                w.WriteStartObject();
                w.WriteNumber("branch", b + 1);
                w.WriteNumber("share", s.Split.Branches[b].Percent);
                w.WriteString("first_step", Describe(s.Split.Branches[b].Steps));
                w.WriteNumber("entered", s.Entered[b]);
                w.WriteNumber("converted", s.Converted[b]);
                WriteRate(w, "goal_rate", JourneyStatistics.Rate(s.Converted[b], s.Entered[b]));
                w.WriteNumber("held_out_entered", s.HeldOutEntered[b]);
                w.WriteNumber("held_out_converted", s.HeldOutConverted[b]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject("sends");
        foreach (var channel in j.Sends.Keys.Select(k => k.Channel).Distinct())
        {
            w.WriteStartObject(channel);
            var total = new int[4];
            w.WriteStartObject("by_day");
            foreach (var ((c, day), counts) in j.Sends.Where(kv => kv.Key.Channel == channel))
            {
                w.WriteStartObject(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                WriteCounts(w, counts);
                w.WriteEndObject();
                for (var i = 0; i < 4; i++) total[i] += counts[i];
            }
            w.WriteEndObject();
            w.WriteStartObject("total");
            WriteCounts(w, total);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteNumber("cost", j.Cost);
        WriteSteps(w, j);
        var results = Results[j.Journey.Name];
        ResultsJson.WriteUplift(w, results.Uplift);
        ResultsJson.WriteAttribution(w, results);
        w.WriteStartObject("results");
        ResultsJson.WriteBody(w, results, upliftAndAttribution: false);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteSteps(Utf8JsonWriter w, JourneyStatistics j)
    {
        w.WriteStartObject("steps");
        foreach (var s in j.Steps)
        {
            w.WriteStartObject(s.Path);
            w.WriteString("step", Describe([s.Step]));
            w.WriteNumber("reached", s.Reached);
            w.WriteNumber("reached_held_out", s.ReachedHeldOut);
            switch (s.Step)
            {
                case BoundSend send:
                    WriteCounts(w, s.Sends);
                    if (send.Items is not null)
                    {
                        // The items the delivered sends carried: the 20 most sent, with how many sends carried each.
                        w.WriteStartArray("top_items");
                        foreach (var (item, sends) in s.TopItems(20))
                        {
                            w.WriteStartObject();
                            w.WriteString("item", item);
                            w.WriteNumber("sends", sends);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                    }
                    break;
                case BoundWait:
                    w.WriteNumber("resumed_by_event", s.WaitEnds[(int)WaitEnd.Event]);
                    w.WriteNumber("timed_out", s.WaitEnds[(int)WaitEnd.Timeout]);
                    w.WriteNumber("converted", s.WaitEnds[(int)WaitEnd.Converted]);
                    w.WriteNumber("waiting", s.Reached - s.WaitEnds.Sum());
                    break;
                case BoundIf:
                    w.WriteNumber("then", s.Branches[0]);
                    w.WriteNumber("else", s.Branches[1]);
                    w.WriteNumber("neither", s.Branches[2]);
                    break;
                case BoundSplit:
                    w.WriteStartArray("branches");
                    foreach (var n in s.Branches) w.WriteNumberValue(n);
                    w.WriteEndArray();
                    break;
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter w, int[] counts)
    {
        w.WriteNumber("delivered", counts[(int)SendColumn.Delivered]);
        w.WriteNumber("deferred", counts[(int)SendColumn.Deferred]);
        w.WriteNumber("capped", counts[(int)SendColumn.Capped]);
        w.WriteNumber("held_out", counts[(int)SendColumn.HeldOut]);
    }

    /// <summary>A short description of a branch: its first step.</summary>
    public static string Describe(IReadOnlyList<BoundStep> steps) => steps.Count == 0 ? "(nothing)" : steps[0] switch
    {
        BoundSend s => s.Text,
        BoundWait w => $"wait {ValueFormatter.FormatDuration(new TimeSpan(w.DurationTicks))}" + (w.Until is null ? "" : $" until {w.Until.Name}"),
        BoundIf => "if …",
        BoundSplit s => $"split \"{s.Name}\"",
        _ => "exit",
    };
}
