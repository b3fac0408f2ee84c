using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys.Measurement;

/// <summary>What a measurement event records.</summary>
public enum MeasureKind
{
    Entered, Suppressed, Assigned,
    /// <summary>A send handed to its channel (the machine's <see cref="SendOutcome.Delivered"/>: delivered to the channel, not yet to the
    /// person).</summary>
    Sent, Deferred, Capped, HeldOutSend,
    /// <summary>Channel receipts and engagement of a send (feedback), each at most once per send.</summary>
    Delivered, Failed, Opened, Clicked,
    Converted,
    /// <summary>A user reached a step (<see cref="MeasureEvent.Step"/>; an `if`'s or split's block taken in <see cref="MeasureEvent.Branch"/>,
    /// -1 for an `if` that took neither), a wait ended (<see cref="MeasureEvent.Reason"/>: event, timeout, converted), a user left the
    /// journey (reason: converted, end_of_steps, exit_step): the per-step counts of <see cref="StepTable"/>.</summary>
    Reached, WaitEnded, Exited,
}

/// <summary>
/// One fact of a journey's results: the single input of <see cref="JourneyMetrics"/>. Replay and
/// the live runtime both turn the machine's actions into these with <see cref="MeasureEvents"/>
/// (the live runtime stores them, and adds channel feedback), so both measure the same way.
/// </summary>
public sealed record MeasureEvent(string Journey, string User, long At, MeasureKind Kind)
{
    public bool HeldOut { get; init; }
    /// <summary>The instant of the entry this fact belongs to (UTC ticks).</summary>
    public long EntryAt { get; init; }
    /// <summary>Sends and their feedback: the channel, the step path (<see cref="StepPaths"/>) and its cost.</summary>
    public string? Channel { get; init; }
    public string? Step { get; init; }
    public decimal Cost { get; init; }
    /// <summary>A send inside a split branch, and <see cref="MeasureKind.Assigned"/>: the split's name and the branch (0-based).</summary>
    public string? Split { get; init; }
    public int Branch { get; init; }
    /// <summary><see cref="MeasureKind.Suppressed"/>: the reason (audience, reentry, already_in); <see cref="MeasureKind.Assigned"/>:
    /// "winner" when the split's winner took the arrival (not the bucket).</summary>
    public string? Reason { get; init; }
    /// <summary><see cref="MeasureKind.Converted"/>: the goal's value (0 without `value`), and every split branch of the entry
    /// ("split=branch;…").</summary>
    public decimal Revenue { get; init; }
    public string? Branches { get; init; }

    public static string SuppressionName(SuppressionReason reason) => reason switch
    {
        SuppressionReason.Audience => "audience",
        SuppressionReason.Reentry => "reentry",
        _ => "already_in",
    };

    /// <summary>"split=branch;…" in ordinal split-name order: the stored form of an entry's branches.</summary>
    public static string FormatBranches(IReadOnlyDictionary<string, int> branches) =>
        string.Join(';', branches.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv
            => kv.Key + "=" + kv.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public static IEnumerable<(string Split, int Branch)> ParseBranches(string? text)
    {
        if (string.IsNullOrEmpty(text)) yield break;
        foreach (var part in text.Split(';'))
        {
            var eq = part.LastIndexOf('=');
            if (eq > 0 && int.TryParse(part.AsSpan(eq + 1), System.Globalization.CultureInfo.InvariantCulture,
                out var b)) yield return (part[..eq], b);
        }
    }
}

/// <summary>Turns the machine's actions into measurement events: the one place both hosts go through.</summary>
public static class MeasureEvents
{
    /// <summary>The <see cref="MeasureEvent.Reason"/> of an arrival the split's winner took.</summary>
    public const string ByWinner = "winner";

    /// <summary>
    /// The measurement event of <paramref name="action"/> (null for actions that measure nothing:
    /// wait and winner timers). <paramref name="entryAt"/> is the entry the action belongs to
    /// (a deferred send's entry comes from its timer); <paramref name="revenue"/> is a conversion's
    /// goal value, which the host reads from the goal event.
    /// </summary>
    public static MeasureEvent? From(JourneyAction action, StepPaths steps, long entryAt, decimal revenue = 0)
    {
        var journey = action.Journey.Name;
        switch (action)
        {
            case EnteredAction e:
                return new MeasureEvent(journey, e.User.Id, e.At, MeasureKind.Entered) { HeldOut = e.HeldOut, EntryAt = e.At };
            case SuppressedAction s:
                return new MeasureEvent(journey, s.User.Id, s.At, MeasureKind.Suppressed) { Reason = MeasureEvent.SuppressionName(s.Reason),
                    EntryAt = entryAt };
            case SplitAssignedAction a:
                return new MeasureEvent(journey, a.User.Id, a.At, MeasureKind.Assigned)
                {
                    HeldOut = a.HeldOut, Split = a.Split.Name, Branch = a.Branch, EntryAt = entryAt, Reason = a.ByWinner ? ByWinner : null,
                };
            case ConvertedAction c:
                return new MeasureEvent(journey, c.User.Id, c.At, MeasureKind.Converted)
                {
                    HeldOut = c.HeldOut, EntryAt = c.EntryAt, Revenue = revenue, Branches = MeasureEvent.FormatBranches(c.Branches),
                };
            case StepReachedAction r:
                return new MeasureEvent(journey, r.User.Id, r.At, MeasureKind.Reached)
                {
                    HeldOut = r.HeldOut, EntryAt = entryAt, Step = steps.PathOf(r.Step), Branch = r.Branch,
                };
            case WaitEndedAction w:
                return new MeasureEvent(journey, w.User.Id, w.At, MeasureKind.WaitEnded)
                {
                    EntryAt = entryAt, Step = steps.PathOf(w.Wait), Reason = StepCounts.WaitEndName(w.End),
                };
            case ExitedAction x:
                return new MeasureEvent(journey, x.User.Id, x.At, MeasureKind.Exited) { EntryAt = entryAt, Reason = StepCounts.ExitName(x.Reason) };
            case SendAction send:
                var kind = send.Outcome switch
                {
                    SendOutcome.Delivered => MeasureKind.Sent,
                    SendOutcome.Deferred => MeasureKind.Deferred,
                    SendOutcome.Capped => MeasureKind.Capped,
                    _ => MeasureKind.HeldOutSend,
                };
                var branch = steps.BranchOf(send.Send);
                return new MeasureEvent(journey, send.User.Id, send.At, kind)
                {
                    HeldOut = send.Outcome == SendOutcome.HeldOut, EntryAt = entryAt, Channel = send.Send.Channel.Name,
                        Step = steps.PathOf(send.Send),
                    Cost = kind == MeasureKind.Sent ? send.Send.Channel.Cost : 0, Split = branch?.Split, Branch = branch?.Branch ?? 0,
                };
            default:
                return null;
        }
    }

    /// <summary>The goal value of a conversion from the goal event's field value (null, or no `value`: 0).</summary>
    public static decimal Revenue(BoundGoal? goal, object? fieldValue) => goal?.ValueField is null ? 0 : fieldValue switch
    {
        decimal d => d,
        long l => l,
        int i => i,
        double x => (decimal)x,
        _ => 0,
    };
}
