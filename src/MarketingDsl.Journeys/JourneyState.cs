using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys;

/// <summary>
/// One level of a position in the step tree: <see cref="Selector"/> picks the block inside the
/// step the parent frame points at (an `if`: 0 then, 1 else; a split: the branch; the top frame:
/// -1, the journey's steps), <see cref="Index"/> the step in that block.
/// </summary>
public record struct StepFrame(int Selector, int Index);

/// <summary>
/// A pending `wait`: resumes at <see cref="Until"/>, or earlier at the first
/// <see cref="Event"/> (matching <see cref="Where"/>) with Start &lt; ts ≤ Until.
/// </summary>
public sealed record PendingWait(long Start, long Until, EventTypeSymbol? Event, BoundExpression? Where, int Token);

/// <summary>
/// The state of one user in one journey. Plain data (no references to services), so the live
/// runtime can store it; <see cref="JourneyMachine"/> is the only code that changes it.
/// </summary>
public sealed class UserJourneyState
{
    /// <summary>In the journey now (entered and not yet converted, exited or at the end of the steps).</summary>
    public bool Active { get; set; }
    /// <summary>Entries so far (for `reentry: once`).</summary>
    public int Entries { get; set; }
    /// <summary>The instant of the latest entry (UTC ticks), if any.</summary>
    public long? EntryAt { get; set; }
    public bool HeldOut { get; set; }
    /// <summary>The goal of the latest entry is watched while ts ≤ this; null when there is no goal or it is no longer watched.</summary>
    public long? GoalUntil { get; set; }
    /// <summary>Where the user is in the step tree (empty when not active).</summary>
    public List<StepFrame> Position { get; } = [];
    public PendingWait? Wait { get; set; }
    /// <summary>Branch chosen per split name in the latest entry.</summary>
    public Dictionary<string, int> Branches { get; } = new(StringComparer.Ordinal);
    /// <summary>Bumped at each wait; a timer whose token differs is stale.</summary>
    public int Token { get; set; }
}

/// <summary>The state of one split shared by every user of a journey: for `winner after`.</summary>
public sealed class SplitState(int branches)
{
    public long? FirstArrival { get; set; }
    public int? Winner { get; set; }
    public long? WinnerAt { get; set; }
    /// <summary>Treated (not held-out) arrivals per branch.</summary>
    public int[] Entered { get; } = new int[branches];
    /// <summary>Treated conversions per branch.</summary>
    public int[] Converted { get; } = new int[branches];
}

public enum SuppressionReason { AlreadyIn, Reentry, Audience }
public enum ExitReason { EndOfSteps, ExitStep, Converted }
public enum SendOutcome { Delivered, Deferred, Capped, HeldOut }

/// <summary>What a transition did. Hosts turn these into reports, timers and (live) deliveries.</summary>
public abstract record JourneyAction(JourneySymbol Journey, long At);
public sealed record EnteredAction(JourneySymbol Journey, UserRef User, long At, bool HeldOut) : JourneyAction(Journey, At);
public sealed record SuppressedAction(JourneySymbol Journey, UserRef User, long At, SuppressionReason Reason) : JourneyAction(Journey, At);
public sealed record ConvertedAction(
    JourneySymbol Journey,
    UserRef User,
    long At,
    bool HeldOut,
    long EntryAt,
    IReadOnlyDictionary<string, int> Branches)
    : JourneyAction(Journey, At);
public sealed record ExitedAction(JourneySymbol Journey, UserRef User, long At, ExitReason Reason) : JourneyAction(Journey, At);
public sealed record SplitAssignedAction(JourneySymbol Journey, UserRef User, long At, BoundSplit Split, int Branch, bool HeldOut, bool ByWinner)
    : JourneyAction(Journey, At);
/// <summary>A send; <see cref="DeferredUntil"/> is set for <see cref="SendOutcome.Deferred"/>,
/// <see cref="WasDeferred"/> when a deferred send went (delivered or capped).
/// <see cref="Items"/>: a delivered send's `items:`, evaluated for the user at the
/// instant it went (null without `items:`, or when the list is null).</summary>
public sealed record SendAction(
    JourneySymbol Journey,
    UserRef User,
    long At,
    BoundSend Send,
    SendOutcome Outcome,
    long? DeferredUntil = null,
    bool WasDeferred = false,
    IReadOnlyList<object?>? Items = null)
    : JourneyAction(Journey, At);
/// <summary>A wait began: the host calls <see cref="JourneyMachine.OnWaitTimeout"/> at <see cref="Until"/> with <see cref="Token"/>.</summary>
public sealed record WaitStartedAction(JourneySymbol Journey, UserRef User, long At, long Until, int Token) : JourneyAction(Journey, At);
/// <summary>The first arrival at a `winner after` split: the host calls <see cref="JourneyMachine.OnWinnerDue"/> at <see cref="Due"/>.</summary>
public sealed record WinnerDueAction(JourneySymbol Journey, long At, BoundSplit Split, long Due) : JourneyAction(Journey, At);
public sealed record WinnerChosenAction(JourneySymbol Journey, long At, BoundSplit Split, int Branch) : JourneyAction(Journey, At);
/// <summary>
/// A user reached a step (only with <see cref="JourneyEnvironment.ReportSteps"/>, for per-step counts).
/// <see cref="Branch"/>: an `if`'s block taken (0 then, 1 else, -1 neither), a split's branch, else -1.
/// </summary>
public sealed record StepReachedAction(JourneySymbol Journey, UserRef User, long At, BoundStep Step, bool HeldOut, int Branch = -1)
    : JourneyAction(Journey, At);
public enum WaitEnd { Event, Timeout, Converted }
/// <summary>
/// A wait ended: its `until` event came, its time ran out, or the goal converted
/// the user while waiting (only with <see cref="JourneyEnvironment.ReportSteps"/>).
/// </summary>
public sealed record WaitEndedAction(JourneySymbol Journey, UserRef User, long At, BoundWait Wait, WaitEnd End) : JourneyAction(Journey, At);
/// <summary>A `winner after` look that chose no winner (not significant, a sample ratio mismatch, no arrivals): the split goes on.</summary>
public sealed record WinnerKeptSplitAction(JourneySymbol Journey, long At, BoundSplit Split, Measurement.WinnerDecision Decision)
    : JourneyAction(Journey, At);

/// <summary>A journey's event input: its type, instant and a handle the condition service understands (a row in replay).</summary>
public readonly record struct JourneyEvent(EventTypeSymbol Type, long Ts, int Row);

/// <summary>Conditions as the machine needs them; replay answers from a DataSet (compiled), live from its store.</summary>
public interface IJourneyConditions
{
    /// <summary>A bool condition (audience, if, segment) for the user as of the instant; null counts as false.</summary>
    bool Evaluate(BoundExpression condition, UserRef user, long atTicks);
    /// <summary>A `where:` predicate over the event.</summary>
    bool Matches(BoundExpression where, UserRef user, JourneyEvent e);
    /// <summary>A list (a send's `items:`) for the user as of the instant; null when it is null or the host cannot evaluate lists.</summary>
    IReadOnlyList<object?>? List(BoundExpression list, UserRef user, long atTicks) => null;
}

/// <summary>
/// The services a transition reads: conditions, the channel ledger, the user's quiet-hours zone.
/// <see cref="ReportSteps"/> adds <see cref="StepReachedAction"/>s and <see cref="WaitEndedAction"/>s
/// for per-step counts (replay and live); they change no state.
/// </summary>
public sealed record JourneyEnvironment(
    IJourneyConditions Conditions,
    IChannelLedger Ledger,
    Func<UserRef, TimeZoneInfo> QuietZone,
    bool ReportSteps = false);
