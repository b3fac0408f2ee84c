using MarketingDsl.Core.Semantics;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>
/// Schedule and `enters`/`leaves segment` triggers live (LANGUAGE.md §15.7), with replay's rules:
/// a schedule fires for every user with a profile at each of its instants; segment membership is
/// re-evaluated for a user after each of their events and for every user at each 00:00 in the
/// workspace zone, and a change fires the journeys that trigger on it. Both are stored timers
/// (kinds `schedule`, `segment_check`), so they fire like waits: when an event with a later `ts`
/// arrives or the wall clock reaches due + grace, and they survive restarts.
/// </summary>
public sealed partial class LiveRuntime
{
    private TimeZoneInfo WorkspaceZone => _model.Schema.TimeZone is { } z ? TimeZoneInfo.FindSystemTimeZoneById(z) : TimeZoneInfo.Utc;

    /// <summary>
    /// The instant from which newly added triggers run (replay's start F): the clock (the latest
    /// event) once there is one; in a store without events yet, the wall clock. Not the wall clock
    /// less grace: a long grace would start schedules far in the past and fire every instant since.
    /// </summary>
    private long ArmInstant() => _store.Counter("clock") is > 0 and var clock ? clock : _options.Clock.GetUtcNow().UtcTicks;

    /// <summary>Segments some journey triggers on, distinct, in journey declaration order (as replay).</summary>
    private List<SegmentSymbol> TriggerSegments() =>
        [.. _machines.Select(m => m.Journey.Trigger).OfType<BoundSegmentTrigger>().Select(t => t.Segment).Distinct()];

    /// <summary>
    /// Brings the stored trigger timers and segment tracking in line with the current journeys (at
    /// start and after a reload; runs in a transaction): a schedule keeps its pending instant while
    /// its trigger is unchanged, a new or changed schedule starts at <see cref="ArmInstant"/>;
    /// membership of a newly tracked segment is established for every user as of that instant
    /// without firing (replay: as of F); a segment no longer tracked is forgotten.
    /// </summary>
    private void ArmTriggers()
    {
        var start = ArmInstant();
        var zone = WorkspaceZone;
        var pending = _store.TimersOfKind(LiveStore.ScheduleTimer).ToDictionary(t => t.Journey, StringComparer.Ordinal);
        for (var j = 0; j < _machines.Length; j++)
        {
            var trigger = _machines[j].Journey.Trigger!;
            if (trigger is not (BoundCalendarTrigger or BoundIntervalTrigger)) continue;
            var signature = trigger.ToString();
            var due = pending.Remove(_machines[j].Journey.Name, out var kept) && kept.Path == signature ? kept.Due : Schedules.Next(trigger, start, zone);
            if (kept is not null) _store.DeleteTimer(kept.Id);
            if (due is { } d) _store.AddTimer(d, LiveStore.ScheduleTimer, _machines[j].Journey.Name, token: j, path: signature);
        }
        foreach (var stale in pending.Values) _store.DeleteTimer(stale.Id);

        var segments = TriggerSegments();
        var armed = _store.Armed();
        foreach (var name in armed.Where(a => segments.All(s => s.Name != a))) _store.Disarm(name);
        var users = segments.Any(s => !armed.Contains(s.Name)) ? _store.ProfileIds() : [];
        foreach (var segment in segments.Where(s => !armed.Contains(s.Name)))
        {
            var condition = new BoundSymbolReference(segment);
            foreach (var user in users)
                if (User(user).Profile is not null) _store.SetMembership(segment.Name, user, _env.Conditions.Evaluate(condition, new UserRef(0, user), start));
            _store.Arm(segment.Name);
        }
        var checks = _store.TimersOfKind(LiveStore.SegmentCheckTimer);
        if (segments.Count == 0) foreach (var t in checks) _store.DeleteTimer(t.Id);
        else if (checks.Count == 0) _store.AddTimer(Schedules.NextMidnight(start, zone), LiveStore.SegmentCheckTimer, "");
    }

    /// <summary>A schedule instant: the trigger fires for every user with a profile; then the next instant is set.</summary>
    private void FireSchedule(int j, long t)
    {
        var machine = _machines[j];
        foreach (var user in _store.ProfileIds())
        {
            if (User(user) is not { Profile: not null } live) continue;
            var stored = StateOf(live, j);
            var state = stored ?? new UserJourneyState();
            machine.OnTrigger(state, new UserRef(0, user), t, _env, _actions);
            // A firing that entered nobody new leaves no state behind for users never in the journey.
            Apply(j, user, stored is null && state.Entries == 0 ? null : state, null);
        }
        if (Schedules.Next(machine.Journey.Trigger!, t, WorkspaceZone) is { } next)
            _store.AddTimer(next, LiveStore.ScheduleTimer, machine.Journey.Name, token: j, path: machine.Journey.Trigger!.ToString());
    }

    /// <summary>The daily segment check at 00:00 in the workspace zone: every user with a profile; then the next midnight.</summary>
    private void FireSegmentCheck(long t)
    {
        if (TriggerSegments().Count == 0) return;
        foreach (var user in _store.ProfileIds()) CheckSegments(user, t);
        _store.AddTimer(Schedules.NextMidnight(t, WorkspaceZone), LiveStore.SegmentCheckTimer, "");
    }

    /// <summary>
    /// Re-evaluates the user's membership of every tracked segment as of <paramref name="t"/>; a
    /// change fires the journeys triggered by entering (false → true) or leaving (true → false) it,
    /// in declaration order. A user's first evaluation only establishes membership.
    /// </summary>
    private void CheckSegments(string user, long t)
    {
        var segments = TriggerSegments();
        if (segments.Count == 0 || User(user).Profile is null) return;
        var userRef = new UserRef(0, user);
        foreach (var segment in segments)
        {
            var now = _env.Conditions.Evaluate(new BoundSymbolReference(segment), userRef, t);
            var before = _store.Membership(segment.Name, user);
            if (before == now) continue;
            _store.SetMembership(segment.Name, user, now);
            if (before is null) continue;
            for (var j = 0; j < _machines.Length; j++)
            {
                if (_machines[j].Journey.Trigger is not BoundSegmentTrigger trigger || !ReferenceEquals(trigger.Segment, segment) || trigger.Enters != now) continue;
                var state = StateOf(User(user), j) ?? new UserJourneyState();
                _machines[j].OnTrigger(state, userRef, t, _env, _actions);
                Apply(j, user, state, null);
            }
        }
    }

    /// <summary>
    /// A new or changed profile: a new user's membership is established as of the clock (no
    /// firing, as for every user at the start of replay); a changed profile is a change of the
    /// user's data like an event, so membership is re-evaluated as of the clock and may fire.
    /// </summary>
    private void OnProfileStored(string user) => CheckSegments(user, _store.Counter("clock"));
}
