using System.Collections.Immutable;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Journeys;

/// <summary>
/// The journey state machine (LANGUAGE.md §15), shared by replay and the live runtime. Every
/// transition is a deterministic function of (state, input, conditions, ledger) on virtual time:
/// it updates <see cref="UserJourneyState"/> (and the journey's <see cref="SplitState"/>s, and
/// records deliveries in the ledger) and appends <see cref="JourneyAction"/>s. No I/O, no clock.
/// </summary>
public sealed class JourneyMachine
{
    private readonly Dictionary<string, ImmutableArray<decimal>> _shares = new(StringComparer.Ordinal);

    public JourneyMachine(JourneySymbol journey)
    {
        Journey = journey;
        foreach (var split in Splits(journey.Steps))
        {
            _splits.TryAdd(split.Name, new SplitState(split.Branches.Length));
            _shares.TryAdd(split.Name, [.. split.Branches.Select(b => b.Percent)]);
        }
        EventsWaitedFor = StepPath.Walk(journey.Steps).Select(w => w.Step).OfType<BoundWait>().Select(w => w.Until).OfType<EventTypeSymbol>()
            .Concat(journey.Goal is { } goal ? [goal.Event] : []).ToHashSet();
    }

    public JourneySymbol Journey { get; }

    /// <summary>
    /// The event types <see cref="OnEvent"/> acts on: the goal's and the waits' `until` events. An event of another type leaves
    /// every user's state in the journey as it was (the runtime need not read the state for it).
    /// </summary>
    public IReadOnlySet<EventTypeSymbol> EventsWaitedFor { get; }

    /// <summary>Per split name: the shared state for `winner after` and branch statistics.</summary>
    public IReadOnlyDictionary<string, SplitState> SplitStates => _splits;
    private readonly Dictionary<string, SplitState> _splits = new(StringComparer.Ordinal);

    /// <summary>Every split of a step tree in source order.</summary>
    public static IEnumerable<BoundSplit> Splits(ImmutableArray<BoundStep> steps)
    {
        foreach (var step in steps)
        {
            switch (step)
            {
                case BoundSplit s:
                    yield return s;
                    foreach (var b in s.Branches) foreach (var inner in Splits(b.Steps)) yield return inner;
                    break;
                case BoundIf i:
                    foreach (var inner in Splits(i.Then)) yield return inner;
                    foreach (var inner in Splits(i.Else)) yield return inner;
                    break;
            }
        }
    }

    // ------------------------------------------------------------------ inputs

    /// <summary>
    /// The trigger fired for the user at <paramref name="t"/> (an event trigger whose where: held,
    /// a schedule, a segment change). Enters when not in the journey, re-entry allows and the
    /// audience holds as of t (LANGUAGE.md §15.3); otherwise records why not.
    /// </summary>
    public void OnTrigger(UserJourneyState s, UserRef user, long t, JourneyEnvironment env, List<JourneyAction> actions)
    {
        if (s.Active) { actions.Add(new SuppressedAction(Journey, user, t, SuppressionReason.AlreadyIn)); return; }
        if (!ReentryAllows(s, t)) { actions.Add(new SuppressedAction(Journey, user, t, SuppressionReason.Reentry)); return; }
        if (Journey.Audience is { } audience && !env.Conditions.Evaluate(audience, user, t))
        {
            actions.Add(new SuppressedAction(Journey, user, t, SuppressionReason.Audience));
            return;
        }
        s.Active = true;
        s.Entries++;
        s.EntryAt = t;
        s.HeldOut = Journey.HoldoutPercent > 0 && StableBucket.Below(StableBucket.Raw(user.Id, Journey.Name, ""), Journey.HoldoutPercent);
        s.GoalUntil = Journey.Goal is { } goal ? t + goal.WindowTicks : null;
        s.Wait = null;
        s.Branches.Clear();
        s.Position.Clear();
        s.Position.Add(new StepFrame(-1, 0));
        actions.Add(new EnteredAction(Journey, user, t, s.HeldOut));
        Run(s, user, t, env, actions);
    }

    /// <summary>
    /// Whether a firing at <paramref name="t"/> would evaluate the audience (LANGUAGE.md §15.3: the user is not
    /// in the journey and re-entry allows it): a host reads the user's data only then.
    /// </summary>
    public bool ReachesAudience(UserJourneyState s, long t) => !s.Active && ReentryAllows(s, t);

    private bool ReentryAllows(UserJourneyState s, long t)
    {
        var reentry = Journey.Reentry;
        return reentry.Always || (reentry.WindowTicks is { } window ? s.EntryAt is not { } last || last <= t - window : s.Entries == 0);
    }

    /// <summary>
    /// An event of the user: the goal (converts, at any step, and also after the end of the steps
    /// while the goal window lasts), then a pending `wait … until` (resumes early). A trigger is a
    /// separate input (<see cref="OnTrigger"/>), given after this one for the same event.
    /// </summary>
    public void OnEvent(UserJourneyState s, UserRef user, JourneyEvent e, JourneyEnvironment env, List<JourneyAction> actions)
    {
        if (s.GoalUntil is { } until && Journey.Goal is { } goal && ReferenceEquals(e.Type, goal.Event))
        {
            if (e.Ts > until) s.GoalUntil = null;
            else if (e.Ts > s.EntryAt && (goal.Where is null || env.Conditions.Matches(goal.Where, user, e)))
            {
                var branches = new Dictionary<string, int>(s.Branches, StringComparer.Ordinal);
                actions.Add(new ConvertedAction(Journey, user, e.Ts, s.HeldOut, s.EntryAt!.Value, branches));
                if (!s.HeldOut)
                    foreach (var (name, branch) in s.Branches) _splits[name].Converted[branch]++;
                s.GoalUntil = null;
                if (s.Active)
                {
                    if (env.ReportSteps && s.Wait is not null && CurrentStep(s) is BoundWait waiting)
                        actions.Add(new WaitEndedAction(Journey, user, e.Ts, waiting, WaitEnd.Converted));
                    Leave(s);
                    actions.Add(new ExitedAction(Journey, user, e.Ts, ExitReason.Converted));
                }
                return;
            }
        }
        if (s.Active && s.Wait is { Event: { } waitEvent } wait && ReferenceEquals(e.Type, waitEvent)
            && e.Ts > wait.Start && e.Ts <= wait.Until && (wait.Where is null || env.Conditions.Matches(wait.Where, user, e)))
        {
            if (env.ReportSteps && CurrentStep(s) is BoundWait resumed) actions.Add(new WaitEndedAction(Journey, user, e.Ts, resumed, WaitEnd.Event));
            s.Wait = null;
            Advance(s);
            Run(s, user, e.Ts, env, actions);
        }
    }

    /// <summary>A wait's timer (the host scheduled it from <see cref="WaitStartedAction"/>); stale tokens are ignored.</summary>
    public void OnWaitTimeout(UserJourneyState s, UserRef user, long t, int token, JourneyEnvironment env, List<JourneyAction> actions)
    {
        if (!s.Active || s.Wait is not { } wait || wait.Token != token) return;
        if (env.ReportSteps && CurrentStep(s) is BoundWait ended) actions.Add(new WaitEndedAction(Journey, user, t, ended, WaitEnd.Timeout));
        s.Wait = null;
        Advance(s);
        Run(s, user, t, env, actions);
    }

    /// <summary>How long a `winner after` split that could not pick a winner waits before it looks again.</summary>
    public static readonly long WinnerRecheckTicks = TimeSpan.TicksPerDay;

    /// <summary>
    /// D after the first arrival at a `winner after D` split, and every day after until a winner is
    /// chosen: the branch with the highest goal rate among the treated arrivals so far wins only
    /// when the sequential test separates it from every other branch and arrivals match the shares
    /// (<see cref="SplitSignificance.DecideWinner"/>); otherwise the split goes on and the decision says why.
    /// </summary>
    public void OnWinnerDue(BoundSplit split, long t, List<JourneyAction> actions)
    {
        var state = _splits[split.Name];
        if (state.Winner is not null) return;
        var decision = SplitSignificance.DecideWinner(
            [.. state.Entered.Select(n => (long)n)], [.. state.Converted.Select(n => (long)n)], _shares[split.Name]);
        if (decision.Winner is not { } best)
        {
            actions.Add(new WinnerKeptSplitAction(Journey, t, split, decision));
            actions.Add(new WinnerDueAction(Journey, t, split, t + WinnerRecheckTicks));
            return;
        }
        state.Winner = best;
        state.WinnerAt = t;
        actions.Add(new WinnerChosenAction(Journey, t, split, best));
    }

    /// <summary>A deferred send goes at the end of the quiet window: the cap is checked again (LANGUAGE.md §15.5).</summary>
    public static void OnDeferredSend(
        JourneySymbol journey, BoundSend send, UserRef user, long t, JourneyEnvironment env, List<JourneyAction> actions)
    {
        if (CapReached(send.Channel, user, t, env))
        {
            actions.Add(new SendAction(journey, user, t, send, SendOutcome.Capped, WasDeferred: true));
            return;
        }
        env.Ledger.RecordDelivered(user, send.Channel, t);
        actions.Add(new SendAction(journey, user, t, send, SendOutcome.Delivered, WasDeferred: true, Items: ItemsOf(send, user, t, env)));
    }

    // ------------------------------------------------------------------ running steps

    /// <summary>Runs steps at instant t until a wait, an exit or the end of the steps.</summary>
    private void Run(UserJourneyState s, UserRef user, long t, JourneyEnvironment env, List<JourneyAction> actions)
    {
        while (true)
        {
            var block = BlockAt(s.Position, s.Position.Count - 1);
            var frame = s.Position[^1];
            if (frame.Index >= block.Length)
            {
                s.Position.RemoveAt(s.Position.Count - 1);
                if (s.Position.Count == 0)
                {
                    Leave(s);
                    actions.Add(new ExitedAction(Journey, user, t, ExitReason.EndOfSteps));
                    return;
                }
                Advance(s);
                continue;
            }
            var step = block[frame.Index];
            if (env.ReportSteps && step is not (BoundIf or BoundSplit)) actions.Add(new StepReachedAction(Journey, user, t, step, s.HeldOut));
            switch (step)
            {
                case BoundWait w:
                    s.Token++;
                    s.Wait = new PendingWait(t, t + w.DurationTicks, w.Until, w.UntilWhere, s.Token);
                    actions.Add(new WaitStartedAction(Journey, user, t, t + w.DurationTicks, s.Token));
                    return;
                case BoundSend send:
                    Send(s, user, send, t, env, actions);
                    Advance(s);
                    break;
                case BoundIf i:
                    var taken = env.Conditions.Evaluate(i.Condition, user, t) ? 0 : i.Else.IsEmpty ? -1 : 1;
                    if (env.ReportSteps) actions.Add(new StepReachedAction(Journey, user, t, i, s.HeldOut, taken));
                    if (taken >= 0) s.Position.Add(new StepFrame(taken, 0));
                    else Advance(s);
                    break;
                case BoundSplit split:
                    var branch = ChooseBranch(s, user, split, t, actions);
                    if (env.ReportSteps) actions.Add(new StepReachedAction(Journey, user, t, split, s.HeldOut, branch));
                    s.Position.Add(new StepFrame(branch, 0));
                    break;
                case BoundExit:
                    Leave(s);
                    s.GoalUntil = null; // `exit` leaves unconverted: the goal is no longer watched
                    actions.Add(new ExitedAction(Journey, user, t, ExitReason.ExitStep));
                    return;
                default:
                    Advance(s);
                    break;
            }
        }
    }

    private int ChooseBranch(UserJourneyState s, UserRef user, BoundSplit split, long t, List<JourneyAction> actions)
    {
        var state = _splits[split.Name];
        int branch;
        var byWinner = false;
        if (split.WinnerAfterTicks is { } after && state.FirstArrival is null)
        {
            state.FirstArrival = t;
            actions.Add(new WinnerDueAction(Journey, t, split, t + after));
        }
        if (state.Winner is { } winner) { branch = winner; byWinner = true; }
        else branch = StableBucket.Branch(StableBucket.Raw(user.Id, Journey.Name, split.Name), _shares[split.Name]);
        s.Branches[split.Name] = branch;
        if (!s.HeldOut) state.Entered[branch]++;
        actions.Add(new SplitAssignedAction(Journey, user, t, split, branch, s.HeldOut, byWinner));
        return branch;
    }

    private void Send(UserJourneyState s, UserRef user, BoundSend send, long t, JourneyEnvironment env, List<JourneyAction> actions)
    {
        if (s.HeldOut) { actions.Add(new SendAction(Journey, user, t, send, SendOutcome.HeldOut)); return; }
        if (CapReached(send.Channel, user, t, env)) { actions.Add(new SendAction(Journey, user, t, send, SendOutcome.Capped)); return; }
        if (send.Channel.Quiet is { } quiet && LocalTime.QuietUntil(t, quiet, env.QuietZone(user)) is { } until)
        {
            actions.Add(new SendAction(Journey, user, t, send, SendOutcome.Deferred, DeferredUntil: until));
            return;
        }
        env.Ledger.RecordDelivered(user, send.Channel, t);
        actions.Add(new SendAction(Journey, user, t, send, SendOutcome.Delivered, Items: ItemsOf(send, user, t, env)));
    }

    /// <summary>A send's `items:` as of the instant it goes (a deferred send: when its quiet window ends).</summary>
    private static IReadOnlyList<object?>? ItemsOf(BoundSend send, UserRef user, long t, JourneyEnvironment env) =>
        send.Items is { } items ? env.Conditions.List(items, user, t) : null;

    private static bool CapReached(ChannelSymbol channel, UserRef user, long t, JourneyEnvironment env) =>
        channel.CapCount is { } n && channel.CapWindowTicks is { } window && env.Ledger.DeliveredBetween(user, channel, t - window, t) >= n;

    private static void Leave(UserJourneyState s)
    {
        s.Active = false;
        s.Wait = null;
        s.Position.Clear();
    }

    private static void Advance(UserJourneyState s) => s.Position[^1] = s.Position[^1] with { Index = s.Position[^1].Index + 1 };

    private BoundStep? CurrentStep(UserJourneyState s)
    {
        if (s.Position.Count == 0) return null;
        var block = BlockAt(s.Position, s.Position.Count - 1);
        var index = s.Position[^1].Index;
        return index >= 0 && index < block.Length ? block[index] : null;
    }

    /// <summary>The block frame <paramref name="depth"/> of a position walks.</summary>
    private ImmutableArray<BoundStep> BlockAt(List<StepFrame> position, int depth)
    {
        if (depth == 0) return Journey.Steps;
        var parent = BlockAt(position, depth - 1)[position[depth - 1].Index];
        var selector = position[depth].Selector;
        return parent switch
        {
            BoundIf i => selector == 0 ? i.Then : i.Else,
            BoundSplit s => s.Branches[selector].Steps,
            _ => throw new InvalidOperationException("a position points into a step without blocks"),
        };
    }
}
